"""The README and docs/ stay true: links and named files exist, shown commands parse, --help stays short."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from simplevla.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH = re.compile(r"(?<![\w./-])((?:benchmarks|experiments|docs|src|tests|\.ci)/[\w./-]*\w)")
COMMAND = re.compile(r"(?:^|`|\$ )(simplevla [^`\n|]*)", re.MULTILINE)


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def test_docs_pages_exist():
    names = {p.name for p in PAGES}
    for name in (
        "tabletop.md",
        "data.md",
        "policies.md",
        "training.md",
        "evaluation.md",
        "lessons.md",
        "results.md",
    ):
        assert name in names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_and_named_files_exist(page):
    text = _text(page)
    for target in LINK.findall(text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
    for path in PATH.findall(text):
        if "<" in path or path.startswith("src/simplevla.egg"):
            continue
        assert (ROOT / path).exists(), f"{page.name}: names {path}, which does not exist"


def _shown_commands() -> list[tuple[str, str]]:
    shown = []
    for page in PAGES:
        for line in COMMAND.findall(_text(page)):
            line = line.split("#")[0].split("  ")[0].strip().rstrip("\\").strip()
            shown.append((page.name, line))
    return shown


def _help(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0, argv
    return capsys.readouterr().out


@pytest.mark.parametrize("page, line", _shown_commands(), ids=lambda x: x if isinstance(x, str) else "")
def test_every_shown_command_and_flag_exists(page, line, capsys):
    words = shlex.split(line.replace("<", "").replace(">", ""))[1:]
    path = []
    for w in words:
        if w.startswith("-") or "/" in w or "." in w or w.isupper():
            break
        path.append(w)
    helptext = _help(path, capsys)
    for flag in re.findall(r"(?<!\S)(--[a-z][\w.-]*)", line):
        assert flag in helptext, (
            f"{page}: `{line}` shows {flag}, which `simplevla {' '.join(path)} --help` lacks"
        )


def test_help_is_one_screen_with_the_readme_words(capsys):
    top = _help([], capsys)
    assert len(top.splitlines()) <= 40 and "Union type" not in top
    readme = _text(ROOT / "README.md")
    for name, words in COMMANDS.items():
        assert f"| `simplevla {name}` | {words} |" in readme
        sub = _help([name], capsys)
        assert "Union type" not in sub and "Union[" not in sub


def test_readme_is_short():
    assert len(_text(ROOT / "README.md").splitlines()) <= 160
    assert "session" not in _text(ROOT / "README.md").lower()
    for page in PAGES:
        assert not re.search(r"\bsession[- ]\d", _text(page), re.IGNORECASE), page.name
