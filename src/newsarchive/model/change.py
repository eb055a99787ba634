"""One revision against the one before it (:class:`Change`): what ``changes`` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsarchive.model.revision import Revision


@dataclass(frozen=True)
class Change:
    """One revision after the first, against the revision before it."""

    revision: Revision
    previous: Revision
    first_changed: str | None
    headline_test: dict[str, Any] | None = None
    """For a ``headline-test`` revision, the test it belongs to, standing for all its
    switches: ``start``, ``end``, ``revisions`` (numbers), ``final`` and ``variants``
    (``title``, ``seen``, ``first_seen``, ``last_seen``), most seen first."""

    @property
    def title_changed(self) -> bool:
        return self.previous.title != self.revision.title

    def to_dict(self) -> dict[str, Any]:
        d = self.revision.to_dict()
        d["first_changed"] = self.first_changed
        d["previous_title"] = self.previous.title if self.title_changed else None
        if self.headline_test is not None:
            d["headline_test"] = self.headline_test
        return d
