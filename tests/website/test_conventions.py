"""Readers' conventions of the built site (issue 19, item 6).

- every page has an "edit this page" button that opens, on GitHub, the file the page is made
  from, in the page's language, and the file is in the repository;
- the header links to the repository without the element Material fills from api.github.com;
- a "page not found" page in each language: ``404.html`` and ``zh/404.html``;
- ``<link rel=alternate hreflang>`` to the same page in each language, and x-default;
- Open Graph and Twitter card tags in the page's language.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from docs_version import REPO_URL, REPOSITORY
from website_lib import LANG_PREFIX, page_files

ROOT = Path(__file__).resolve().parents[2]
EDIT_PREFIX = f"{REPO_URL}/edit/main/docs/"
HREFLANG = {"en": "en", "zh": "zh-Hans"}
OG_LOCALE = {"en": "en_US", "zh": "zh_CN"}
NOT_FOUND_TITLE = {"en": "Page not found", "zh": "找不到页面"}


def soup(html: Path) -> BeautifulSoup:
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


def all_pages(site: Path) -> list[tuple[str, str, Path]]:
    """``(lang, rel, html)`` for every page of both languages (``rel`` as in page_files)."""
    return [
        (lang, rel, html) for lang in LANG_PREFIX for rel, html in page_files(site, lang).items()
    ]


def tracked_docs() -> set[str] | None:
    """The files below docs/ that git tracks (None outside a git checkout)."""
    proc = subprocess.run(
        ["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return set(proc.stdout.split()) if proc.returncode == 0 and proc.stdout else None


def canonical(html: Path) -> str:
    link = soup(html).find("link", rel="canonical")
    assert link is not None, f"{html} has no canonical link"
    return str(link["href"])


# ---------------------------------------------------------------- the repository
def test_mkdocs_yml_names_the_repository_of_docs_version() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    repo_url = re.search(r"^repo_url:\s*(\S+)\s*$", text, re.M)
    repo_name = re.search(r"^repo_name:\s*(\S+)\s*$", text, re.M)
    edit_uri = re.search(r"^edit_uri:\s*(\S+)\s*$", text, re.M)
    assert repo_url and repo_url[1] == REPO_URL, "mkdocs.yml repo_url is not docs_version.REPO_URL"
    assert repo_name and repo_name[1] == REPOSITORY, "mkdocs.yml repo_name is not docs_version's"
    # edits go to main whatever version the docs describe: a tag cannot be edited
    assert edit_uri and edit_uri[1] == "edit/main/docs/", edit_uri


def test_every_page_has_an_edit_button_on_its_own_source_file(site_dir: Path) -> None:
    tracked = tracked_docs()
    problems = []
    pages = all_pages(site_dir)
    for lang, rel, html in pages:
        buttons = soup(html).select("a.md-content__button[rel=edit]")
        if len(buttons) != 1:
            problems.append(f"{lang}:{rel}: {len(buttons)} edit buttons")
            continue
        href = str(buttons[0]["href"])
        if not href.startswith(EDIT_PREFIX):
            problems.append(f"{lang}:{rel}: edit button opens {href}, not {EDIT_PREFIX}...")
            continue
        source = "docs/" + href[len(EDIT_PREFIX) :]
        if not (ROOT / source).is_file():
            problems.append(f"{lang}:{rel}: edit button opens {source}, which does not exist")
        elif tracked is not None and source not in tracked:
            problems.append(f"{lang}:{rel}: edit button opens {source}, which git does not track")
        if (lang == "zh") != source.endswith(".zh.md"):
            problems.append(f"{lang}:{rel}: edit button opens {source}, the other language's")
        if source.startswith("docs/notebooks/"):
            problems.append(f"{lang}:{rel}: edit button opens the generated {source}")
    assert len(pages) > 40, f"only {len(pages)} pages found"
    assert not problems, "\n".join(problems)


def test_notebook_pages_edit_the_chapter_page_they_are_made_from(site_dir: Path) -> None:
    for lang in LANG_PREFIX:
        notebooks = {
            r: h for r, h in page_files(site_dir, lang).items() if r.startswith("notebooks/")
        }
        assert notebooks, f"no notebook pages in {lang}"
        for rel, html in notebooks.items():
            href = str(soup(html).select_one("a.md-content__button[rel=edit]")["href"])
            source = ROOT / "docs" / href[len(EDIT_PREFIX) :]
            name = Path(rel).parent.name  # notebooks/ch3_3/index.html -> ch3_3
            front = source.read_text(encoding="utf-8").split("---")[1]
            assert re.search(rf"^notebook:\s*{name}\s*$", front, re.M), (
                f"{lang}:{rel} edits {source.relative_to(ROOT)}, which makes no notebook {name}"
            )


def test_header_links_to_the_repository_without_asking_github(site_dir: Path) -> None:
    for lang, rel, html in all_pages(site_dir):
        page = soup(html)
        links = page.select("a.md-source")
        assert links and all(a["href"] == REPO_URL for a in links), f"{lang}:{rel}: {links}"
        # Material's bundle fetches the stars and forks from api.github.com into this element
        assert not page.select('[data-md-component="source"]'), f"{lang}:{rel}"


# ---------------------------------------------------------------- 404
@pytest.mark.parametrize("lang", sorted(LANG_PREFIX))
def test_a_not_found_page_in_each_language(site_dir: Path, lang: str) -> None:
    html = site_dir / LANG_PREFIX[lang] / "404.html"
    assert html.is_file(), f"no {html.relative_to(site_dir)}"
    page = soup(html)
    assert page.html["lang"] == lang
    h1 = page.select_one("article h1")
    assert h1 is not None and NOT_FOUND_TITLE[lang] in h1.get_text(), h1
    prefix = urlsplit(canonical(site_dir / "index.html")).path  # /llm_attention/
    # the navigation is this language's: every page link stays in its folder
    nav = [str(a["href"]) for a in page.select("nav.md-nav--primary a.md-nav__link[href]")]
    assert len(nav) > 20, nav
    others = [p for p in LANG_PREFIX.values() if p and p != LANG_PREFIX[lang]]
    for href in nav:
        assert href.startswith(prefix + LANG_PREFIX[lang]), f"{lang} 404 links to {href}"
        assert not any(href.startswith(prefix + o) for o in others), f"{lang} 404: {href}"
    # the language selector leads to each language's home page
    selector = {a["hreflang"]: a["href"] for a in page.select("a.md-select__link[hreflang]")}
    assert selector == {code: prefix + p for code, p in LANG_PREFIX.items()}, selector


def test_the_root_not_found_page_sends_chinese_addresses_to_the_chinese_one(site_dir: Path) -> None:
    prefix = urlsplit(canonical(site_dir / "index.html")).path
    scripts = " ".join(s.get_text() for s in soup(site_dir / "404.html").find_all("script"))
    assert f'"root": "{prefix}zh/"' in scripts and f'"page": "{prefix}zh/404.html"' in scripts
    assert "location.replace" in scripts
    # and the Chinese page itself sends nobody anywhere
    assert "location.replace" not in (site_dir / "zh" / "404.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- hreflang
# a <link> whose rel is exactly "alternate" (quoted or not), as link[rel=alternate] matches
EXACT_ALTERNATE = re.compile(
    r"<link\b[^>]*\brel=(?:\"alternate\"|'alternate'|alternate[\s>])[^>]*>", re.I
)


def alternates(html: Path) -> dict[str, str]:
    """``{hreflang: href}`` of the page's ``<link rel=alternate hreflang>`` (rel as tokens)."""
    found = {}
    for link in soup(html).head.find_all("link", hreflang=True):
        rel = link.get("rel") or []  # BeautifulSoup splits rel into tokens, as browsers do
        if "alternate" in [token.lower() for token in rel]:
            found[str(link["hreflang"])] = str(link["href"])
    return found


def test_every_page_names_itself_in_each_language(site_dir: Path) -> None:
    en, zh = page_files(site_dir, "en"), page_files(site_dir, "zh")
    assert set(en) == set(zh)
    for rel in sorted(en):
        want = {
            HREFLANG["en"]: canonical(en[rel]),
            HREFLANG["zh"]: canonical(zh[rel]),
            "x-default": canonical(en[rel]),
        }
        assert want[HREFLANG["en"]] != want[HREFLANG["zh"]]
        for lang, html in (("en", en[rel]), ("zh", zh[rel])):
            assert alternates(html) == want, f"{lang}:{rel}"


def test_no_alternate_link_is_one_material_fetches_a_sitemap_for(site_dir: Path) -> None:
    """Material's bundle fetches "<href>/sitemap.xml" for each element matching
    ``link[rel=alternate]`` (an exact, case-insensitive match of the attribute): for a page's
    address that is a 404. The browser test shows the requests; this shows the cause."""
    for lang, rel, html in all_pages(site_dir):
        text = html.read_text(encoding="utf-8")
        exact = EXACT_ALTERNATE.findall(text)
        exact = [tag for tag in exact if "hreflang" in tag]
        assert not exact, f"{lang}:{rel}: {exact}"


# ---------------------------------------------------------------- Open Graph
def meta(page: BeautifulSoup) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in page.head.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        if key and (key.startswith("og:") or key.startswith("twitter:")):
            found.setdefault(str(key), []).append(str(tag["content"]))
    return found


def test_open_graph_tags_in_the_page_language(site_dir: Path) -> None:
    for lang, rel, html in all_pages(site_dir):
        page = soup(html)
        tags = meta(page)
        where = f"{lang}:{rel}"
        assert tags.get("og:url") == [canonical(html)], where
        assert tags.get("og:locale") == [OG_LOCALE[lang]], where
        assert tags.get("og:locale:alternate") == [v for k, v in OG_LOCALE.items() if k != lang]
        assert tags.get("og:site_name") == ["llm_attention"], where
        assert tags.get("twitter:card") == ["summary"], where
        home = rel == "index.html"
        assert tags.get("og:type") == ["website" if home else "article"], where
        # the title is the page's own heading, the description the page's language's
        h1 = page.select_one("article h1")
        assert h1 is not None and tags.get("og:title") == [h1.get_text().strip("¶ \n")], where
        description = page.head.find("meta", attrs={"name": "description"})
        assert tags.get("og:description") == [description["content"].strip()], where
        chinese = re.search(r"[\u4e00-\u9fff]", tags["og:description"][0])
        assert bool(chinese) == (lang == "zh"), f"{where}: {tags['og:description']}"
