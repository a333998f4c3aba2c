"""The Chinese catalog is complete and faithful: every marked string has a zh-CN entry that
keeps its placeholders and Markdown, uses the glossary's terms, and no user-facing literal in
the translated modules escapes the translation layer."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from i18n.translate import catalog_path

REPO = Path(__file__).resolve().parents[2]
with (REPO / "babel.cfg").open(encoding="utf-8") as _cfg:
    METHOD_MAP, _OPTIONS = parse_mapping_cfg(_cfg)  # the same files `make messages` reads
# Modules already translated end to end: a bare English literal shown by Streamlit there fails.
TRANSLATED = (  # every module that shows words: app, pages and the ui package
    "app.py",
    *sorted(str(p.relative_to(REPO)) for p in (REPO / "pages").glob("*.py")),
    *sorted(str(p.relative_to(REPO)) for p in (REPO / "ui").rglob("*.py")),
)
PROPER_NAMES = {"TechPulse"}  # shown as they are in every language


def _extracted() -> set[str]:
    found = extract_from_dir(
        str(REPO), METHOD_MAP, keywords={"_": None, "N_": None}, comment_tags=()
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def _catalog() -> dict[str, str]:
    with catalog_path("zh-CN").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    return {m.id: ("" if m.fuzzy else m.string) for m in catalog if m.id}


def test_every_marked_string_has_a_chinese_translation() -> None:
    catalog = _catalog()
    missing = sorted(m for m in _extracted() if not catalog.get(m))
    assert not missing, f"run `make messages`, then translate in messages.po: {missing[:10]}"


def test_the_catalog_has_no_stale_entries() -> None:
    stale = sorted(set(_catalog()) - _extracted())
    assert not stale, f"entries no code uses (run `make messages`): {stale[:10]}"


def _fields(text: str) -> list[str]:
    return sorted(name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name)


def test_translations_keep_placeholders_and_markdown() -> None:
    broken = []
    for english, chinese in _catalog().items():
        if not chinese:
            continue
        if _fields(english) != _fields(chinese):
            broken.append(("placeholders", english))
        for style in (r"\$\w+", r"%\(\w+\)\w|%\w"):  # string.Template and argparse's
            if sorted(re.findall(style, english)) != sorted(re.findall(style, chinese)):
                broken.append((style, english))
        for mark in ("**", "`"):
            if english.count(mark) != chinese.count(mark):
                broken.append((mark, english))
        chinese.format(**{name: "x" for name in _fields(chinese)})  # formats without error
    assert not broken, broken


def _glossary() -> list[tuple[str, str]]:
    text = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8")
    terms = text.split("## Terms")[1].split("\n## ")[0]
    rows = [line.split("|")[1:3] for line in terms.splitlines() if line.startswith("| ")]
    return [(en.strip(), zh.strip()) for en, zh in rows[1:]]  # after the header row


def glossary_misses(catalog: dict[str, str]) -> list[tuple[str, str, str]]:
    """(term, its Chinese, English message) wherever a translation does not use the term."""
    wrong = []
    for english, chinese in catalog.items():
        prose = re.sub(r"\{[a-z_]+\}|`[^`]*`", "", english)  # placeholders and code are no words
        for term, zh in _glossary():
            flags = 0 if term.isupper() else re.IGNORECASE  # ROI the word, not roi.toml
            if re.search(rf"\b{re.escape(term)}", prose, flags) and zh not in chinese:
                wrong.append((term, zh, english))
    return wrong


def test_translations_use_the_glossary() -> None:
    assert len(_glossary()) >= 30
    assert glossary_misses(_catalog()) == []


def test_the_glossary_check_catches_a_wrong_term() -> None:
    """'incident' rendered as 事件 instead of the glossary's 故障 is reported."""
    wrong = {"Incidents started in the period.": "周期内开始的事件数。"}
    assert [m[:2] for m in glossary_misses(wrong)] == [("incident", "故障")]


SHOWN_ARGS = {"label", "help", "placeholder", "title", "body", "caption", "text", "value"}
# Streamlit calls whose first argument is read by people (st.Page's is a path: keywords only)
DISPLAY = {
    *("title", "header", "subheader", "caption", "markdown", "write", "text", "info"),
    *("warning", "error", "success", "toast", "badge", "spinner", "status", "expander"),
    *("button", "download_button", "link_button", "page_link", "form_submit_button"),
    *("selectbox", "multiselect", "radio", "checkbox", "toggle", "segmented_control", "pills"),
    *("text_input", "text_area", "number_input", "date_input", "slider", "select_slider"),
    *("file_uploader", "metric", "tabs", "popover", "dialog", "Column", "TextColumn"),
    *("NumberColumn", "DateColumn", "DatetimeColumn", "LinkColumn", "ProgressColumn"),
}


def _has_words(node: ast.expr) -> bool:
    """A literal (or an f-string's literal parts) with English words in it."""
    parts: list[str] = []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        parts = [node.value]
    elif isinstance(node, ast.JoinedStr):
        parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
    text = " ".join(parts)
    return bool(re.search(r"[A-Za-z]{2,}", text)) and text.strip() not in PROPER_NAMES


def _is_streamlit(func: ast.expr) -> bool:
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id == "st"


def unmarked(source: str) -> list[tuple[int, str]]:
    """Literals passed straight to a Streamlit call, not through ``_()``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and _is_streamlit(node.func)):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name == "set_page_config":
            continue
        first = node.args[:1] if name in DISPLAY else []
        shown = [*first, *(k.value for k in node.keywords if k.arg in SHOWN_ARGS)]
        found += [(arg.lineno, ast.unparse(arg)[:60]) for arg in shown if _has_words(arg)]
    return found


@pytest.mark.parametrize("module", TRANSLATED)
def test_translated_modules_show_no_bare_english(module: str) -> None:
    assert unmarked((REPO / module).read_text(encoding="utf-8")) == [], module


def test_the_bare_english_check_catches_one() -> None:
    source = (
        'import streamlit as st\nst.caption(_("ok"))\nst.sidebar.warning(f"Late by {n} days")\n'
    )
    assert unmarked(source) == [(3, "f'Late by {n} days'")]


def shadowed_translator(source: str) -> list[int]:
    """Lines where a module that imports ``_`` from i18n assigns ``_`` (``kind, _ = …``) outside
    a comprehension: the function then calls a tuple instead of the translator."""
    tree = ast.parse(source)
    imports = any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("i18n")
        and any(alias.name == "_" for alias in node.names)
        for node in ast.walk(tree)
    )
    found: list[int] = []

    class Stores(ast.NodeVisitor):
        def visit_ListComp(self, node: ast.AST) -> None:  # its own scope: harmless there
            return None

        visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_ListComp

        def visit_Name(self, node: ast.Name) -> None:
            if node.id == "_" and isinstance(node.ctx, ast.Store):
                found.append(node.lineno)

    if imports:
        Stores().visit(tree)
    return found


def test_no_module_shadows_the_translator() -> None:
    assert shadowed_translator("from i18n import _\nkind, _ = 1, 2\n") == [2]  # the check works
    assert shadowed_translator("from i18n import _\nx = [a for a, _ in []]\n") == []
    modules = [p for p in REPO.rglob("*.py") if not {".venv", "tests"} & set(p.parts)]
    shadowed = {
        str(path.relative_to(REPO)): lines
        for path in modules
        if (lines := shadowed_translator(path.read_text(encoding="utf-8")))
    }
    assert shadowed == {}
