"""``python -m newsarchive``: the same as the ``newsarchive`` command."""

from newsarchive.cli import main

if __name__ == "__main__":
    main()
