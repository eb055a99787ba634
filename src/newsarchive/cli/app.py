"""The click group and its global options."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from newsarchive.version import __version__
from newsarchive.cli.commands import COMMANDS
from newsarchive.cli.context import Seconds, State

# newsarchive.cli.errors (and the library's errors behind it) is imported where an error
# can occur, not at start: `newsarchive --help` imports click and this package only.


class OneLineUsageError(click.UsageError):
    """A usage error shown as one ``error: ...`` line (SPEC 7), not click's three."""

    def show(self, file: Any = None) -> None:
        from newsarchive.cli.errors import error_line  # on an error only: start-up time

        hint = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        error_line(self.format_message() + hint)


# shown as click shows them: ours, and the help that a bare `newsarchive` prints (click 8.2+)
AS_THEY_ARE = tuple(t for t in (OneLineUsageError,
                                getattr(click.exceptions, "NoArgsIsHelpError", None)) if t)


@contextmanager
def one_line_usage() -> Iterator[None]:
    try:
        yield
    except AS_THEY_ARE:
        raise
    except click.UsageError as err:
        raise OneLineUsageError(err.format_message(), err.ctx) from err


def summary_command(name: str) -> click.Command:
    """A stand-in with the command's summary: click shortens it as it would the command's."""
    return click.Command(name, help=COMMANDS[name][1])


class Group(click.Group):
    """Loads commands on demand and runs every command inside the one error handler."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(f"newsarchive.cli.{COMMANDS[cmd_name][0]}")
        command: click.Command = next(c for c in module.COMMANDS if c.name == cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list as click draws it, from the summaries above."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, summary_command(name).get_short_help_str(limit))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with one_line_usage():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        from newsarchive.cli.errors import handled  # not for --help: start-up time

        state = ctx.ensure_object(State)
        with handled(lambda: state.debug or bool(os.environ.get("NEWSARCHIVE_DEBUG"))):
            try:
                with one_line_usage():
                    return super().invoke(ctx)
            finally:
                state.close()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", "store_flag", metavar="PATH", envvar=None,
              help="The archive directory (else $NEWSARCHIVE_STORE, the config's store, "
                   "or the user data directory).")
@click.option("--config", "config_flag", metavar="PATH",
              help="Config file (else $NEWSARCHIVE_CONFIG or the user config directory).")
@click.option("--wait", type=Seconds(), default=60.0, show_default=True,
              metavar="SECONDS", help="How long to wait for another writer's lock.")
@click.option("--debug", is_flag=True, help="Show tracebacks (also NEWSARCHIVE_DEBUG=1).")
@click.option("--no-color", is_flag=True, help="Never colour output (also NO_COLOR).")
@click.option("--no-pager", is_flag=True,
              help="Never page output (else a terminal's long output goes through "
                   "$NEWSARCHIVE_PAGER, $PAGER or less).")
@click.version_option(__version__, prog_name="newsarchive")
@click.pass_context
def cli(ctx: click.Context, store_flag: str | None, config_flag: str | None, wait: float,
        debug: bool, no_color: bool, no_pager: bool) -> None:
    """Archive news articles and show how they change.

    \b
    newsarchive add article.txt --source politico.eu
    newsarchive log putin-reaffirms-war-aims
    newsarchive diff putin-reaffirms-war-aims
    """
    state = ctx.ensure_object(State)
    state.store_flag, state.config_flag, state.wait = store_flag, config_flag, wait
    state.debug = debug or bool(os.environ.get("NEWSARCHIVE_DEBUG"))
    state.no_color = no_color
    state.no_pager = no_pager
