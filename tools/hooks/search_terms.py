"""MkDocs hook: each glossary term leads search to the section that introduces it.

``search_terms.yml``, next to this file, says for every row of the glossary what a reader types
in each language and which section introduces the term; this hook loads it into ``TERMS`` and
stops the build, naming the entry, when an entry lacks a language or names no page of the site.
Once every language is built (``i18n_order.py``), ``on_post_build`` checks every entry against
the search index (the section exists, and says the term, in that language) and fails the build
otherwise; then it writes the terms into the index as that section's ``tags``. Material's search
indexes tags (weight 1,000,000, against 1,000 for a heading) and shows them under the result,
so a reader sees why the section came first.

Tags raise the section but do not settle the order on their own: the query "self-attention"
matches the tags of "simplified self-attention" as well, and Material multiplies the score of a
page's opening section by up to 2.5. The site's search worker
(``docs/assets/javascripts/workers/language-search.js``) therefore gives an exact term the
first place: when the query is a tag of a section in the reader's language, that section is
moved to the top of the list, in a result of its own. It also gives each language its own
search (the site has one index for both), so the Chinese pages list Chinese sections only.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import i18n_order
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

try:
    import jieba
except ImportError:  # the search plugin needs it for the Chinese pages; without it, no segmenting
    jieba = None

LANG_PREFIX = {"en": "", "zh": "zh/"}


@dataclass(frozen=True)
class Term:
    """A glossary term: what a reader types in each language, and where the term is introduced.

    ``section`` is the page path below the language's root plus ``#anchor``; no anchor means the
    page's opening section (the text between its title and its first ``##`` heading). Headings
    carry the same ids in both languages, so the Chinese target is ``zh/`` + ``section``.
    """

    en: tuple[str, ...]
    zh: tuple[str, ...]
    section: str


DATA = Path(__file__).with_name("search_terms.yml")
DOCS = Path(__file__).resolve().parents[2] / "docs"
SECTION = re.compile(r"^(?P<page>(?:[a-z0-9][a-z0-9.\-]*/)+)(?:#(?P<anchor>[a-z0-9][\w\-]*))?$")


class TermsError(PluginError):
    """The data file is malformed: the message names the file, the entry and the problem."""


def page_sources(page: str, docs_dir: Path = DOCS) -> dict[str, Path]:
    """``{lang: source file}`` of a page path such as ``chapter/3.3-self-attention/``."""
    stem = docs_dir / page.rstrip("/")
    for en in (stem.with_name(stem.name + ".md"), stem / "index.md"):
        if en.is_file():
            return {"en": en, "zh": en.with_name(en.stem + ".zh.md")}
    return {}


def _names(entry: dict[str, Any], lang: str) -> tuple[str, ...]:
    names = entry.get(lang)
    if not isinstance(names, list) or not names:
        raise ValueError(f"no {lang} names (give {lang}: [name, ...])")
    if not all(isinstance(n, str) and n.strip() == n and n for n in names):
        raise ValueError(f"{lang} names must be non-empty strings, got {names!r}")
    return tuple(names)


def _term(entry: object, docs_dir: Path) -> Term:
    if not isinstance(entry, dict):
        raise ValueError(f"an entry is a mapping with en, zh and section, got {entry!r}")
    unknown = sorted(set(entry) - {"en", "zh", "section"})
    if unknown:
        raise ValueError(f"unknown keys {unknown} (an entry has en, zh and section)")
    en, zh = _names(entry, "en"), _names(entry, "zh")
    section = entry.get("section")
    m = SECTION.match(section) if isinstance(section, str) else None
    if m is None:
        raise ValueError(
            f"section must be a page path ending in / with an optional #anchor, got {section!r}"
        )
    sources = page_sources(m["page"], docs_dir)
    missing = [lang for lang, path in sources.items() if not path.is_file()] if sources else []
    if not sources or missing:
        where = f"docs/{m['page'].rstrip('/')}{{.md,.zh.md}}"
        raise ValueError(f"section {section!r}: no page {where} ({missing or 'en, zh'} missing)")
    return Term(en, zh, section)


def load_terms(path: Path = DATA, docs_dir: Path = DOCS) -> list[Term]:
    """The terms of the data file, checked: each names its section and both languages.

    Raises TermsError (which stops the build) naming the entry and what is wrong with it. That
    the section says each name is checked against the built search index (``check_and_tag``).
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TermsError(f"search terms ({path}): cannot read it: {exc}") from None
    if not isinstance(data, list) or not data:
        raise TermsError(f"search terms ({path}): expected a list of entries, got {data!r}")
    terms, seen = [], {"en": {}, "zh": {}}
    for number, entry in enumerate(data, start=1):
        name = entry.get("en") if isinstance(entry, dict) else None
        label = (
            f"entry {number} ({name[0]!r})"
            if isinstance(name, list) and name
            else f"entry {number}"
        )
        try:
            term = _term(entry, docs_dir)
            for lang in ("en", "zh"):
                for query in getattr(term, lang):
                    if query in seen[lang]:
                        raise ValueError(f"{lang} {query!r} is also in entry {seen[lang][query]}")
                    seen[lang][query] = number
        except ValueError as exc:
            raise TermsError(f"search terms ({path}), {label}: {exc}") from None
        terms.append(term)
    return terms


TERMS: list[Term] = load_terms()

TAG = re.compile(r"<[^>]+>")
DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def plain(text: str) -> str:
    """Index text as a reader reads it: no markup, no zero-width spaces, one kind of dash."""
    text = html.unescape(TAG.sub(" ", text)).replace("\u200b", "")
    return re.sub(r"\s+", " ", text.translate(DASHES)).strip().lower()


def says(section_text: str, query: str, lang: str) -> bool:
    """Whether a section's plain text contains the term (English: or the term's singular,
    "attention score" for "attention scores", "weight matrix" for "weight matrices")."""
    term = plain(query)
    forms = {term}
    if lang == "en":
        forms |= {term.removesuffix("s"), re.sub(r"ix$", "ices", term)}
    return any(form and form in section_text for form in forms)


def segment(term: str) -> str:
    """A Chinese tag the way the search plugin writes the pages' text: jieba's words, with
    zero-width spaces between them, so a tag holds the same index words as the text."""
    if jieba is None:
        return term
    return re.sub(r"[\u4e00-\u9fff]+", lambda m: "\u200b".join(jieba.cut(m.group(0))), term)


def check_and_tag(index: dict[str, Any], terms: list[Term] = TERMS) -> list[str]:
    """Add each term to its section's ``tags`` in ``index``; return the problems found.

    A problem is a section missing from the index, or a section whose heading and text do not
    contain the term: tagging it would send readers to a section that does not say the word.
    """
    docs = {doc["location"]: doc for doc in index["docs"]}
    problems = []
    for term in terms:
        for lang, queries in (("en", term.en), ("zh", term.zh)):
            location = LANG_PREFIX[lang] + term.section
            doc = docs.get(location)
            if doc is None:
                problems.append(f"{lang} {queries}: no section {location} in the search index")
                continue
            text = plain(doc.get("title", "") + " " + doc.get("text", ""))
            for query in queries:
                if not says(text, query, lang):
                    problems.append(f"{lang} {query!r}: {location} does not say it")
                    continue
                tag = segment(query) if lang == "zh" else query
                tags = doc.setdefault("tags", [])
                if tag not in tags:
                    tags.append(tag)
    return problems


def on_config(config: Any) -> Any:
    # read the data file again: `mkdocs serve` picks up an edit at its next rebuild
    global TERMS
    TERMS = load_terms(DATA, Path(config["docs_dir"]))
    return config


@event_priority(i18n_order.AFTER_EVERY_LANGUAGE)
def on_post_build(config: Any) -> None:
    # only the merged index of every language holds the sections of both
    if not i18n_order.site_is_complete(config):
        return
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    chinese = {doc["location"].startswith("zh/") for doc in index["docs"]}
    if chinese != {True, False}:
        return  # one language only (tests/website/test_search.py checks the final index)
    problems = check_and_tag(index, TERMS)
    if problems:
        raise PluginError(
            f"search terms ({DATA.relative_to(DOCS.parent)}) that do not lead to a section "
            "saying them:\n  " + "\n  ".join(problems)
        )
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
