"""A hypothesis state machine over the ``Archive`` API (issue 6, item 9): add, revise, revert,
re-add unchanged, export + import, reindex, gc and reopen in random order, against a simple
in-memory model (article id -> list of (canonical text, title)).
"""

from __future__ import annotations

import pytest

import hashlib
import os
import shutil
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import newsarchive
from newsarchive.errors import NewsArchiveError
from newsarchive.ingest.jsonl import record_to_draft
from newsarchive.text.canonical import canonicalize

pytestmark = pytest.mark.slow  # crash/concurrency/disk: run by CI, not the inner loop

SOURCE, DATE = "st", "2024-01-01"
WORDS = ["alpha", "beta", "gamma", "delta", "café", "Gießen", "naïve", "rates", "war", "peace"]
TITLES = ["Title A", "Title B", "  Spaced \t  title  ", "Ünïcode title", "Title A"]


@st.composite
def texts(draw: st.DrawFn) -> tuple[str, str]:
    """(the text as some input would have it, its canonical form as SPEC 4 defines it)."""
    paragraphs = draw(st.lists(
        st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5), min_size=1,
                 max_size=3),
        min_size=1, max_size=3))
    clean = "\n\n".join(" ".join(" ".join(s).capitalize() + "." for s in p)
                        for p in paragraphs) + "\n"
    # the same text with the noise canonicalisation removes
    space = draw(st.sampled_from([" ", "  ", "\t", " \t "]))
    par_sep = draw(st.sampled_from(["\n\n", "\r\n\r\n", "\n\n\n\n", "\n \n"]))
    decompose = draw(st.booleans())
    noisy = par_sep.join(space.join(" ".join(s).capitalize() + "." for s in p)
                         for p in paragraphs)
    noisy = noisy.replace(" ", space)
    if decompose:
        noisy = unicodedata.normalize("NFD", noisy)
    noisy = draw(st.sampled_from(["", "\n", "\n\n  \n"])) + noisy + draw(
        st.sampled_from(["", "\n", "  \n\n\n", "\r\n"]))
    return noisy, clean


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# The model is about the API's semantics, not durability: where a RAM file system exists,
# the stores live there, so that fsync does not dominate the runtime.
SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def norm_title(title: str) -> str:
    return " ".join(title.split())


class ArchiveMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="newsarchive-stateful-", dir=SCRATCH))
        self.archive = newsarchive.open(self.dir / "store")
        self.archive.init()
        self.model: dict[str, list[tuple[str, str]]] = {}
        self.count = 0

    def teardown(self) -> None:
        self.archive.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ----------------------------------------------------------------------
    def now(self) -> str:
        """Every add a capture of its own, later than the one before (a clock)."""
        self.tick = getattr(self, "tick", 0) + 1
        return (f"2024-01-02T{self.tick // 3600:02d}:{self.tick // 60 % 60:02d}:"
                f"{self.tick % 60:02d}Z")

    def _add(self, ident: str, noisy: str, title: str) -> None:
        slug = ident.rsplit("/", 1)[1]
        history = self.model.setdefault(ident, [])
        canonical = canonicalize(noisy)
        res = self.archive.add(noisy, source=SOURCE, date=DATE, slug=slug, title=title,
                               captured_at=self.now())
        assert res.revision.id == ident
        assert res.revision.hash == sha(canonical)
        entry = (canonical, norm_title(title))
        if history and history[-1] == entry:
            assert res.status == "unchanged"
            assert res.revision.number == len(history)
            return
        assert res.status == ("revised" if history else "added")
        history.append(entry)
        assert res.revision.number == len(history)

    def _pick(self, data: st.DataObject, min_revisions: int = 1) -> str:
        ids = sorted(i for i, h in self.model.items() if len(h) >= min_revisions)
        return data.draw(st.sampled_from(ids), label="article")

    # -- rules ------------------------------------------------------------------------
    @rule(text=texts(), title=st.sampled_from(TITLES))
    def add_new(self, text: tuple[str, str], title: str) -> None:
        event("rule add_new")
        noisy, clean = text
        assert canonicalize(noisy) == clean  # SPEC 4's canonical form
        self.count += 1
        self._add(f"{SOURCE}/{DATE}/story-{self.count}", noisy, title)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), text=texts(), title=st.sampled_from(TITLES))
    def revise(self, data: st.DataObject, text: tuple[str, str], title: str) -> None:
        event("rule revise")
        self._add(self._pick(data), text[0], title)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), word=st.sampled_from(WORDS), title=st.sampled_from(TITLES))
    def edit(self, data: st.DataObject, word: str, title: str) -> None:
        """A small edit of the latest text, as news sites make them."""
        event("rule edit")
        ident = self._pick(data)
        text = self.model[ident][-1][0]
        self._add(ident, text.rstrip("\n") + f" {word.capitalize()}.\n", title)

    @precondition(lambda self: any(len(h) >= 2 for h in self.model.values()))
    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        event("rule revert")
        ident = self._pick(data, 2)
        history = self.model[ident]
        older = data.draw(st.sampled_from(history[:-1]), label="older")
        self._add(ident, older[0], older[1])

    @precondition(lambda self: self.model)
    @rule(data=st.data(), noise=st.sampled_from(["", "  \n\n", "\r\n", "\n\n\n"]))
    def readd_unchanged(self, data: st.DataObject, noise: str) -> None:
        event("rule readd_unchanged")
        ident = self._pick(data)
        text, title = self.model[ident][-1]
        res = self.archive.add(text.replace("\n", " \n") + noise, source=SOURCE, date=DATE,
                               slug=ident.rsplit("/", 1)[1], title=f" {title} ",
                               captured_at=self.now())
        assert res.status == "unchanged" and res.revision.number == len(self.model[ident])

    @rule()
    def export_import(self) -> None:
        event("rule export_import")
        exported = list(self.archive.export())
        assert len(exported) == sum(len(h) for h in self.model.values())
        other_dir = Path(tempfile.mkdtemp(prefix="newsarchive-stateful-copy-", dir=SCRATCH))
        try:
            other = newsarchive.open(other_dir / "store")
            other.init()
            drafts = [record_to_draft(dict(rec), origin=f"export:{n}")
                      for n, rec in enumerate(exported, 1)]
            results = list(other.import_(drafts))
            assert not [r for r in results if isinstance(r, NewsArchiveError)], results
            statuses = {getattr(r, "status", None) for r in results}
            assert statuses <= {"added", "revised"}, statuses
            assert list(other.export()) == exported  # a lossless round trip
            other.close()
        finally:
            shutil.rmtree(other_dir, ignore_errors=True)
        # importing what is already there adds nothing
        again = list(self.archive.import_(
            record_to_draft(dict(rec), origin="again") for rec in exported))
        assert [getattr(r, "status", r) for r in again] == ["unchanged"] * len(exported)
        assert list(self.archive.export()) == exported

    @rule()
    def reindex(self) -> None:
        event("rule reindex")
        before = list(self.archive.export())
        counts = self.archive.reindex()
        assert counts.revisions == sum(len(h) for h in self.model.values())
        assert counts.damaged == 0
        assert list(self.archive.export()) == before

    @rule()
    def gc(self) -> None:
        event("rule gc")
        before = list(self.archive.export())
        self.archive.gc(grace=0)
        assert list(self.archive.export()) == before

    @rule()
    def reopen(self) -> None:
        event("rule reopen")
        self.archive.close()
        self.archive = newsarchive.open(self.dir / "store")

    # -- invariants -------------------------------------------------------------------
    @invariant()
    def log_matches_model(self) -> None:
        for ident, history in self.model.items():
            log = self.archive.log(ident)
            assert [r.number for r in log] == list(range(len(history), 0, -1))
            for rev in log:
                text, title = history[rev.number - 1]
                assert (rev.hash, rev.title) == (sha(text), title), rev.ref
                prev = history[rev.number - 2][0] if rev.number > 1 else None
                reverts = None
                if prev is not None and text != prev:
                    firsts = [n for n, (t, _) in enumerate(history[: rev.number - 1], 1)
                              if t == text]
                    reverts = firsts[0] if firsts else None
                assert rev.reverts == reverts, rev.ref
            assert self.archive.show(ident) == history[-1][0]

    @invariant()
    def check_finds_no_damage(self) -> None:
        if self.model:
            damage = [p for p in self.archive.check() if p.damage]
            assert damage == [], damage


ArchiveMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestArchiveMachine = ArchiveMachine.TestCase
