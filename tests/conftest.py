"""Shared fixtures: an isolated environment, a temp store, CLI runners."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

# No time limit on a property test's example: a timing never decides a test (a loaded CI
# machine took 299 ms for a query example hypothesis allowed 200 ms).
settings.register_profile("newsarchive", deadline=None)
settings.load_profile("newsarchive")

pytest_plugins = ["tests.httpserver"]

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "examples" / "seed-article.txt"
EXAMPLES = ROOT / "examples" / "articles"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's real config or data directories."""
    home = tmp_path_factory.mktemp("home")
    for var in ("NEWSARCHIVE_STORE", "NEWSARCHIVE_CONFIG", "NEWSARCHIVE_DEBUG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture
def keep_packs() -> None:
    """Adds leave the packs and loose objects they write as they are (the default
    config says ``auto_pack = false``): for tests of stores of several packs."""
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "newsarchive" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("auto_pack = false\n")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def seed_text() -> str:
    if SEED.exists():
        return SEED.read_text("utf-8")
    return (EXAMPLES / "putin-reaffirms-war-aims.1.txt").read_text("utf-8").split("\n\n", 1)[1]


CliRun = Callable[..., Result]


@pytest.fixture
def cli(store: Path) -> CliRun:
    """Run the CLI in-process against the temp store: ``cli("add", path, input=...)``."""
    from newsarchive.cli.app import cli as group

    def run(*args: str, input: str | bytes | None = None, store_path: Path | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(group, ["--store", str(store_path or store), *args], input=input,
                             prog_name="newsarchive", catch_exceptions=False)

    return run


@pytest.fixture
def proc(store: Path) -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Run the CLI as a real subprocess (``python -m newsarchive``)."""

    def run(*args: str, input: bytes | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "newsarchive", "--store", str(store), *args],
            input=input, capture_output=True, env=full_env, timeout=timeout,
        )

    return run


def load_script(name: str) -> Any:
    """A script of ``scripts/`` (not a package) loaded as a module, e.g. a docs generator."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tree_digest(path: Path) -> dict[str, str]:
    """Every file under ``path`` with the SHA-256 of its bytes: to prove nothing changed."""
    out = {}
    if not path.exists():
        return out
    for p in sorted(path.rglob("*")):
        if p.is_file() and not p.name.endswith(("-shm",)) and p.name != "lock":
            out[str(p.relative_to(path))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _drain(master: int) -> bytes:
    """All a pseudo-terminal received, once its other side is closed."""
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed and drained
            return out
        if not chunk:
            return out
        out += chunk


def stderr_on_a_terminal(cmd: list[str]) -> tuple[int, bytes]:
    """(exit status, what reached the terminal) of ``cmd`` with its stderr on a real
    pseudo-terminal (where commands draw their progress bars)."""
    import pty  # POSIX only: the rest of the suite runs without it

    master, slave = pty.openpty()
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=slave, timeout=120)
        os.close(slave)
        return done.returncode, _drain(master)
    finally:
        os.close(master)


def on_a_terminal(store: Path, *args: str, env: dict[str, str] | None = None
                  ) -> tuple[int, bytes, bytes]:
    """(exit status, what reached the terminal, stderr) of the CLI with its stdout on a
    real pseudo-terminal."""
    import pty  # POSIX only: the rest of the suite runs without it

    master, slave = pty.openpty()
    try:
        base = {k: v for k, v in os.environ.items()
                if k not in ("PAGER", "NEWSARCHIVE_PAGER", "LESS", "NO_COLOR")}
        p = subprocess.Popen([sys.executable, "-m", "newsarchive", "--store", str(store), *args],
                             stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             env={**base, "TERM": "dumb", "PAGER": "cat", **(env or {})})
        os.close(slave)
        out = _drain(master)
        p.wait(timeout=120)
        assert p.stderr is not None
        return p.returncode, out.replace(b"\r\n", b"\n"), p.stderr.read()
    finally:
        os.close(master)
