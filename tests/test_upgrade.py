"""A store written by the last release (format 2: version-1 records, catalog schema 1, no
journal) opens and is upgraded with nothing lost (issue 13, Deliver 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import newsarchive
from tests.conftest import CliRun

FORMAT2 = Path(__file__).parent / "data" / "format2"

# What the upgrade may change in an export: the words (one tokenizer now counts them),
# and, for that store's articles whose revisions were numbered in add order, nothing else.
KEYS = ("id", "source", "slug", "revision", "hash", "title", "captured_at", "author",
        "text", "original", "original_type")


def copied(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(FORMAT2 / "store", store)
    return store


def exported(records: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted(tuple(r.get(k) for k in KEYS) for r in records)


def before() -> list[dict[str, object]]:
    return [json.loads(line) for line in (FORMAT2 / "export.jsonl").read_text().splitlines()]


def test_a_read_upgrades_the_store(tmp_path: Path) -> None:
    store = copied(tmp_path)
    with newsarchive.open(store) as archive:
        assert exported(list(archive.export())) == exported(before())
    assert json.loads((store / "format").read_text())["version"] == 3
    assert (store / "journal").read_text().count("\n") == 1  # one commit of everything held


def test_reindex_upgrades_and_check_is_clean(cli: CliRun, tmp_path: Path) -> None:
    store = copied(tmp_path)
    r = cli("reindex", "--json", store_path=store)
    assert r.exit_code == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["revisions"] == 57 and done["adopted"] == 57
    r = cli("check", store_path=store)
    assert r.exit_code == 0 and "damage" not in r.stdout, r.stdout
    assert exported([json.loads(x) for x in cli("export", store_path=store).stdout.splitlines()]
                    ) == exported(before())


def test_the_upgraded_store_goes_on(cli: CliRun, tmp_path: Path) -> None:
    """After the upgrade, the same URL is the same article and gc keeps everything."""
    store = copied(tmp_path)
    r = cli("add", "-", "--url", "https://www.politico.eu/article/putin-reaffirms-war-aims/",
            "--captured-at", "2024-04-05T10:00:00Z", input="A fourth version of the story.\n",
            store_path=store)
    assert r.stdout.startswith("revised politico.eu/2024-04-03/putin-reaffirms-war-aims@4 ")
    assert cli("gc", "--grace", "0", store_path=store).exit_code == 0
    assert len(cli("export", store_path=store).stdout.splitlines()) == 58


def test_a_read_only_old_store_says_how_to_upgrade(tmp_path: Path) -> None:
    store = copied(tmp_path)
    with newsarchive.open(store) as archive:
        archive.store.upgrade = None  # as a store this process may not write
        with pytest.raises(newsarchive.StoreError) as info:
            archive.articles()
    assert info.value.remedy == "reindex" and "older newsarchive" in str(info.value)
