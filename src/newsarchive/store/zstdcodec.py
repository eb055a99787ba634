"""The zstd encodings of pack entries (see :mod:`newsarchive.store.packs`).

- encoding 2: the payload compressed by zstd (level 3) with a dictionary trained on the
  store's texts; the entry's base field names the dictionary, a ``blob`` object of the
  store (its id is the SHA-256 of the dictionary's bytes, so it is verified like any
  object when read). A missing or corrupt dictionary makes the entry unreadable:
  damage that ``check`` reports, never a silent loss.
- encoding 3: a delta, the payload compressed by zstd (level 3) with its base's payload
  as raw-content dictionary (zstd's window covers the whole base, deflate's only its
  last 32 KiB).

Frames carry their content size (checked against :data:`MAX_PAYLOAD` before any memory
is allocated; bytes after the frame are damage, not ignored), no checksum (the payload
is re-hashed against its id anyway) and no dictionary id (the entry names it).

This module is imported only when an entry needs it (``import zstandard`` costs a
command start-up ~10 ms), never by commands that read no zstd entry.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TypeVar

import zstandard as zstd

T = TypeVar("T")
LEVEL = 3
MAX_PAYLOAD = 64 << 20  # larger than any input newsarchive takes (16 MiB)
DICT_SIZE = 110_000  # bytes: what the measurements of docs/performance.md used
MIN_SAMPLES = 100  # texts needed to train a dictionary worth its size
SAMPLES = 3000  # texts a dictionary is trained on (reservoir-sampled)
_DECOMPRESSORS: OrderedDict[bytes, zstd.ZstdDecompressor] = OrderedDict()


class ZstdFormatError(Exception):
    """A zstd frame that cannot be an entry's (no or too large a content size)."""


Error = zstd.ZstdError  # what zstandard raises on damaged data


def _params(dictionary: zstd.ZstdCompressionDict | None) -> dict[str, object]:
    return {"level": LEVEL, "dict_data": dictionary, "write_content_size": True,
            "write_checksum": False, "write_dict_id": False}


class Trained:
    """A trained dictionary, ready to compress with; ``oid`` is its object id."""

    def __init__(self, data: bytes, oid: bytes) -> None:
        self.data = data
        self.oid = oid
        d = zstd.ZstdCompressionDict(data, dict_type=zstd.DICT_TYPE_FULLDICT)
        self._compressor = zstd.ZstdCompressor(**_params(d))  # type: ignore[arg-type]

    def compress(self, payload: bytes) -> bytes:
        return bytes(self._compressor.compress(payload))


def compress_delta(payload: bytes, base_payload: bytes) -> bytes:
    d = zstd.ZstdCompressionDict(base_payload, dict_type=zstd.DICT_TYPE_RAWCONTENT)
    return bytes(zstd.ZstdCompressor(**_params(d)).compress(payload))  # type: ignore[arg-type]


def _checked(data: bytes) -> None:
    size = zstd.frame_content_size(data)
    if size < 0 or size > MAX_PAYLOAD:
        raise ZstdFormatError(f"zstd frame of unknown or excessive size ({size})")


def decompress_with(data: bytes, dictionary: bytes, dictionary_id: bytes) -> bytes:
    """Encoding 2: ``dictionary`` is the verified payload of the object ``dictionary_id``
    (decompressors are kept for the last few dictionaries)."""
    _checked(data)
    dctx = _DECOMPRESSORS.get(dictionary_id)
    if dctx is None:
        d = zstd.ZstdCompressionDict(dictionary, dict_type=zstd.DICT_TYPE_FULLDICT)
        dctx = zstd.ZstdDecompressor(dict_data=d)
        _DECOMPRESSORS[dictionary_id] = dctx
        while len(_DECOMPRESSORS) > 4:
            _DECOMPRESSORS.popitem(last=False)
    return bytes(dctx.decompress(data, allow_extra_data=False))


def decompress_delta(data: bytes, base_payload: bytes) -> bytes:
    """Encoding 3. A decompressor made for each delta (its context, for the base as raw
    content dictionary) cost 16 of the 20 us a delta took; zstandard's content-dictionary
    chain decompresses a frame with the frame before it as raw-content dictionary on one
    context kept per thread, so the base goes in front as a frame of raw blocks
    (:func:`_raw_frame`: a memcpy for zstd). Bytes after the delta's frame, which the
    chain would ignore, are refused first (:func:`_frame_length`)."""
    _checked(data)
    end = _frame_length(data)
    if end != len(data):
        raise ZstdFormatError(f"zstd frame followed by {len(data) - end} bytes")
    dctx = getattr(_LOCAL, "dctx", None)
    if dctx is None:
        dctx = _LOCAL.dctx = zstd.ZstdDecompressor()
    try:
        return bytes(dctx.decompress_content_dict_chain([_raw_frame(base_payload), data]))
    except ValueError as err:  # a frame too short to be one
        raise ZstdFormatError(str(err)) from err


_LOCAL = threading.local()
_HEAD = (0xFD2FB528).to_bytes(4, "little") + bytes([0xE0])  # magic; one segment, 8-byte size
_MAX_BLOCK = 128 << 10  # zstd's largest block


def _raw_frame(payload: bytes) -> bytes:
    """``payload`` as a zstd frame of raw (stored) blocks: one segment, its size in 8
    bytes, no checksum, no dictionary (RFC 8878, 3.1.1)."""
    if len(payload) <= _MAX_BLOCK:  # one block: most texts
        return b"".join((_HEAD, len(payload).to_bytes(8, "little"),
                         (1 | len(payload) << 3).to_bytes(3, "little"), payload))
    parts = [_HEAD, len(payload).to_bytes(8, "little")]
    for at in range(0, max(len(payload), 1), _MAX_BLOCK):
        block = payload[at:at + _MAX_BLOCK]
        last = int(at + _MAX_BLOCK >= len(payload))
        parts.append((last | len(block) << 3).to_bytes(3, "little"))  # block type 0: raw
        parts.append(block)
    return b"".join(parts)


def _frame_length(data: bytes) -> int:
    """Where the zstd frame that ``data`` starts with ends: its header, its blocks (a
    3-byte header each: last flag, type, size; an RLE block holds one byte) and its
    checksum (RFC 8878, 3.1.1)."""
    try:
        at = zstd.frame_header_size(data)
        checksum = zstd.get_frame_parameters(data).has_checksum
    except zstd.ZstdError as err:
        raise ZstdFormatError(f"no zstd frame header ({err})") from err
    while True:
        if at + 3 > len(data):
            raise ZstdFormatError("zstd frame cut short")
        head = int.from_bytes(data[at:at + 3], "little")
        kind = head >> 1 & 3
        if kind == 3:
            raise ZstdFormatError("reserved zstd block type")
        at += 3 + (1 if kind == 1 else head >> 3)
        if head & 1:
            return at + (4 if checksum else 0)


def reservoir(items: Iterable[T], k: int, *, seed: int = 0) -> list[T]:
    """A uniform sample of ``k`` of ``items`` (all of them when fewer), in one pass."""
    rng = random.Random(seed)
    sample: list[T] = []
    for i, item in enumerate(items):
        if len(sample) < k:
            sample.append(item)
        else:
            j = rng.randrange(i + 1)
            if j < k:
                sample[j] = item
    return sample


def train(texts: list[bytes]) -> bytes | None:
    """A dictionary trained on ``texts`` (a sample: :func:`reservoir`); None when they
    are too few, or too short, for a dictionary to pay for itself."""
    total = sum(map(len, texts))
    if len(texts) < MIN_SAMPLES or total < 20 * 4096:
        return None
    size = min(DICT_SIZE, total // 20)
    try:
        return bytes(zstd.train_dictionary(size, list[bytes | bytearray | memoryview](texts),
                                           level=LEVEL).as_bytes())
    except zstd.ZstdError:
        return None  # zstd found nothing worth a dictionary
