"""Read any image a user may hand us into ``(H, W, 3)`` uint8 RGB, or fail with one clear line.

What :func:`load_image` does with each kind of input:

- **Sources**: a file path, ``bytes``, a binary file object, a PIL image or a numpy array.
  Arrays are taken as RGB (not OpenCV's BGR): ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or
  ``(H, W, 4)``; ``uint8`` as is, ``uint16`` scaled by ``1/257``, ``bool`` to 0/255, floats in
  ``[0, 1]`` scaled by 255 (other float ranges are stretched min..max; NaN/inf is refused).
- **Size**: the pixel count is checked from the header *before* the pixels are decoded;
  images above ``max_pixels`` (default 40 MP) raise :class:`ImageTooLargeError`, as does
  Pillow's own decompression-bomb guard (``2 * Image.MAX_IMAGE_PIXELS``, ~179 MP). Zero-sized
  images are refused; 1x1 images are fine.
- **Orientation**: the EXIF orientation tag is applied (``ImageOps.exif_transpose``), so the
  array is upright as a photo viewer shows it.
- **Colour modes**: grayscale (``1``, ``L``) is replicated to 3 channels; 16-bit grayscale
  (``I;16*``, and ``I`` with values in 0..65535) is scaled by ``1/257`` (65535 -> 255, not
  clipped); 16-bit RGB PNGs keep their high byte (Pillow); ``I``/``F`` outside those ranges are
  stretched min..max; CMYK (JPEG, TIFF), YCbCr, LAB and HSV are converted to RGB; palette
  images are expanded. ICC profiles are ignored.
- **Transparency** (``RGBA``, ``LA``, ``PA``, palette or RGB with a transparent colour) is
  composited on **white**, as a browser shows it on a white page; the alpha is then dropped.
- **Animated** GIF/WebP/multi-page TIFF: the first frame.
- **Corrupt / truncated / not an image**: :class:`proxyseg.errors.ImageError` naming the file.
  A JPEG that ends early is named as truncated, also when its end marker is present and the
  decoder would silently fill the missing rows with grey (128, 128, 128).
- **JPEG draft decoding** (``draft_side``, used by the web server): a large JPEG is decoded
  directly at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling) when that still leaves its longer
  side at least ``draft_side``; memory then follows the reduced size, not the upload's.
  :func:`load_image_and_size` also returns the full (upright) size from the header.
"""
from __future__ import annotations

import io
import math
import os
import re
from pathlib import Path
from typing import BinaryIO, Optional, Tuple, Union

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from ..errors import ImageError

DEFAULT_MAX_PIXELS = 40_000_000
ImageSource = Union[str, os.PathLike, bytes, bytearray, memoryview, BinaryIO, Image.Image, np.ndarray]


class ImageTooLargeError(ImageError):
    """The image has more pixels than allowed (a decompression bomb or just too big)."""


def describe(src: object, name: Optional[str] = None) -> str:
    """How an image source is named in messages."""
    if name:
        return str(name)
    if isinstance(src, (str, os.PathLike)):
        return str(src)
    if isinstance(src, np.ndarray):
        return "image array"
    if isinstance(src, Image.Image):
        return "PIL image"
    return "uploaded image" if isinstance(src, (bytes, bytearray, memoryview)) else "image stream"


def load_image(src: ImageSource, *, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
               name: Optional[str] = None, draft_side: Optional[int] = None) -> np.ndarray:
    """Decode ``src`` into an upright ``(H, W, 3)`` uint8 RGB array (see the module docstring).

    Args:
        src: path, bytes, binary file object, PIL image or numpy array.
        max_pixels: refuse images with more pixels (``None``: only Pillow's own bomb limit).
        name: how to call the image in error messages (default: the path or its kind).
        draft_side: JPEG only: decode at a reduced scale whose longer side is still >= this.

    Raises:
        ImageError: unreadable, corrupt, truncated, zero-sized or unsupported image.
        ImageTooLargeError: more than ``max_pixels`` pixels (checked before decoding).
    """
    return load_image_and_size(src, max_pixels=max_pixels, name=name, draft_side=draft_side)[0]


def load_image_and_size(src: ImageSource, *, max_pixels: Optional[int] = DEFAULT_MAX_PIXELS,
                        name: Optional[str] = None, draft_side: Optional[int] = None) -> Tuple[np.ndarray, Tuple[int, int]]:
    """:func:`load_image` and the image's full upright ``(H, W)`` (larger than the array after draft decoding)."""
    label = describe(src, name)
    if isinstance(src, np.ndarray):
        arr = _from_array(src, label, max_pixels)
        return arr, arr.shape[:2]
    if isinstance(src, Image.Image):
        _check_size(src.size, label, max_pixels)
        arr = _to_rgb(src, label)
        return arr, arr.shape[:2]
    return _load_encoded(src, label, max_pixels, draft_side)


def _load_encoded(src, label: str, max_pixels: Optional[int], draft_side: Optional[int]):
    """Path, bytes or file object -> ``(array, (H, W) full upright size)``."""
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.is_file():
            raise ImageError(f"{label}: no such image file")
        if path.stat().st_size == 0:
            raise ImageError(f"{label}: the file is empty (0 bytes)")
        opener = lambda: Image.open(path)  # noqa: E731
    elif isinstance(src, (bytes, bytearray, memoryview)):
        if len(src) == 0:
            raise ImageError(f"{label}: the file is empty (0 bytes)")
        opener = lambda: Image.open(io.BytesIO(bytes(src)))  # noqa: E731
    elif isinstance(src, io.BytesIO):  # an in-memory upload: read in place, no copy of its bytes
        if src.getbuffer().nbytes == 0:
            raise ImageError(f"{label}: the file is empty (0 bytes)")
        src.seek(0)
        opener = lambda: Image.open(src)  # noqa: E731
    elif hasattr(src, "read"):
        return _load_encoded(src.read(), label, max_pixels, draft_side)
    else:
        raise ImageError(f"cannot read an image from a {type(src).__name__}; give a path, bytes, PIL image or array")
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone flipped the global: truncated files must still fail here
        raise ImageError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is set; unset it so truncated images are detected")
    try:
        with opener() as im:  # reads the header only
            _check_size(im.size, label, max_pixels)
            full = im.size
            if draft_side and im.format == "JPEG" and max(full) > draft_side:
                s = draft_side / max(full)
                im.draft(im.mode if im.mode in ("RGB", "L") else None,
                         (max(1, math.ceil(full[0] * s)), max(1, math.ceil(full[1] * s))))
            decoded = im.size
            try:
                im.load()  # decodes; truncated or corrupt data fails here
            except OSError as e:
                if im.format == "JPEG" and "truncated" in str(e):
                    raise ImageError(f"{label}: the JPEG is truncated: the file ends before its image data "
                                     f"does ({e}); copy or download it again") from None
                raise
            if im.format == "JPEG" and _grey_filled(im):
                raise ImageError(f"{label}: the JPEG is truncated: its image data ends early and the last rows "
                                 "are the decoder's grey fill; copy or download it again")
            arr = _to_rgb(im, label)
        # full upright size: the header size, transposed when the EXIF orientation swapped the axes
        swapped = arr.shape[0] != arr.shape[1] and arr.shape[:2] == (decoded[0], decoded[1])
        return arr, ((full[0], full[1]) if swapped else (full[1], full[0]))
    except ImageError:
        raise
    except Image.DecompressionBombError as e:  # Pillow's own guard (2 * MAX_IMAGE_PIXELS), also header-only
        limit = f"the limit of {max_pixels / 1e6:g} megapixels" if max_pixels else "Pillow's decompression-bomb limit"
        raise ImageTooLargeError(f"{label}: the image is above {limit}; refused before decoding ({e})") from None
    except UnidentifiedImageError:
        raise ImageError(f"{label}: not an image Pillow can read: unknown format or a broken header "
                         f"(PNG, JPEG, WebP, BMP, GIF, TIFF, ... work)") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as e:
        raise ImageError(f"{label}: the image is corrupt or truncated ({type(e).__name__}: {e})") from None


def _grey_filled(im: Image.Image) -> bool:
    """A decoded JPEG whose last 8 rows are exactly (128, 128, 128) while its first row is not.

    libjpeg fills the MCUs it found no data for with mid-grey and only warns ("Premature end of
    JPEG file"), which Pillow does not surface; an end marker right after a cut makes a
    truncated file decode "successfully". A real image whose bottom is exactly that grey while
    its top is not is very unlikely.
    """
    if im.mode not in ("RGB", "L") or im.size[1] < 9:
        return False
    a = np.asarray(im)
    grey = 128
    return bool((a[-8:] == grey).all()) and not bool((a[0] == grey).all())


def _check_size(size, label: str, max_pixels: Optional[int]) -> None:
    w, h = int(size[0]), int(size[1])
    if w <= 0 or h <= 0:
        raise ImageError(f"{label}: the image is empty ({w}x{h} pixels)")
    if max_pixels is not None and w * h > max_pixels:
        raise ImageTooLargeError(f"{label}: {w}x{h} = {w * h / 1e6:.1f} megapixels is above the limit of "
                                 f"{max_pixels / 1e6:g} megapixels; downscale the image or raise the pixel limit")


def _to_rgb(im: Image.Image, label: str) -> np.ndarray:
    """Decoded PIL image (any mode) -> upright ``(H, W, 3)`` uint8."""
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block must not lose the image: keep it unrotated
        pass
    mode = im.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _gray_to_rgb(_scale_high_depth(np.asarray(im), mode, label))
    if "transparency" in im.info or mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im.convert("RGBA"))
    elif mode in ("RGB", "L"):
        arr = np.array(im)  # a writable copy
        return _gray_to_rgb(arr) if arr.ndim == 2 else arr
    try:
        rgb = im.convert("RGB")
    except (ValueError, OSError) as e:
        raise ImageError(f"{label}: unsupported colour mode {mode} ({e})") from None
    return np.array(rgb)


def _scale_high_depth(arr: np.ndarray, mode: str, label: str) -> np.ndarray:
    """16/32-bit integer or float gray ``(H, W)`` -> uint8, scaled (never clipped)."""
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise ImageError(f"{label}: the image has NaN or infinite pixel values")
    lo, hi = float(arr.min()), float(arr.max())
    if mode.startswith("I;16") or (mode == "I" and lo >= 0 and hi <= 65535):
        out = arr / 257.0
    elif mode == "F" and lo >= 0 and hi <= 1:
        out = arr * 255.0
    elif mode == "F" and lo >= 0 and hi <= 255:
        out = arr
    else:  # unknown range: stretch min..max
        out = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _gray_to_rgb(arr: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(arr[..., None], 3, axis=2))


def _from_array(arr: np.ndarray, label: str, max_pixels: Optional[int]) -> np.ndarray:
    """A numpy image (RGB order) -> ``(H, W, 3)`` uint8."""
    if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
        h, w = arr.shape[:2]
    elif arr.ndim == 2:
        h, w = arr.shape
    else:
        raise ImageError(f"{label}: expected an (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array, got shape {arr.shape}")
    _check_size((w, h), label, max_pixels)
    if arr.dtype == np.uint8:
        out = arr
    elif arr.dtype == np.bool_:
        out = arr.astype(np.uint8) * 255
    elif arr.dtype == np.uint16:
        out = np.rint(arr / 257.0).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer):
        f = arr.astype(np.float64)
        if not np.isfinite(f).all():
            raise ImageError(f"{label}: the array has NaN or infinite values")
        lo, hi = float(f.min()), float(f.max())
        if np.issubdtype(arr.dtype, np.floating) and lo >= 0 and hi <= 1:
            f = f * 255.0
        elif not (lo >= 0 and hi <= 255):
            f = (f - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(f)
        out = np.clip(np.rint(f), 0, 255).astype(np.uint8)
    else:
        raise ImageError(f"{label}: unsupported array dtype {arr.dtype}")
    if out.ndim == 2 or out.shape[2] == 1:
        return _gray_to_rgb(out.reshape(h, w))
    if out.shape[2] == 4:  # composite on white, like files with alpha
        a = out[..., 3:4].astype(np.float64) / 255.0
        out = np.rint(out[..., :3] * a + 255.0 * (1 - a)).astype(np.uint8)
    return np.array(out)  # never aliases the caller's array


def resize_max_side(image: np.ndarray, max_side: Optional[int]) -> np.ndarray:
    """Downscale ``(H, W, 3)`` uint8 so that ``max(H, W) <= max_side`` (bilinear, keep ratio).

    ``None``/``0`` or an image already small enough returns the input unchanged.
    """
    h, w = image.shape[:2]
    if not max_side or max(h, w) <= max_side:
        return image
    s = max_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.array(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0))


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_stem(name: Optional[str], default: str = "image", max_len: int = 64) -> str:
    """A file-name stem that is safe to write anywhere: ``'../../evil.png'`` -> ``'evil'``.

    Only the last path component is kept (``/`` and ``\\`` both split), the extension is
    dropped, characters outside ``[A-Za-z0-9._-]`` become ``_``, leading dots are removed and
    the result is cut to ``max_len``; an empty result gives ``default``.
    """
    base = re.split(r"[/\\]", str(name or ""))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    stem = _UNSAFE.sub("_", stem).strip("._-")[:max_len].strip("._-")
    return stem or default
