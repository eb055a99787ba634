#!/usr/bin/env python3
"""Fingerprint the archive's outputs on a corpus, to show a refactoring changed nothing.

    python benchmarks/outputs.py CORPUS_DIR OUT_DIR

adds CORPUS_DIR to a new store under OUT_DIR (with a fixed clock for anything that says
"now"), then writes ``export``, ``log --json``, ``diff --format json`` and ``changes
--format json`` of every article (or the first 300) into OUT_DIR, and prints a SHA-256 of
each. Run it before and after a change and compare the lines: equal hashes, equal outputs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path


def run(store: Path, *args: str) -> bytes:
    cmd = [sys.executable, "-m", "newsarchive", "--store", str(store), *args]
    return subprocess.run(cmd, check=False, capture_output=True).stdout


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    store = out / "store"
    run(store, "add", "-q", str(corpus))
    outputs: dict[str, bytes] = {}
    outputs["export"] = run(store, "export")
    ids = [json.loads(line)["id"] for line in run(store, "list", "--json").splitlines()]
    ids = sorted(ids)[:300]
    outputs["log"] = b"".join(run(store, "log", "--json", i) for i in ids)
    outputs["diff"] = b"".join(run(store, "diff", "--format", "json", i) for i in ids)
    outputs["changes"] = run(store, "changes", "--format", "json", "--limit", "100000")
    for name, data in outputs.items():
        (out / f"{name}.out").write_bytes(data)
        # recorded_at and the store path vary from run to run: not outputs of the design
        print(f"{name:8} {len(data):>10} bytes  {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    main()
