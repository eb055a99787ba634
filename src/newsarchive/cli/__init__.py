"""The ``newsarchive`` command line: a thin layer over :class:`newsarchive.Archive`.

Start-up matters (cron runs this every few minutes): this package imports only click at
start; each command imports the library parts it needs when it runs.
"""

from __future__ import annotations


def main() -> None:
    from newsarchive.cli.app import cli  # `import newsarchive.cli` stays cheap

    cli(prog_name="newsarchive")
