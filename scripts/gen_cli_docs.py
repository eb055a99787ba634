"""Write docs/cli.md from the commands' own --help (tests/test_docs.py checks it is current).

    python scripts/gen_cli_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsarchive.cli.app import cli

HEADER = """# Command reference

Generated from `newsarchive --help` by `scripts/gen_cli_docs.py`; `tests/test_docs.py`
fails when it is out of date. Global options go before the command name:
`newsarchive --store ./arch add ...`.

Exit codes: 0 success; 1 failure (for several inputs: any failed, the rest still
processed); 2 usage error or malformed query; 3 the store stayed locked past `--wait`;
130 interrupted (Ctrl-C, which stops even a long query within a second).
Errors are one line on stderr, `error: ...`; `--debug` (or `NEWSARCHIVE_DEBUG=1`) shows
tracebacks. Colour only on a terminal, never with `NO_COLOR` or `--no-color`; long output
on a terminal goes through a pager (`$NEWSARCHIVE_PAGER`, `$PAGER` or `less` with
`LESS=FRX`), never with `--no-pager`. Every date option takes the same forms
(`2024-04-03`, `2024-04`, `yesterday`, `7d`, `2 weeks ago`, ISO times; UTC).

Shell completion (click): `eval "$(_NEWSARCHIVE_COMPLETE=bash_source newsarchive)"` in
`~/.bashrc`; `zsh_source` for zsh; `_NEWSARCHIVE_COMPLETE=fish_source newsarchive | source`
for fish.
"""


def help_text(command: click.Command, name: str, parent: click.Context | None) -> str:
    ctx = click.Context(command, info_name=name, parent=parent, terminal_width=100,
                        max_content_width=100, help_option_names=["-h", "--help"])
    return command.get_help(ctx)


def render() -> str:
    parts = [HEADER, "## newsarchive\n", "```text", help_text(cli, "newsarchive", None), "```\n"]
    root = click.Context(cli, info_name="newsarchive", help_option_names=["-h", "--help"])
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        assert command is not None
        parts += [f"## newsarchive {name}\n", "```text", help_text(command, name, root), "```\n"]
        if isinstance(command, click.Group):  # its subcommands too (`watch run`)
            ctx = click.Context(command, info_name=name, parent=root,
                                help_option_names=["-h", "--help"])
            for sub in command.list_commands(ctx):
                subcommand = command.get_command(ctx, sub)
                assert subcommand is not None
                parts += [f"### newsarchive {name} {sub}\n", "```text",
                          help_text(subcommand, sub, ctx), "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
    target.write_text(render())
    sys.stdout.write(f"wrote {target}\n")
