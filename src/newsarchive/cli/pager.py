"""Output through a pager on a terminal, as git does it.

On a terminal (and unless ``--no-pager``) long output goes through a pager: the command
in ``$NEWSARCHIVE_PAGER``, else ``$PAGER``, else ``less``; a pager set to ``""`` or
``cat`` means none. ``less`` gets ``LESS=FRX`` when ``$LESS`` is unset (quit at once when
the text fits on one screen, pass colours through, leave the text on the screen after
quitting), ``lv`` gets ``LV=-c``. Quitting the pager early is not an error.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys


def pager_command() -> str | None:
    """The pager to run, or None for none."""
    for name in ("NEWSARCHIVE_PAGER", "PAGER"):
        if name in os.environ:
            command = os.environ[name].strip()
            break
    else:
        command = "less" if shutil.which("less") else ""
    return None if command in ("", "cat") else command


def page(text: str) -> None:
    """Write ``text`` through the pager (or straight to stdout when there is none)."""
    command = pager_command()
    if command is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    try:
        first = shlex.split(command)[:1]
    except ValueError:
        first = []
    if os.name == "nt" or not first:   # no shell to run a command line with, or not one
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    encoding = sys.stdout.encoding or "utf-8"
    proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    try:
        proc.stdin.write(text.encode(encoding, "replace"))
        proc.stdin.close()
    except BrokenPipeError:   # the reader quit before the end: as git, not an error
        pass
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt:   # Ctrl-C is the pager's to handle (less ignores it)
            continue
