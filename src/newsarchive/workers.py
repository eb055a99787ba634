"""Worker processes for bulk writes.

Preparing texts (canonical form, hash, names) and comparing each with its predecessor
are pure functions of the inputs; on a bulk write they run in worker processes while
the main process writes objects and catalog rows, which stay in one process and one
transaction. Workers only ever save time: where they cannot start, or one dies, the
work is done in the calling process. Workers start with ``spawn`` on first use: as with any use of
multiprocessing, a program that asks for ``workers > 1`` must guard its entry point
with ``if __name__ == "__main__":`` (the ``newsarchive`` command does).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from newsarchive.errors import UsageError

if TYPE_CHECKING:  # imported when workers start: they cost start-up time
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")


#: Added to the workers' niceness. The parent writes every object and catalog row in one
#: process, so it sets the pace, and on as many cores as workers it competed with them
#: for the CPU: a bulk add of 20,000 articles on 2 cores took 89.7 to 98.1 s with the
#: workers at the parent's priority, 75.7 to 82.6 s with them at +10 (and 82.5 to 88.9 s
#: with one worker), the same work done. They still get every cycle the parent leaves.
NICENESS = 10


class Workers:
    """A pool of ``count`` worker processes, started on first use, stopped by close()."""

    def __init__(self, count: int) -> None:
        self.asked = self.count = count
        self._pool: ProcessPoolExecutor | None = None

    @property
    def parallel(self) -> bool:
        return self.count > 1

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` in a worker; done here, at once, when there are no workers: one
        was asked for, the platform cannot start them, or one died (the pool is broken)."""
        from concurrent.futures import Future  # concurrent, multiprocessing: start-up time

        if self.count > 1 and self._pool is None and not _can_spawn():
            self.count = 1
        if self.count > 1:
            try:
                if self._pool is None:
                    import multiprocessing  # the first worker: start-up time
                    from concurrent.futures import ProcessPoolExecutor

                    self._pool = ProcessPoolExecutor(
                        self.count, mp_context=multiprocessing.get_context("spawn"),
                        initializer=_worker_start)
                return self._pool.submit(fn, *args)
            except (OSError, ImportError, NotImplementedError, RuntimeError):
                self.count = 1  # (BrokenProcessPool is a RuntimeError)
        here: Future[T] = Future()
        try:
            here.set_result(fn(*args))
        except Exception as err:
            here.set_exception(err)
        return here

    def lost(self) -> None:
        """A worker died under a task (its future failed): the pool is broken, so the rest
        of this run is done here; the next run may start workers again."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self.count = 1

    def close(self) -> None:
        """Stop the workers; the next call starts new ones (even after a failure)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.count = self.asked


def _can_spawn() -> bool:
    """Whether spawned workers can start here. UsageError inside a worker that is still
    importing the caller's script: a script without the ``__main__`` guard runs again in
    every worker, and doing the work there would do it once per worker. False when the
    caller's ``__main__`` cannot be imported again (a script read from standard input,
    ``python -c``, an interactive session): each worker would fail, loudly."""
    import multiprocessing  # start-up time

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise UsageError("workers > 1 needs the program's entry point guarded by "
                         "'if __name__ == \"__main__\":' (the workers import the program)")
    main = sys.modules.get("__main__")
    if getattr(main, "__spec__", None) is not None:
        return True  # python -m: the workers import the module by name
    path = getattr(main, "__file__", None)
    return isinstance(path, str) and os.path.isfile(path)


def _worker_start() -> None:
    """First thing in each worker: let go of the parent's standard streams (whoever
    reads the command's output must not wait for its workers), yield the CPU to the
    parent (:data:`NICENESS`) and exit as soon as the parent is gone (killed, it will
    never collect the results, and the pool's queues would keep its workers waiting
    forever)."""
    import multiprocessing  # in a worker: start-up time of the parent
    from multiprocessing.connection import wait

    if hasattr(os, "nice"):  # POSIX
        os.nice(NICENESS)

    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    parent = multiprocessing.parent_process()
    if parent is not None:
        def watch() -> None:
            wait([parent.sentinel])
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
