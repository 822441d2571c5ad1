"""Each chapter section is also a notebook: executed by the build, rendered, downloadable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from test_copy_paste import code_and_outputs

SECTIONS = {
    "ch3_1": "chapter/3.1-long-sequences",
    "ch3_2": "chapter/3.2-attention-mechanisms",
    "ch3_3": "chapter/3.3-self-attention",
    "ch3_4": "chapter/3.4-trainable-weights",
    "ch3_5": "chapter/3.5-causal-attention",
    "ch3_6": "chapter/3.6-multi-head-attention",
    "ch3_7": "chapter/3.7-summary",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_notebook_is_rendered_executed_and_downloadable(
    site_dir: Path, name: str, lang: str
) -> None:
    root = site_dir if lang == "en" else site_dir / "zh"
    page = root / "notebooks" / name / "index.html"
    html = page.read_text(encoding="utf-8")
    assert '"nbformat"' not in html, f"{page} is raw notebook JSON"
    soup = BeautifulSoup(html, "html.parser")
    code_cells = [c for c in soup.select(".jp-CodeCell") if not c.find_parent(class_="jp-CodeCell")]
    assert code_cells, f"{page} shows no code cells"
    outputs = soup.select(".jp-OutputArea-output")
    assert outputs, f"{page} shows no executed outputs"
    assert not soup.select(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"), (
        f"{page} shows an error output"
    )

    ipynb = root / "notebooks" / f"{name}.ipynb"
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    nb_code = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in nb["cells"]
        if c["cell_type"] == "code" and "skip-execution" not in c["metadata"].get("tags", [])
    ]
    # the notebook holds exactly the code the chapter page shows, in the same order, after
    # its install cell (test_notebook_downloads.py checks that one)
    chapter = root / SECTIONS[name] / "index.html"
    page_code = [code for code, _ in code_and_outputs(chapter)]
    assert [c.strip() for c in nb_code] == [c.strip() for c in page_code]
    assert len(code_cells) == len(nb_code) + 1
    # the chapter page links to its notebook and to the .ipynb download
    chapter_html = chapter.read_text(encoding="utf-8")
    assert f"notebooks/{name}/" in chapter_html
    assert f'notebooks/{name}.ipynb"' in chapter_html
