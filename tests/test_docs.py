"""The docs stay true: the CLI reference is current and the README's commands are real."""

from __future__ import annotations

import pytest

import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, load_script


def load_generator():  # type: ignore[no-untyped-def]
    return load_script("gen_cli_docs")


def test_cli_reference_is_current() -> None:
    expected = load_generator().render()
    assert (ROOT / "docs" / "cli.md").read_text() == expected, (
        "docs/cli.md is out of date: run python scripts/gen_cli_docs.py"
    )


def test_readme_tour_names_every_command() -> None:
    from newsarchive.cli.app import COMMANDS

    readme = (ROOT / "README.md").read_text()
    for name in COMMANDS:
        assert f"newsarchive {name}" in readme or f"`{name}`" in readme, name


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_command = blocks[1].strip()
    assert "pytest" in test_command
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_docs_pages_exist() -> None:
    index = (ROOT / "docs" / "index.md").read_text()
    for page in re.findall(r"\]\(([a-z-]+\.md)\)", index):
        assert (ROOT / "docs" / page).exists(), page


def test_changelog_has_unreleased() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


@pytest.mark.slow
def test_quick_start_main_command(tmp_path: Path) -> None:
    """The README's first command (after the install) works on the shipped examples."""
    readme = (ROOT / "README.md").read_text()
    first = re.findall(r"```sh\n(.*?)\n```", readme, re.S)[0]
    steps = [s.strip() for s in first.split("&&")][1:]  # after `pip install .`
    assert len(steps) == 3 and all(s.startswith("newsarchive ") for s in steps)
    outputs = []
    for step in steps:
        args = step.replace("demo-archive", str(tmp_path / "demo")).split()[1:]
        r = subprocess.run([sys.executable, "-m", "newsarchive", "--no-color", *args], cwd=ROOT,
                           capture_output=True, text=True)
        assert r.returncode == 0, (step, r.stderr)
        outputs.append(r.stdout)
    assert "revised politico.eu/2024-04-03/putin-reaffirms-war-aims@3" in outputs[0]
    assert [line[:2] for line in outputs[1].splitlines()[1:]] == ["@3", "@2", "@1"]
    assert "{+" in outputs[2] and "[-" in outputs[2]
