"""The layers of docs/architecture.md, checked by import-linter (pyproject.toml)."""

from __future__ import annotations

import ast
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


def unexplained_inner_imports(root: Path) -> list[str]:
    """Imports inside functions without a comment on their block saying why (start-up time,
    an optional extra): the rule of docs/architecture.md."""
    found = []
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        for fn in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                first = node.lineno - 1  # up over the import lines of the same block
                while first > 0 and lines[first - 1].lstrip().startswith(("import ", "from ")):
                    first -= 1
                block = lines[max(first - 1, 0):node.end_lineno]  # and the line above it
                if not any("#" in line for line in block):
                    found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_import_inside_a_function_says_why() -> None:
    assert unexplained_inner_imports(ROOT / "src" / "newsarchive") == []


def test_an_unexplained_inner_import_is_found(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("def f():\n    import json\n\n    return json\n\n\n"
                                   "def g():\n    import json  # start-up time\n")
    assert unexplained_inner_imports(tmp_path) == ["m.py:2"]
