"""Every `flask …` command the READMEs document runs as written, from the project root, without
FLASK_APP (the project's .flaskenv names the app) — against a throwaway SQLite database.

A few need a value the README leaves to the reader (an admin's address, a folder, a URL: the
test has no internet, so the shipped snapshot stands in for CISA's feed); those are filled in
below, and nothing else is changed. A command added to a README without a way to run it here
fails the test until it gets one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
READMES = (
    ROOT / "README.md",
    ROOT / "questionnaires" / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
)
PASSWORD = "a-long-enough-password-2026"

# What a command needs that the README leaves to the reader, by the command as written.
FILLED_IN = {
    "create-admin": ["--email", "ops@state.example.gov", "--name", "Ops Admin"],
    "generate-dataset": ["--organizations", "3", "--assessments", "4"],
}
PLACEHOLDERS = {
    "DIR": str(ROOT / "questionnaires"),
    "EMAIL": "ops@state.example.gov",  # the admin create-admin made
    "TICKET": "ticket-4711",
    "[PATH_OR_URL]": "",
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json": str(
        ROOT / "data" / "kev" / "known_exploited_vulnerabilities.json"
    ),
}
# Run first, in this order: the schema, then the catalog, the demo (refused once a real account
# exists) and the admin the others expect.
FIRST = ("db upgrade", "kev import", "seed-demo", "create-admin")


def documented_commands() -> list[str]:
    """Each distinct `flask …` command line in the READMEs, as written (comments, `cd … &&`,
    `.venv/bin/` and `--app portal` taken off)."""
    found: list[str] = []
    for readme in READMES:
        for line in readme.read_text(encoding="utf-8").splitlines():
            for match in re.finditer(
                r"(?:\.venv/bin/)?flask (?:--app portal )?([a-z][^`#\n]*)", line
            ):
                command = " ".join(match.group(1).split())
                if "," in command:  # a list of commands in prose, not a command line
                    continue
                if command.split()[0] not in ("run", "shell", "routes") and command not in found:
                    found.append(command)
    return found


def _command_words(command: str) -> list[str]:
    words = []
    for word in command.split():
        if word in PLACEHOLDERS:
            if PLACEHOLDERS[word]:
                words.append(PLACEHOLDERS[word])
            continue
        words.append(word)
    # Words in prose after the command ("flask create-admin." ends a sentence).
    return [w.rstrip(".,;:'\"") for w in words]


def _ordered(commands: list[str]) -> list[str]:
    return sorted(
        commands, key=lambda c: next((i for i, f in enumerate(FIRST) if c.startswith(f)), 9)
    )


def _environment(tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path}/readme.db",
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(tmp_path / "mail"),
    }


def test_every_documented_command_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first command runs as a person types it (the `flask` script, the app found through
    .flaskenv); the others through the same command group in this process — the same parsing
    and code, without paying a fresh interpreter and its imports 15 more times (50 s)."""
    commands = _ordered(documented_commands())
    assert "questionnaire validate" in " | ".join(commands)
    assert "kev import" in " | ".join(commands)
    for name in [k for k in os.environ if k.startswith(("FLASK_", "PORTAL_ENV"))]:
        monkeypatch.delenv(name)
    for name, value in _environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    # Each distinct command line once, placeholders filled ("kev import [PATH_OR_URL]" is "kev
    # import"; "db upgrade" quoted in prose is "db upgrade").
    lines: list[list[str]] = []
    for command in commands:
        words = _command_words(command)
        words += FILLED_IN.get(words[0], [])
        if words not in lines:
            lines.append(words)
    first, *others = lines
    result = subprocess.run(
        [FLASK, *first],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, (result.stderr or result.stdout)[-400:]

    monkeypatch.chdir(ROOT)
    # What .flaskenv sets (FLASK_APP) leaves with the test.
    monkeypatch.setenv("FLASK_APP", "portal")
    monkeypatch.delenv("FLASK_APP")
    failures = []
    for words in others:
        # A FlaskGroup like the `flask` script's: it reads .flaskenv and builds the app afresh.
        outcome = CliRunner().invoke(
            FlaskGroup(), words, input=f"{PASSWORD}\n{PASSWORD}\n", catch_exceptions=True
        )
        if outcome.exit_code != 0:
            failures.append(
                f"flask {' '.join(words)}: {outcome.output[-400:]}{outcome.exception!r}"
            )
    assert not failures, "\n".join(failures)
