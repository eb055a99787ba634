"""How the store opens its files: never through a link planted in its place, always in
binary mode (both flags are 0 where the platform lacks them)."""

from __future__ import annotations

import os

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_BINARY = getattr(os, "O_BINARY", 0)
