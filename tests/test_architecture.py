"""The layers of docs/architecture.md, checked by import-linter (pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a test dependency (pip install '.[test]')"
    return subprocess.run([exe, "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_the_layers_hold() -> None:
    r = lint_imports(ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 kept, 0 broken" in r.stdout


@pytest.mark.slow
def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    """The contract is not vacuous: the store importing the facade breaks it."""
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "src", copy / "src")
    shutil.copy(ROOT / "pyproject.toml", copy)
    catalog = copy / "src" / "newsarchive" / "store" / "catalog.py"
    catalog.write_text(catalog.read_text() + "\nfrom newsarchive.archive import Archive\n")
    env_path = str(copy / "src")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe
    r = subprocess.run([exe, "--no-cache"], cwd=copy, capture_output=True, text=True,
                       timeout=300, env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    assert r.returncode != 0
    assert "newsarchive.store.catalog -> newsarchive.archive" in r.stdout
