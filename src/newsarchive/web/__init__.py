"""The web: fetching pages safely (caps, timeouts, politeness, conditional GET), reading
feeds, and snapshotting them (``snapshot``)."""
