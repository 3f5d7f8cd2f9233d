"""Fixtures for the Python API tests: the tiny random model behind a Segmenter, crafted files."""
import struct
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCE_IMAGES = REPO.parent / "shared" / "reference" / "images"


def raw_png(width: int, height: int, bit_depth: int = 8, color_type: int = 2, rows: bytes = b"",
            bad_crc: bool = False) -> bytes:
    """A PNG written by hand: any header (huge, zero-sized, 16-bit) with arbitrary pixel data."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) ^ (0xFFFFFFFF if bad_crc else 0)
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(scope="session")
def segmenter():
    """``Segmenter.from_config('tiny')``: real classes, random weights, 64-px windows."""
    from proxyseg.apis import Segmenter

    return Segmenter.from_config("tiny", device="cpu")
