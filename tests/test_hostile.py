"""Hostile layouts and names (SPEC 3, 8; issue 6): nothing is ever written outside the store,
whatever links are planted inside it or whatever names, slugs, titles or URLs say.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.errors import InputError, StoreError
from newsarchive.text.canonical import canonicalize, content_hash
from tests.conftest import CliRun

SOURCE = r"[a-z0-9][a-z0-9._-]{0,63}"
ID_RE = re.compile(rf"^{SOURCE}/\d{{4}}-\d{{2}}-\d{{2}}/[a-z0-9-]{{1,96}}$")
LINE_RE = re.compile(r"^(added|revised|unchanged) (\S+)@(\d+)")
# Every file a store may hold (objects fan-out, packs, catalog, lock, format, quarantine).
STORE_FILE_RE = re.compile(
    r"^(format|lock|journal|catalog\.sqlite(-wal|-shm|-journal)?|objects/[0-9a-f]{2}/[0-9a-f]{62}"
    r"|objects/pack/pack-[0-9a-f]+-\d+\.(pack|idx)|objects/pack/(multi-pack-index|dictionary)"
    r"|quarantine/[0-9a-f]{64})$"
)


class WroteOutside(AssertionError):
    """Something outside the store changed (kept apart so xfail can name it)."""


def snapshot(root: Path, exclude: Path | None = None) -> dict[str, str]:
    """Every entry under ``root`` (not following links): files by digest, links by target."""
    out: dict[str, str] = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if exclude is not None:
            dirnames[:] = [d for d in dirnames if here / d != exclude]
        for name in dirnames + filenames:
            p = here / name
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def one_line_error_or_ok(r) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in (r.stderr or "")
    if r.exit_code != 0:
        assert r.exit_code == 1, (r.exit_code, r.stderr)
        assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr


# -- planted symlinks ------------------------------------------------------------------------
NEW_TEXT = "A planted link must never be followed out of the store."


def seed(cli: CliRun, store: Path, tmp_path: Path) -> None:
    r = cli("add", "-", "--source", "seed", "--slug", "seed", input="Seed text.\n")
    assert r.exit_code == 0
    d = tmp_path / "seed"
    d.mkdir()
    for i in range(20):  # one pack beside the loose objects
        (d / f"s{i}.txt").write_text(f"source: seed\nslug: s{i}\n\nSeed story {i}.\n")
    assert cli("add", str(d)).exit_code == 0


def add_single(cli: CliRun, tmp_path: Path):  # type: ignore[no-untyped-def]
    return cli("add", "-", "--source", "evil", "--slug", "planted", input=NEW_TEXT + "\n")


def add_bulk(cli: CliRun, tmp_path: Path):  # type: ignore[no-untyped-def]
    d = tmp_path / "bulk"
    d.mkdir(exist_ok=True)
    for i in range(20):
        (d / f"b{i}.txt").write_text(
            f"source: evil\nslug: b{i}\n\nBulk story {i} through a link.\n")
    return cli("add", str(d))


def plant_fanout(store: Path, outside: Path) -> None:
    fan = store / "objects" / content_hash(canonicalize(NEW_TEXT))[:2]
    if fan.exists():
        shutil.rmtree(fan)  # (holds seed objects only by chance; the link replaces it)
    fan.symlink_to(outside / "dir", target_is_directory=True)


def plant_pack_dir(store: Path, outside: Path) -> None:
    pack = store / "objects" / "pack"
    shutil.rmtree(pack)
    pack.symlink_to(outside / "dir", target_is_directory=True)


def plant_objects_dir(store: Path, outside: Path) -> None:
    shutil.copytree(store / "objects", outside / "dir" / "objects-copy")
    shutil.rmtree(store / "objects")
    (store / "objects").symlink_to(outside / "dir" / "objects-copy", target_is_directory=True)


def plant_catalog(kind: str) -> Callable[[Path, Path], None]:
    def plant(store: Path, outside: Path) -> None:
        target = outside / "file"
        if kind == "empty":
            target.write_bytes(b"")
        elif kind == "copy":  # another store's catalog, say
            shutil.copyfile(store / "catalog.sqlite", target)
        elif kind == "dangling":
            target.unlink()
        (store / "catalog.sqlite").unlink()
        (store / "catalog.sqlite").symlink_to(target)
    return plant


def plant_sidecar(name: str) -> Callable[[Path, Path], None]:
    def plant(store: Path, outside: Path) -> None:
        p = store / name
        if p.exists():
            p.unlink()
        p.symlink_to(outside / "file")
    return plant


def plant_quarantine(store: Path, outside: Path) -> None:
    (store / "quarantine").symlink_to(outside / "dir", target_is_directory=True)
    loose = sorted(p for p in (store / "objects").glob("??/*") if p.is_file())
    loose[0].write_bytes(b"corrupt")  # so that check --repair sets something aside


def plant_format_tmp(store: Path, outside: Path) -> None:
    (store / "format").unlink()  # a store that lost its format file gets a new one
    (store / ".format.tmp").symlink_to(outside / "file")


LINK_CASES = [
    ("fanout-dir", plant_fanout, ("add", add_single), None),
    ("pack-dir", plant_pack_dir, ("add", add_bulk), None),
    ("objects-dir-single", plant_objects_dir, ("add", add_single), None),
    ("objects-dir-bulk", plant_objects_dir, ("add", add_bulk), None),
    ("catalog-to-empty-file", plant_catalog("empty"), ("add", add_single), None),
    ("catalog-to-other-catalog", plant_catalog("copy"), ("add", add_single), None),
    ("catalog-dangling-reindex", plant_catalog("dangling"), ("reindex",), None),
    ("catalog-wal", plant_sidecar("catalog.sqlite-wal"), ("add", add_single), None),
    ("catalog-shm", plant_sidecar("catalog.sqlite-shm"), ("add", add_single), None),
    ("lock", plant_sidecar("lock"), ("add", add_single), None),
    ("quarantine-dir", plant_quarantine, ("check", "--repair"), None),
    ("format-tmp", plant_format_tmp, ("add", add_single), None),
]


@pytest.mark.slow
@pytest.mark.parametrize("plant,command", [
    pytest.param(plant, command, id=name, marks=mark or ())
    for name, plant, command, mark in LINK_CASES])
def test_planted_symlink_never_leads_outside(tmp_path: Path, store: Path, cli: CliRun,
                                             plant: Callable[[Path, Path], None],
                                             command: tuple) -> None:  # type: ignore[type-arg]
    seed(cli, store, tmp_path)
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "file").write_text("precious, not the archive's\n")
    plant(store, outside)
    before = snapshot(outside)
    if command[0] == "add":
        r = command[1](cli, tmp_path)
    else:
        r = cli(*command)
    one_line_error_or_ok(r)
    after = snapshot(outside)
    if after != before:
        changed = sorted(set(before.items()) ^ set(after.items()))
        raise WroteOutside(f"outside the store changed: {changed[:6]}")


def test_planted_temp_file_link(tmp_path: Path) -> None:
    """The temp name a loose write will use, pre-created as a link to a file outside."""
    archive = newsarchive.open(tmp_path / "store")
    archive.add("Seed text.", source="seed")
    outside = tmp_path / "outside"
    outside.write_text("precious\n")
    text = canonicalize("A text whose temp file name is taken by a link.")
    oid = content_hash(text)
    fan = tmp_path / "store" / "objects" / oid[:2]
    fan.mkdir(exist_ok=True)
    (fan / f".tmp-{oid[2:]}.{os.getpid()}").symlink_to(outside)
    try:
        res = archive.add(text, source="seed", slug="temp-link")
    except StoreError:
        pass  # refusing is fine
    else:
        assert archive.show(res.revision.ref) == text
    finally:
        archive.close()
    assert outside.read_text() == "precious\n"
    assert not (fan / oid[2:]).is_symlink()


# -- fuzzed names ----------------------------------------------------------------------------
HOSTILE = [
    "..", ".", "../", "../../etc/passwd", "/etc/passwd", "/", "./x", "a/../../b", "..\\..\\x",
    "C:\\Windows\\system32", "~", "~/x", "$HOME", "%2e%2e%2f", "..%2f..%2fx", "\x00",
    "nul\x00byte", "\u202e", "\u200b", "😀", "Gießen", "İstanbul", "ǅ", "ﬁ", "x" * 300,
    "-", "--", "-rf", ".hidden", "con", "aux.txt", "objects", "catalog.sqlite", "lock",
    "format", " ", "\t", "a\rb", "file:///etc/passwd", "https://", "http://../../x",
    "https://example.com/../../../etc/passwd", "https://example.com/a/..%2F..%2Fb",
    "https://evil.example/%00/x", "https://www./a", "https://[::1]/a", "javascript:alert(1)",
]


def hostile_values(extra: list[str], safe: str | None = None) -> st.SearchStrategy[str | None]:
    """A hostile value, or (so that some inputs do get archived) nothing or a safe one."""
    return st.one_of(
        st.none(),
        st.just(safe) if safe is not None else st.none(),
        st.sampled_from(HOSTILE + extra),
        st.text(max_size=40),
        st.text(alphabet=st.sampled_from("./\\~%-_:@ aZ9\x00ÿé"), max_size=20),
        st.lists(st.sampled_from(HOSTILE + extra), min_size=2, max_size=3).map("/".join),
    )


def hostile_url(extra: list[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        hostile_values(extra),
        hostile_values(extra).map(lambda v: "https://news.example/" + (v or "")),
    )


SAFE = {"source": "src", "slug": None, "title": None, "date": "2024-04-03", "author": None}


SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def store_files_are_ours(store: Path) -> None:
    for p in store.rglob("*"):
        rel = p.relative_to(store).as_posix()
        assert not p.is_symlink(), rel
        if p.is_file():
            assert STORE_FILE_RE.match(rel), f"unexpected file in the store: {rel!r}"


@pytest.fixture
def arena(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(tmp_path, store): the working directory is inside tmp_path, so relative escapes land
    where the test looks."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path, tmp_path / "store"


def watched(tmp_path: Path, store: Path) -> dict[str, str]:
    return {**snapshot(tmp_path, exclude=store),
            **{"HOME/" + k: v for k, v in snapshot(Path(os.environ["HOME"])).items()}}


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_fuzzed_names_via_api(arena: tuple[Path, Path], data: st.DataObject) -> None:
    tmp_path, store = arena
    absolute = [str(tmp_path / "evil"), str(tmp_path / "cwd" / "x"), str(tmp_path)]
    kw = {key: data.draw(hostile_values(absolute, safe), label=key)
          for key, safe in SAFE.items()}
    kw["url"] = data.draw(hostile_url(absolute), label="url")
    text = data.draw(st.sampled_from(["Body text.", "Another body.", "../../etc/passwd"]))
    before = watched(tmp_path, store)
    archive = newsarchive.open(store)
    try:
        res = archive.add(text, **kw)
    except InputError:
        res = None
    finally:
        archive.close()
    event("archived" if res is not None else "input error")
    assert watched(tmp_path, store) == before
    if res is not None:
        assert ID_RE.match(res.revision.id), res.revision.id
        archive = newsarchive.open(store)
        assert archive.get(res.revision.ref).hash == res.revision.hash
        archive.close()
    store_files_are_ours(store)


@pytest.mark.slow
@SETTINGS
@given(data=st.data())
def test_fuzzed_header_values_via_cli(arena: tuple[Path, Path], data: st.DataObject,
                                      cli: CliRun) -> None:
    tmp_path, store = arena
    absolute = [str(tmp_path / "evil"), str(tmp_path)]
    header = []
    for key in ("source", "slug", "title", "url"):
        value = data.draw(hostile_url(absolute) if key == "url" else
                          hostile_values(absolute, SAFE.get(key)), label=key)
        if value is not None:  # a header value ends at the line end
            header.append(f"{key}: {value.replace(chr(10), ' ').replace(chr(13), ' ')}")
    if not any(h.startswith("source: ") for h in header):
        header.append("source: fuzz")
    body = "\n".join(header) + "\n\nThe body of a fuzzed article.\n"
    before = watched(tmp_path, store)
    r = cli("add", "-", input=body.encode("utf-8", "surrogatepass"))
    assert watched(tmp_path, store) == before
    one_line_error_or_ok(r)
    event(f"exit {r.exit_code}")
    if r.exit_code == 0:
        m = LINE_RE.match(r.stdout)
        assert m and ID_RE.match(m.group(2)), r.stdout
    else:
        assert r.stdout == ""
    store_files_are_ours(store)


@SETTINGS
@given(name=st.text(min_size=1, max_size=120).filter(
    lambda s: "/" not in s and "\x00" not in s and s not in (".", "..")
    and len(s.encode("utf-8", "surrogatepass")) < 200))
@pytest.mark.slow
def test_fuzzed_file_names(arena: tuple[Path, Path], cli: CliRun, name: str) -> None:
    """The input file's name is a slug candidate; whatever it is, nothing escapes."""
    tmp_path, store = arena
    inputs = tmp_path / "inputs"
    shutil.rmtree(inputs, ignore_errors=True)
    inputs.mkdir()
    try:
        (inputs / f"{name}.txt").write_text("A body whose file name is hostile.\n")
    except (OSError, UnicodeEncodeError):
        return  # not a name this file system can hold
    before = watched(tmp_path, store)
    r = cli("add", str(inputs), "--source", "fuzz")
    assert watched(tmp_path, store) == before
    one_line_error_or_ok(r)
    event(f"exit {r.exit_code}")
    for line in r.stdout.splitlines():
        m = LINE_RE.match(line)
        assert m and ID_RE.match(m.group(2)), line
    store_files_are_ours(store)


@SETTINGS
@given(ref=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=80),
                     st.text(alphabet="0123456789abcdef", min_size=7, max_size=64),
                     st.sampled_from(HOSTILE).map(lambda v: f"src/2024-04-03/{v}@1"),
                     ).filter(lambda r: "\n" not in r and "\r" not in r))  # see the next test
@pytest.mark.slow
def test_fuzzed_refs_on_read(arena: tuple[Path, Path], cli: CliRun, ref: str) -> None:
    """Reading by a hostile reference names no path: a one-line error or a verified text."""
    tmp_path, store = arena
    if not store.exists():
        assert cli("add", "-", "--source", "src", "--date", "2024-04-03", "--slug", "known",
                   input="Known text.\n").exit_code == 0
    before = watched(tmp_path, store)
    for command in ("show", "log", "diff"):
        r = cli(command, "--", ref)
        one_line_error_or_ok(r)  # a usage error (an empty ref, say) is one line too
    assert watched(tmp_path, store) == before
    store_files_are_ours(store)


def test_ref_with_newline_is_a_one_line_error(cli: CliRun) -> None:
    r = cli("add", "-", "--source", "src", "--slug", "known", input="Known text.\n")
    assert r.exit_code == 0
    r = cli("show", "--", "no-such\narticle")
    assert r.exit_code == 1
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr


# -- pathological tokens (issue 18) ------------------------------------------------------------
# The child writes its own high-water mark (VmHWM, of its own address space only) when it
# exits: the rusage of a child counts the memory of the process that spawned it before the
# exec (a pytest worker that has grown to 370 MB made every child look that large).
_PEAK = """import runpy, sys
out = sys.argv.pop(1)
try:
    runpy.run_module("newsarchive", run_name="__main__", alter_sys=True)
finally:
    hwm = [x for x in open("/proc/self/status") if x.startswith("VmHWM:")][0]
    open(out, "w").write(hwm.split()[1])
"""


def peak_rss_mb(store: Path, *args: str) -> tuple[int, float]:
    """Run the CLI in a subprocess; its exit code and peak resident set in MB."""
    import subprocess
    import sys

    out = store.parent / "peak-kb"
    p = subprocess.run([sys.executable, "-c", _PEAK, str(out), "--store", str(store), *args],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode, int(out.read_text()) / 1024


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_an_8_mb_word_keeps_memory_bounded(tmp_path: Path, store: Path) -> None:
    """One 8 MB token (no space in it) added, revised and diffed: Python's re kept state for
    every character of a repeated group (1 GB); each command now stays under 200 MB."""
    letters = bytes(97 + i % 26 for i in range(256))
    word = os.urandom(8 * 1024 * 1024).translate(letters)
    header = b"source: tok\ndate: 2024-01-01\ntitle: One long word\nslug: tok\n\n"
    for i, body in enumerate((word, word[:4_000_000] + b"Z" + word[4_000_000:])):
        path = tmp_path / f"word{i}.txt"
        path.write_bytes(header + body + b"\n")
        code, peak = peak_rss_mb(store, "add", str(path))
        assert code == 0 and peak < 200, (i, code, peak)
    code, peak = peak_rss_mb(store, "diff", "tok")
    assert code == 0 and peak < 200, (code, peak)


# -- layouts check must see (issue 18) -----------------------------------------------------------
def test_a_linked_fanout_directory_is_damage_check_repair_mends(
        tmp_path: Path, store: Path, cli: CliRun) -> None:
    """``objects/ab`` planted as a link: add refused to write through it while check said ok.
    Now check reports it, add says what to do, and check --repair replaces the link by a
    directory of verified copies of what it led to (nothing there is changed)."""
    seed(cli, store, tmp_path)
    exported = cli("export").stdout
    outside = tmp_path / "outside"
    outside.mkdir()
    fan = content_hash(canonicalize(NEW_TEXT))[:2]
    if (store / "objects" / fan).exists():
        shutil.rmtree(store / "objects" / fan)  # (seed objects only by chance: repaired below)
    (outside / "empty").mkdir()
    (outside / "empty" / ("0" * 62)).write_bytes(b"not an object")
    (store / "objects" / fan).symlink_to(outside / "empty", target_is_directory=True)
    held = next(d for d in sorted((store / "objects").glob("??")) if d.name != fan
                and not d.is_symlink() and any(d.iterdir()))  # a directory of seed objects,
    shutil.move(held, outside / "held")  # moved out and linked: reads went through the link
    held.symlink_to(outside / "held", target_is_directory=True)
    before_outside = snapshot(outside)
    r = add_single(cli, tmp_path)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "symbolic link" in r.stderr and "check --repair" in r.stderr
    r = cli("check", "--json")
    problems = json.loads(r.stdout)["problems"]
    assert r.exit_code == 1
    links = {p["object"] for p in problems if p["kind"] == "link" and p["damage"]}
    assert links == {str(store / "objects" / fan), str(held)}, problems
    r = cli("check", "--repair")
    assert r.exit_code == 0, r.stdout
    assert r.stdout.count("a symbolic link to") == 2 and "replaced by a directory" in r.stdout
    for d in (store / "objects" / fan, held):
        assert not d.is_symlink() and d.is_dir()
    assert snapshot(outside) == before_outside
    assert cli("check").exit_code == 0
    assert cli("export").stdout == exported
    assert add_single(cli, tmp_path).exit_code == 0
    assert cli("check").exit_code == 0
    store_files_are_ours(store)


def test_an_object_replaced_by_a_link_is_set_aside(tmp_path: Path, store: Path,
                                                   cli: CliRun) -> None:
    """A loose object replaced by a symbolic link: check --repair refused forever ("cannot
    be read"); it is corrupt, and a repair sets it aside like any corrupt object."""
    seed(cli, store, tmp_path)
    outside = tmp_path / "outside"
    outside.write_text("precious\n")
    loose = sorted(p for p in (store / "objects").glob("??/*") if p.is_file())[0]
    loose.unlink()
    loose.symlink_to(outside)
    r = cli("check", "--json")
    problems = json.loads(r.stdout)["problems"]
    assert r.exit_code == 1
    oid = loose.parent.name + loose.name
    assert [p["detail"] for p in problems if p["object"] == oid and p["damage"]] == [
        "a symbolic link, not an object file"], problems
    r = cli("check", "--repair")
    assert r.exit_code == 0, r.stdout
    assert (store / "quarantine" / oid).is_symlink()  # the link itself, moved
    assert outside.read_text() == "precious\n"
    assert cli("check", "-q").exit_code == 0


@pytest.mark.parametrize("command", [("gc", "--grace", "0"), ("check", "--repair")])
def test_a_garbage_pack_without_index_is_set_aside(tmp_path: Path, store: Path, cli: CliRun,
                                                   command: tuple[str, ...]) -> None:
    """check's note said gc and check --repair would index it, and neither could: they set
    it aside in quarantine/ and say so; check is then silent."""
    seed(cli, store, tmp_path)
    garbage = store / "objects" / "pack" / ("pack-" + "ab" * 20 + "-1.pack")
    garbage.write_bytes(os.urandom(5000))
    r = cli("check")
    assert r.exit_code == 0 and "sets it aside in quarantine/" in r.stdout, r.stdout
    r = cli(*command)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    said = r.stdout + r.stderr
    assert garbage.name in said and "set aside in quarantine/" in said, said
    assert not garbage.exists() and (store / "quarantine" / garbage.name).is_file()
    r = cli("check")
    assert r.exit_code == 0 and "unindexed" not in r.stdout, r.stdout
