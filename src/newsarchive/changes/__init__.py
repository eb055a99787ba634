"""Change intelligence: what kind of edit a revision is (:mod:`~newsarchive.changes.kinds`),
and the changes as an Atom feed or an HTML report (:mod:`~newsarchive.changes.feed`)."""
