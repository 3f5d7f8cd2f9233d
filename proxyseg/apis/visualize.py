"""Pictures of a segmentation: class colours, overlay, legend, palette mask PNG.

All functions are pure numpy/PIL: ``image (H, W, 3) uint8``, ``mask (H, W)`` integer class ids,
``colors (K, 3) uint8``.
"""
from __future__ import annotations

import colorsys
import io
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

RGB = Tuple[int, int, int]
LegendEntry = Tuple[str, RGB, float]

# Sasha Trubetskoy's 20 distinct colours (ordered so the first few differ most).
DISTINCT: Tuple[RGB, ...] = (
    (230, 25, 75), (60, 180, 75), (0, 130, 200), (255, 225, 25), (245, 130, 48), (145, 30, 180),
    (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
    (170, 110, 40), (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0), (255, 215, 180),
    (0, 0, 128), (128, 128, 128),
)
BACKGROUND: RGB = (0, 0, 0)


def class_colors(num: int, background: bool = False) -> np.ndarray:
    """``(num, 3)`` uint8 colours, distinct for the first 20; class 0 black if ``background``.

    Beyond the 20 hand-picked colours, hues follow the golden ratio (deterministic).
    """
    out = []
    for i in range(num - int(background)):
        if i < len(DISTINCT):
            out.append(DISTINCT[i])
        else:
            j = i - len(DISTINCT)
            h = (j * 0.618033988749895) % 1.0
            s, v = (0.85, 0.95) if j % 2 == 0 else (0.55, 0.75)
            out.append(tuple(int(round(c * 255)) for c in colorsys.hsv_to_rgb(h, s, v)))
    if background and num > 0:
        out.insert(0, BACKGROUND)
    return np.asarray(out, dtype=np.uint8).reshape(num, 3)


def hex_color(rgb: Sequence[int]) -> str:
    """``(r, g, b)`` -> ``'#rrggbb'``."""
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in rgb[:3]))


def colorize(mask: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """``(H, W)`` class ids -> ``(H, W, 3)`` uint8 colours."""
    return colors[np.clip(mask, 0, len(colors) - 1)]


def overlay(image: np.ndarray, mask: np.ndarray, colors: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend class colours over the image: ``(1 - alpha) * image + alpha * color[mask]``.

    Args:
        image: ``(H, W, 3)`` uint8. mask: ``(H, W)`` class ids. colors: ``(K, 3)`` uint8.
        alpha: colour weight in ``[0, 1]``.

    Returns:
        ``(H, W, 3)`` uint8.
    """
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if image.shape[:2] != mask.shape:
        raise ValueError(f"image {image.shape[:2]} and mask {mask.shape} differ in size")
    blend = (1.0 - alpha) * image.astype(np.float32) + alpha * colorize(mask, colors).astype(np.float32)
    return np.clip(np.rint(blend), 0, 255).astype(np.uint8)


def shares(mask: np.ndarray, num_classes: int) -> np.ndarray:
    """``(K,)`` float64 fraction of pixels per class (sums to 1)."""
    flat = mask.reshape(-1)
    counts = np.zeros(max(num_classes, 1), dtype=np.int64)
    step = 1 << 22  # in chunks: bincount casts to int64, 8 bytes per pixel for a whole mask at once
    for i in range(0, flat.size, step):
        c = np.bincount(flat[i:i + step].astype(np.int64), minlength=num_classes)[:num_classes]
        counts[: len(c)] += c
    return counts[:num_classes] / max(mask.size, 1)


def png_bytes(image: np.ndarray, compress_level: int = 6) -> bytes:
    """``(H, W, 3)`` uint8 (or a PIL image) -> PNG bytes."""
    im = image if isinstance(image, Image.Image) else Image.fromarray(np.ascontiguousarray(image))
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def mask_png(mask: np.ndarray, colors: Optional[np.ndarray] = None) -> bytes:
    """``(H, W)`` class ids -> PNG bytes whose pixel values are the class ids.

    Up to 256 classes: an 8-bit palette PNG (viewers show the class colours, ``np.array(Image.open())``
    gives the ids). More classes: a 16-bit grayscale PNG (ids, no colours).
    """
    num = int(mask.max()) + 1 if mask.size else 1
    if colors is not None:
        num = max(num, len(colors))
    if num <= 256:
        im = Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8))  # "L", one copy, no tobytes()
        pal = np.zeros((256, 3), dtype=np.uint8)
        if colors is not None:
            pal[: len(colors)] = colors
        im.putpalette(pal.reshape(-1).tolist())
        return png_bytes(im, compress_level=9)
    return png_bytes(Image.fromarray(mask.astype(np.uint16)), compress_level=9)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: bitmap font only
        return ImageFont.load_default()


def legend_image(entries: List[LegendEntry], *, font_size: int = 16, width: int = 320) -> Image.Image:
    """A white RGB picture listing ``(name, rgb, share)`` rows: swatch, name, percentage."""
    font = _font(font_size)
    row, pad = font_size + 10, 8
    im = Image.new("RGB", (width, pad * 2 + row * max(len(entries), 1)), "white")
    draw = ImageDraw.Draw(im)
    for i, (name, rgb, share) in enumerate(entries):
        y = pad + i * row
        draw.rectangle([pad, y + 2, pad + font_size, y + 2 + font_size], fill=tuple(rgb), outline=(60, 60, 60))
        pct = f"{100 * share:.1f}%"
        draw.text((pad * 2 + font_size, y + 1), name[:40], fill="black", font=font)
        tw = draw.textlength(pct, font=font)
        draw.text((width - pad - tw, y + 1), pct, fill="black", font=font)
    return im
