"""The docs match the code: every `dasan ...` command and option that README.md and docs/ name exists in the CLI,
every DASAN_* variable they name is a setting (or one of the few variables outside the settings), and every
setting is in the configuration table."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer.main
import typer.testing

from dasan.cli import app
from dasan.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Environment variables the docs may name that are not settings: the Makefile's and the tests'.
NOT_SETTINGS = {"DASAN_SKIP_LLM", "DASAN_TEST_POSTGRES", "DASAN_CONFIG"}
CODE = re.compile(r"```[a-z]*\n(.*?)```|`([^`\n]+)`", re.S)


def code_spans() -> list[tuple[str, str]]:
    """(document, code) for every inline code span and every line of a fenced block."""
    spans = []
    for doc in DOCS:
        for block, inline in CODE.findall(doc.read_text(encoding="utf-8")):
            for line in (block.splitlines() if block else [inline]):
                spans.append((doc.name, line.split("#")[0].strip() if block else line))
    return spans


def commands() -> list[tuple[str, str]]:
    found = []
    for doc, code in code_spans():
        for match in re.finditer(r"(?:^|[\s(;|&])dasan ((?:[a-z][\w-]*)(?:[ /][^;|&]*)?)", code):
            found.append((doc, match.group(1)))
    return found


def tokens(text: str) -> list[str]:
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    return [w for word in words for w in re.split(r"[\[\]]", word) if w and w != "..."]


def check(command, words: list[str], problems: list[str], said: str) -> None:
    """Walk ``words`` down the command tree from ``command``; record what does not exist."""
    if hasattr(command, "commands") and words:
        head, rest = words[0], words[1:]
        names = head.split("/")
        if all(name in command.commands for name in names):
            for name in names:
                check(command.commands[name], rest, problems, said)
            return
        if not head.startswith("-"):
            problems.append(f"`dasan {said}`: no command {head!r} under {command.name!r}")
            return
    known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for word in words:
        if word.startswith("-") and len(word) > 1 and not re.match(r"^-\d", word):
            option = word.split("=")[0]
            if option not in known:
                problems.append(f"`dasan {said}`: {command.name} has no option {option}")


def test_every_documented_command_and_option_exists():
    root = typer.main.get_command(app)
    documented = commands()
    assert len(documented) > 40  # the docs do name the commands (a broken pattern would find none)
    problems: list[str] = []
    for doc, text in documented:
        check(root, tokens(text), problems, text)
    assert problems == []


def env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return "DATABASE_URL" if alias is not None and field == "database_url" else f"DASAN_{field.upper()}"


def test_every_documented_variable_is_a_setting():
    settings_vars = {env_name(field) for field in Settings.model_fields}
    named = {var for doc in DOCS for var in re.findall(r"\bDASAN_[A-Z0-9_]+\b", doc.read_text(encoding="utf-8"))}
    assert named - settings_vars - NOT_SETTINGS == set()


def test_every_setting_is_in_the_configuration_table():
    table = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [env_name(field) for field in Settings.model_fields if env_name(field) not in table]
    assert missing == []


@pytest.mark.parametrize("path", [p for p in DOCS if p.name != "README.md"], ids=lambda p: p.name)
def test_every_page_is_in_the_contents(path):
    assert f"docs/{path.name}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_relative_links_point_at_files():
    broken = []
    for doc in DOCS:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text(encoding="utf-8")):
            target = target.strip()
            if not (doc.parent / target).exists():
                broken.append(f"{doc.name} -> {target}")
    assert broken == []


def test_help_shows_every_default_it_promises():
    """Option help that says "[default: ...]" keeps it (rich markup once ate such brackets: "Port .")."""
    root = typer.main.get_command(app)
    lost = []

    def walk(command, path: str) -> None:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")
            return
        result = typer.testing.CliRunner().invoke(app, [*path.split()[1:], "--help"], terminal_width=200)
        if re.search(r"\w \.(\s|$)", result.output) or "[default:" not in result.output and any(
                "\\[default:" in (getattr(p, "help", "") or "") for p in command.params):
            lost.append(path)

    walk(root, "dasan")
    assert lost == []
