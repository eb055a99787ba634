"""One test class run against every object-store backend (store/interface.py).

The file-system backend (loose objects and packs) and the in-memory backend must keep
the same promises; a new backend is added to ``BACKENDS`` and passes this class, as
dulwich's ``ObjectStoreTests`` and borgstore's backend tests do for theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.errors import IntegrityError
from newsarchive.store.ids import object_id
from newsarchive.store.interface import ObjectBackend
from newsarchive.store.memory import MemoryObjectStore
from newsarchive.store.objects import ObjectStore


def _fs(tmp: Path) -> ObjectBackend:
    return ObjectStore(tmp / "objects")


def _memory(tmp: Path) -> ObjectBackend:
    return MemoryObjectStore()


BACKENDS: dict[str, Callable[[Path], ObjectBackend]] = {"filesystem": _fs, "memory": _memory}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectBackend]:
    yield BACKENDS[request.param](tmp_path)


class TestObjectBackend:
    def test_put_returns_the_content_address(self, backend: ObjectBackend) -> None:
        oid = backend.put("blob", b"Some article text.\n")
        assert oid == object_id("blob", b"Some article text.\n")
        assert backend.get(oid) == ("blob", b"Some article text.\n")
        assert backend.contains(oid)

    def test_a_record_never_shares_an_id_with_a_blob(self, backend: ObjectBackend) -> None:
        payload = b'{"v":1}'
        assert backend.put("blob", payload) != backend.put("record", payload)

    def test_put_twice_is_a_no_op(self, backend: ObjectBackend) -> None:
        a = backend.put("blob", b"x")
        b = backend.put("blob", b"x")
        assert a == b
        assert list(backend).count(a) == 1

    def test_absent_is_a_key_error(self, backend: ObjectBackend) -> None:
        missing = "0" * 64
        assert not backend.contains(missing)
        with pytest.raises(KeyError):
            backend.get(missing)

    def test_iterate_and_remove(self, backend: ObjectBackend) -> None:
        ids = {backend.put("blob", f"text {i}".encode()) for i in range(5)}
        assert set(backend) == ids
        victim = sorted(ids)[0]
        assert backend.remove(victim) > 0
        assert not backend.contains(victim)
        assert set(backend) == ids - {victim}
        assert backend.remove(victim) == 0  # removing what is gone frees nothing

    def test_a_batch_is_visible_only_when_finished(self, backend: ObjectBackend) -> None:
        writer = backend.pack_writer()
        base = writer.put("blob", b"The first version of the story.\n")
        oid = writer.put("blob", b"The second version of the story.\n", base=base)
        assert oid in writer and writer.written == 2
        assert not backend.contains(oid)
        writer.finish()
        assert backend.get(oid) == ("blob", b"The second version of the story.\n")
        assert backend.get(base)[1] == b"The first version of the story.\n"

    def test_an_aborted_batch_leaves_nothing(self, backend: ObjectBackend) -> None:
        writer = backend.pack_writer()
        oid = writer.put("blob", b"never committed")
        writer.abort()
        assert not backend.contains(oid)
        assert list(backend) == []

    def test_a_batch_skips_what_is_stored_unless_repacking(self,
                                                          backend: ObjectBackend) -> None:
        oid = backend.put("blob", b"held")
        writer = backend.pack_writer()
        writer.put("blob", b"held")
        assert writer.written == 0
        writer.abort()
        writer = backend.pack_writer(repack=True)
        writer.put("blob", b"held")
        assert writer.written == 1
        writer.finish()
        assert backend.get(oid) == ("blob", b"held")

    def test_loose_objects_have_a_time_written(self, backend: ObjectBackend) -> None:
        oid = backend.put("blob", b"dated")
        assert isinstance(backend.mtime(oid), float)
        assert backend.mtime("0" * 64) is None
        assert oid[2:] in backend.where(oid)  # where names it (a path, a pack, a key)

    def test_count_and_scan(self, backend: ObjectBackend) -> None:
        assert backend.count() == 0 and list(backend.scan()) == []
        loose = {backend.put("blob", f"loose {i}".encode()) for i in range(3)}
        writer = backend.pack_writer()
        base = None
        for i in range(5):
            base = writer.put("blob", f"packed text number {i}, mostly alike".encode(), base=base)
        writer.put("blob", b"loose 0")  # stored already: not again
        writer.finish()
        ids = set(backend)
        assert len(ids) == 8 and loose <= ids
        assert backend.count() == 8
        seen = list(backend.scan())
        assert sorted(s.oid for s in seen) == sorted(ids)
        for s in seen:
            assert s.error is None and (s.kind, s.payload) == backend.get(s.oid)

    @settings(max_examples=25, deadline=None)
    @given(payloads=st.lists(st.binary(max_size=200), max_size=8))
    def test_whatever_is_put_is_got_back(self, payloads: list[bytes]) -> None:
        for make in BACKENDS.values():
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                store = make(Path(tmp))
                ids = [store.put("blob", p) for p in payloads]
                assert [store.get(i)[1] for i in ids] == payloads


def test_filesystem_reads_are_verified(tmp_path: Path) -> None:
    """What the file system backend adds to the promises: a changed file is caught."""
    store = ObjectStore(tmp_path / "objects")
    oid = store.put("blob", b"original")
    path = store.path(oid)
    other = ObjectStore(tmp_path / "other")
    path.chmod(0o644)
    path.write_bytes(other.path(other.put("blob", b"tampered")).read_bytes())
    with pytest.raises(IntegrityError):
        store.get(oid)
    (bad,) = [s for s in store.scan() if s.error is not None]
    assert bad.oid == oid and isinstance(bad.error, IntegrityError)


def test_memory_reads_are_verified() -> None:
    store = MemoryObjectStore()
    oid = store.put("blob", b"original")
    store._objects[oid] = ("blob", b"tampered", 0.0)  # damage, as a failing disk would
    with pytest.raises(IntegrityError):
        store.get(oid)
    (bad,) = list(store.scan())
    assert bad.oid == oid and isinstance(bad.error, IntegrityError)
