"""Fixtures for the web tests: the tiny random model, the app, synthetic uploads."""
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
REFERENCE_IMAGES = REPO.parent / "shared" / "reference" / "images"


def raw_png(width: int, height: int, rows: bytes = b"\x00") -> bytes:
    """A hand-written PNG header claiming any size (a decompression bomb is a few bytes)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def two_region_image(h: int = 48, w: int = 64) -> np.ndarray:
    """Blue sky over a red square on green: ``(h, w, 3)`` uint8."""
    img = np.zeros((h, w, 3), np.uint8)
    img[: h // 2] = (70, 130, 220)
    img[h // 2:] = (60, 170, 60)
    img[h // 3: 2 * h // 3, w // 3: 2 * w // 3] = (220, 30, 30)
    return img


def png(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="session")
def segmenter():
    from proxyseg.apis import Segmenter

    return Segmenter.from_config("tiny", device="cpu", text_cache_dir=None)
