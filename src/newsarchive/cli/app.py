"""The click group and its global options."""

from __future__ import annotations

import os
from typing import Any

import click

from newsarchive import __version__
from newsarchive.cli.context import State
from newsarchive.cli.errors import handled


class Group(click.Group):
    """Runs every command inside the one error handler."""

    def invoke(self, ctx: click.Context) -> Any:
        state = ctx.ensure_object(State)
        with handled(lambda: state.debug or bool(os.environ.get("NEWSARCHIVE_DEBUG"))):
            try:
                return super().invoke(ctx)
            finally:
                state.close()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", "store_flag", metavar="PATH", envvar=None,
              help="The archive directory (else $NEWSARCHIVE_STORE, the config's store, "
                   "or the user data directory).")
@click.option("--config", "config_flag", metavar="PATH",
              help="Config file (else $NEWSARCHIVE_CONFIG or the user config directory).")
@click.option("--wait", type=click.FloatRange(min=0), default=60.0, show_default=True,
              metavar="SECONDS", help="How long to wait for another writer's lock.")
@click.option("--debug", is_flag=True, help="Show tracebacks (also NEWSARCHIVE_DEBUG=1).")
@click.option("--no-color", is_flag=True, help="Never colour output (also NO_COLOR).")
@click.version_option(__version__, prog_name="newsarchive")
@click.pass_context
def cli(ctx: click.Context, store_flag: str | None, config_flag: str | None, wait: float,
        debug: bool, no_color: bool) -> None:
    """Archive news articles and show how they change.

    \b
    newsarchive add article.txt --source politico
    newsarchive log putin-reaffirms-war-aims
    newsarchive diff putin-reaffirms-war-aims
    """
    state = ctx.ensure_object(State)
    state.store_flag, state.config_flag, state.wait = store_flag, config_flag, wait
    state.debug = debug or bool(os.environ.get("NEWSARCHIVE_DEBUG"))
    state.no_color = no_color


def _register() -> None:
    from newsarchive.cli import cmd_changes, cmd_diff, cmd_maint, cmd_read, cmd_search, cmd_write
    from newsarchive.cli import cmd_snapshot

    for module in (cmd_write, cmd_read, cmd_diff, cmd_search, cmd_snapshot, cmd_changes,
                   cmd_maint):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()
