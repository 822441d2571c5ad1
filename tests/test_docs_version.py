"""tools/hooks/docs_version.py: from __version__ to the docs folder, git ref and install line."""

from __future__ import annotations

import pytest
from docs_version import (
    colab_url,
    docs_folder,
    git_ref,
    install_command,
    is_release,
    package_version,
    site_url,
)

import llm_attention


def test_it_reads_the_version_the_package_reports() -> None:
    assert package_version() == llm_attention.__version__


def test_a_development_version_documents_main() -> None:
    version = "0.2.0.dev0"
    assert not is_release(version)
    assert docs_folder(version) == "dev"
    assert git_ref(version) == "main"
    assert site_url(version) == "https://llm-attention.github.io/llm_attention/dev/"
    assert install_command(version) == (
        'pip install "llm-attention @ git+https://github.com/llm-attention/llm_attention@main"'
    )
    assert colab_url("ch3_4", "zh", version) == (
        "https://colab.research.google.com/github/llm-attention/llm_attention/blob/main/"
        "notebooks/zh/ch3_4.ipynb"
    )


def test_a_release_documents_its_tag() -> None:
    version = "1.12.3"
    assert is_release(version)
    assert docs_folder(version) == "1.12"
    assert git_ref(version) == "v1.12.3"
    assert site_url(version) == "https://llm-attention.github.io/llm_attention/1.12/"
    assert install_command(version) == "pip install llm-attention==1.12.3"
    assert "/blob/v1.12.3/notebooks/en/ch3_1.ipynb" in colab_url("ch3_1", "en", version)


@pytest.mark.parametrize("version", ["0.2", "0.2.0rc1", "0.2.0.post1", "v0.2.0", "0.2.0.dev"])
def test_other_version_forms_are_refused_by_name(version: str) -> None:
    with pytest.raises(ValueError, match=r"neither a release X\.Y\.Z nor a development version"):
        is_release(version)
