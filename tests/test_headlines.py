"""Headline tests (newsarchive.changes.headlines): titles taking turns within a day, the
text unchanged, are labelled and summarised once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.changes.headlines import headline_tests
from newsarchive.changes.kinds import classify, flip_flops

T0 = datetime(2024, 3, 4, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
A = "Storm Elin: 12 dead as floods sweep river towns"
B = "Floods sweep river towns, killing 12"
C = "'We have never seen water come up this fast'"


def history(*steps: tuple[float, str, str]) -> list[tuple[datetime, str, str]]:
    """(hours after T0, title, text hash) -> the history the function takes."""
    return [(T0 + h * H, title, text) for h, title, text in steps]


def test_an_ab_test_within_a_day() -> None:
    h = history((0, A, "t1"), (1, B, "t1"), (2, A, "t1"), (3, B, "t1"), (4, B, "t1"))
    result = headline_tests(h)
    assert result.labels == (False, False, True, True, False)
    assert result.labels[:4] == tuple(flip_flops([(t, title) for _, title, t in h[:4]]))
    [test] = result.tests
    assert test.revisions == (1, 2, 3)
    assert (test.start, test.end, test.final) == (T0 + H, T0 + 3 * H, B)
    assert [(v.title, v.seen) for v in test.variants] == [(A, 2), (B, 2)]
    assert test.variants[0].first_seen == T0 and test.variants[0].last_seen == T0 + 2 * H


def test_one_headline_change_is_not_a_test() -> None:
    assert headline_tests(history((0, A, "t"), (1, B, "t"), (30, B, "t"))).labels == \
        (False, False, False)


def test_a_return_after_more_than_a_day_is_a_plain_change() -> None:
    result = headline_tests(history((0, A, "t"), (1, B, "t"), (26, A, "t")))
    assert result.labels == (False, False, False) and result.tests == ()
    wide = headline_tests(history((0, A, "t"), (1, B, "t"), (26, A, "t")),
                          window=timedelta(days=2))
    assert wide.labels == (False, False, True)


def test_three_headlines_in_rotation() -> None:
    h = history((0, A, "t"), (1, B, "t"), (2, C, "t"), (3, A, "t"), (4, B, "t"), (5, C, "t"))
    result = headline_tests(h)
    assert result.labels == (False, False, False, True, True, True)
    [test] = result.tests
    assert test.revisions == (1, 2, 3, 4, 5) and len(test.variants) == 3
    assert {v.title: v.seen for v in test.variants} == {A: 2, B: 2, C: 2}


def test_the_text_must_stay_the_same() -> None:
    result = headline_tests(history((0, A, "t1"), (1, B, "t1"), (2, A, "t2")))
    assert result.labels == (False, False, False)
    two = headline_tests(history((0, A, "t1"), (1, B, "t1"), (2, A, "t1"), (3, A, "t2"),
                                 (4, C, "t2"), (5, A, "t2"), (6, C, "t2")))
    assert two.labels == (False, False, True, False, False, True, True)
    assert [t.revisions for t in two.tests] == [(1, 2), (4, 5, 6)]


def test_counts_of_captures_and_whitespace() -> None:
    h = history((0, A, "t"), (1, "  " + B.replace(" ", "  "), "t"), (2, A, "t"))
    result = headline_tests(h, seen=[5, 3, 2])
    assert result.labels == (False, False, True)
    assert {v.title: v.seen for v in result.tests[0].variants} == {A: 7, B: 3}
    with pytest.raises(ValueError):
        headline_tests(h, seen=[1])


def test_the_summary_as_json() -> None:
    h = history((0, A, "t"), (1, B, "t"), (2, A, "t"))
    record = headline_tests(h).tests[0].to_dict()
    assert json.loads(json.dumps(record)) == {
        "start": "2024-03-04T09:00:00Z", "end": "2024-03-04T10:00:00Z", "revisions": [1, 2],
        "final": A,
        "variants": [
            {"title": A, "seen": 2, "first_seen": "2024-03-04T08:00:00Z",
             "last_seen": "2024-03-04T10:00:00Z"},
            {"title": B, "seen": 1, "first_seen": "2024-03-04T09:00:00Z",
             "last_seen": "2024-03-04T09:00:00Z"},
        ],
    }


def test_a_labelled_revision_is_a_headline_test_not_a_headline_change() -> None:
    assert classify("text", "text", A, B) == ("headline",)
    assert classify("text", "text", A, B, headline_test=True) == ("headline-test",)
    assert classify("text", "text", A, A, headline_test=True) == ()


steps = st.lists(st.tuples(st.integers(0, 40), st.sampled_from("ABC"), st.sampled_from("xy")),
                 max_size=14)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(steps)
def test_labels_depend_only_on_the_revisions_up_to_them(raw: list[tuple[int, str, str]]) -> None:
    """So the indexer, labelling a revision as it is added, agrees with reindex."""
    hours = 0.0
    h = []
    for gap, title, text in raw:
        hours += gap
        h.append((T0 + hours * H, title, text))
    labels = headline_tests(h).labels
    for i in range(len(h)):
        assert headline_tests(h[: i + 1]).labels == labels[: i + 1]
    for test in headline_tests(h).tests:
        assert labels[test.revisions[-1]] and not labels[test.revisions[0]]
        assert sum(v.seen for v in test.variants) == test.revisions[-1] - test.revisions[0] + 2
