"""How long a cron run over unchanged feeds takes (issue 5): run by hand, not in CI.

    python benchmarks/bench_snapshot.py [--feeds 20] [--articles 3] [--runs 5]

Serves FEEDS feeds of ARTICLES article pages each (with ETags) from a local server on
127.0.0.1, archives them once, then times reruns where everything answers 304: the
library (run_snapshot) and the CLI (a subprocess, start-up included), against
`python -c pass` measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsarchive.archive import Archive  # noqa: E402
from newsarchive.web.fetch import make_fetcher  # noqa: E402
from newsarchive.web.snapshot import run_snapshot, FeedSpec  # noqa: E402
from tests.httpserver import Route, TestServer  # noqa: E402
from tests.test_snapshot import FEEDS, rss  # noqa: E402


def wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=20)
    ap.add_argument("--articles", type=int, default=3)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    server = TestServer().start()
    page = (FEEDS / "article1.html").read_bytes()
    urls = []
    for f in range(args.feeds):
        items = []
        for a in range(args.articles):
            path = f"/f{f}/a{a}"
            body = page.replace(b"putin-reaffirms-war-aims", f"story-{f}-{a}".encode())
            server.routes[path] = Route(body=body, etag=f'"{f}-{a}"')
            items.append((f"story {f}-{a}", server.url(path)))
        server.routes[f"/feed{f}.xml"] = Route(body=rss(items), etag=f'"feed{f}"',
                                               content_type="application/rss+xml")
        urls.append(server.url(f"/feed{f}.xml"))
    specs = [FeedSpec(u) for u in urls]
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        config = Path(tmp) / "config.toml"
        config.write_text("allow_private_networks = true\n")
        with Archive(store) as archive:
            with make_fetcher(allow_private_networks=True, host_delay=0) as fetcher:
                first = run_snapshot(archive, specs, fetcher=fetcher)  # prime the store
            added = sum(r.added for r in first)
            assert added == args.feeds * args.articles, f"primed {added} articles"
        # timed runs use the default politeness delay (a 304 does not wait)
        with Archive(store) as archive, make_fetcher(allow_private_networks=True) as fetcher:
            lib = []
            for _ in range(args.runs):
                start = time.perf_counter()
                reports = run_snapshot(archive, specs, fetcher=fetcher)
                lib.append(time.perf_counter() - start)
                assert all(r.not_modified and r.unchanged == args.articles for r in reports)
        cli = [wall([sys.executable, "-m", "newsarchive", "--store", str(store), "--config",
                     str(config), "snapshot", "-q", *urls]) for _ in range(args.runs)]
        base = [wall([sys.executable, "-c", "pass"]) for _ in range(args.runs)]
    server.stop()
    requests = args.feeds * (1 + args.articles)
    print(f"{args.feeds} unchanged feeds x {args.articles} pages ({requests} conditional "
          f"requests, all 304), median of {args.runs}:")
    print(f"  library run_snapshot   {statistics.median(lib) * 1000:8.1f} ms")
    print(f"  CLI snapshot -q        {statistics.median(cli) * 1000:8.1f} ms")
    print(f"  python -c pass         {statistics.median(base) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
