"""load_image: every kind of input a user may hand us, and every refusal, with its message."""
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from proxyseg.apis.image_io import ImageTooLargeError, load_image, resize_max_side, safe_stem
from proxyseg.errors import ImageError

from .conftest import raw_png

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 9, 3), dtype=np.uint8)


def encode(im: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_sources_agree(tmp_path):
    """Path, str, bytes, file object, PIL image and array give the same (H, W, 3) uint8."""
    im = Image.fromarray(RGB)
    path = tmp_path / "a.png"
    im.save(path)
    outs = [load_image(path), load_image(str(path)), load_image(path.read_bytes()),
            load_image(io.BytesIO(path.read_bytes())), load_image(im), load_image(RGB)]
    for out in outs:
        assert out.dtype == np.uint8 and out.shape == (6, 9, 3)
        np.testing.assert_array_equal(out, RGB)
    src = RGB.copy()
    load_image(src)[0, 0] = 0  # a copy, never the caller's array
    np.testing.assert_array_equal(src, RGB)


@pytest.mark.parametrize("mode", ["L", "1"])
def test_grayscale(mode):
    gray = (RNG.random((5, 7)) * 255).astype(np.uint8)
    im = Image.fromarray(gray).convert(mode)
    out = load_image(encode(im))
    assert out.shape == (5, 7, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    np.testing.assert_array_equal(out[..., 0], np.asarray(im.convert("L")))


def test_rgba_and_la_composited_on_white():
    px = np.array([[[255, 0, 0, 0], [255, 0, 0, 255], [255, 0, 0, 128]]], dtype=np.uint8)
    out = load_image(encode(Image.fromarray(px, "RGBA")))
    assert out[0, 0].tolist() == [255, 255, 255]  # transparent -> white
    assert out[0, 1].tolist() == [255, 0, 0]  # opaque kept
    assert out[0, 2, 0] == 255 and 120 <= out[0, 2, 1] <= 135  # half -> pink
    la = Image.fromarray(np.array([[[0, 0], [0, 255]]], dtype=np.uint8), "LA")
    assert load_image(encode(la))[0].tolist() == [[255, 255, 255], [0, 0, 0]]
    # arrays with alpha get the same treatment
    assert load_image(px)[0, 0].tolist() == [255, 255, 255]


def test_palette_with_transparency():
    im = Image.new("P", (2, 1))
    im.putpalette([0, 0, 255, 10, 200, 10] + [0] * 762)
    im.putpixel((0, 0), 0)
    im.putpixel((1, 0), 1)
    im.info["transparency"] = 0
    for fmt in ("PNG", "GIF"):
        out = load_image(encode(im, fmt, transparency=0))
        assert out[0, 0].tolist() == [255, 255, 255], fmt
        assert out[0, 1].tolist() == [10, 200, 10], fmt
    im.info.pop("transparency")
    assert load_image(encode(im))[0, 0].tolist() == [0, 0, 255]


def test_16bit_grayscale_is_scaled_not_clipped():
    a = np.array([[0, 257 * 100, 65535, 32896]], dtype=np.uint16)
    im = Image.fromarray(a)
    assert im.mode == "I;16"
    out = load_image(encode(im))
    assert out[0, :, 0].tolist() == [0, 100, 255, 128]
    assert load_image(a)[0, :, 0].tolist() == [0, 100, 255, 128]  # uint16 arrays too


def test_16bit_rgb_png():
    # one row, filter byte 0, two pixels (R, G, B) of 16 bit
    row = b"\x00" + np.array([65535, 0, 32768, 0, 257 * 7, 65535], dtype=">u2").tobytes()
    out = load_image(raw_png(2, 1, bit_depth=16, color_type=2, rows=row))
    assert out.shape == (1, 2, 3)
    assert out[0].tolist() == [[255, 0, 128], [0, 7, 255]]


def test_32bit_int_and_float_images():
    i32 = Image.fromarray(np.array([[0, 65535]], dtype=np.int32))
    assert i32.mode == "I"
    assert load_image(encode(i32, "TIFF"))[0, :, 0].tolist() == [0, 255]
    wide = Image.fromarray(np.array([[-1000, 0, 1000]], dtype=np.int32))
    assert load_image(wide)[0, :, 0].tolist() == [0, 128, 255]  # stretched min..max
    f = Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32))
    assert load_image(encode(f, "TIFF"))[0, :, 0].tolist() == [0, 128, 255]
    with pytest.raises(ImageError, match="NaN or infinite"):
        load_image(Image.fromarray(np.array([[0.0, np.nan]], dtype=np.float32)))


def test_cmyk_jpeg():
    im = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # red in CMYK
    data = encode(im, "JPEG", quality=95)
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    out = load_image(data)
    assert out.shape == (16, 16, 3)
    r, g, b = out[8, 8].astype(int)
    assert r > 200 and g < 60 and b < 60


@pytest.mark.parametrize("orientation, expect", [
    (1, lambda a: a), (3, lambda a: np.rot90(a, 2)), (6, lambda a: np.rot90(a, -1)), (8, lambda a: np.rot90(a, 1)),
    (2, lambda a: a[:, ::-1]),
])
def test_exif_orientation(orientation, expect):
    a = RGB[:2, :4]  # 2 x 4: landscape
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = load_image(encode(Image.fromarray(a), "PNG", exif=exif))
    np.testing.assert_array_equal(out, expect(a))


def test_broken_exif_keeps_the_image():
    data = encode(Image.fromarray(RGB), "PNG")
    im = Image.open(io.BytesIO(data))
    im.info["exif"] = b"Exif\x00\x00garbage"
    np.testing.assert_array_equal(load_image(im), RGB)


def test_animated_gif_first_frame():
    frames = [Image.new("RGB", (3, 3), c) for c in ((255, 0, 0), (0, 0, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    assert load_image(buf.getvalue())[1, 1].tolist() == [255, 0, 0]


def test_one_pixel():
    assert load_image(encode(Image.new("RGB", (1, 1), (1, 2, 3)))).tolist() == [[[1, 2, 3]]]
    assert load_image(np.zeros((1, 1), np.uint8)).shape == (1, 1, 3)


def test_zero_sized_and_empty(tmp_path):
    with pytest.raises(ImageError, match=r"image array: the image is empty \(5x0 pixels\)"):
        load_image(np.zeros((0, 5, 3), np.uint8))
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty.png: the file is empty \(0 bytes\)"):
        load_image(empty)
    with pytest.raises(ImageError, match="empty"):
        load_image(b"")
    zero = tmp_path / "zero.png"
    zero.write_bytes(raw_png(0, 10))
    with pytest.raises(ImageError, match="zero.png: .*(empty|corrupt|broken header)"):
        load_image(zero)


def test_missing_not_image_corrupt_truncated(tmp_path):
    with pytest.raises(ImageError, match="nope.png: no such image file"):
        load_image(tmp_path / "nope.png")
    txt = tmp_path / "notes.png"
    txt.write_text("hello, I am not an image")
    with pytest.raises(ImageError, match="notes.png: not an image Pillow can read: unknown format"):
        load_image(txt)
    jpeg = encode(Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)), "JPEG")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(jpeg[: len(jpeg) // 2])
    with pytest.raises(ImageError, match="cut.jpg: the JPEG is truncated: the file ends before"):
        load_image(cut)
    png = encode(Image.fromarray(RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)))
    with pytest.raises(ImageError, match="upload.png: the image is corrupt or truncated"):
        load_image(png[: len(png) - 40], name="upload.png")
    with pytest.raises(ImageError, match="corrupt or truncated|broken header"):
        load_image(raw_png(4, 4, rows=b"\x00" * 13 * 4, bad_crc=True))
    with pytest.raises(ImageError, match="expected an \\(H, W\\)"):
        load_image(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(ImageError, match="cannot read an image from a int"):
        load_image(3)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixel_limit_checked_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(raw_png(10000, 10000, rows=b"\x00" * 10))  # 100 MP header, 10 bytes of data
    assert bomb.stat().st_size < 200
    # the size message (not "truncated") proves the header was checked before any decoding
    with pytest.raises(ImageTooLargeError, match=r"bomb.png: 10000x10000 = 100.0 megapixels is above the limit of 40"):
        load_image(bomb)
    huge = raw_png(20000, 20000, rows=b"\x00" * 10)  # 400 MP: Pillow's own guard fires first
    with pytest.raises(ImageTooLargeError, match="upload: the image is above the limit of 40 megapixels; refused"):
        load_image(huge, name="upload")
    with pytest.raises(ImageTooLargeError, match="above Pillow's decompression-bomb limit"):
        load_image(huge, max_pixels=None)
    ok = encode(Image.new("RGB", (100, 60)))
    assert load_image(ok, max_pixels=6000).shape == (60, 100, 3)
    with pytest.raises(ImageTooLargeError, match="above the limit"):
        load_image(ok, max_pixels=5999)
    with pytest.raises(ImageTooLargeError):
        load_image(np.zeros((100, 100), np.uint8), max_pixels=100)


def test_arrays():
    f = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    assert load_image(f)[..., 0].tolist() == [[0, 51, 102], [153, 204, 255]]
    assert load_image(np.array([[True, False]]))[0, :, 0].tolist() == [255, 0]
    with pytest.raises(ImageError, match="NaN or infinite"):
        load_image(np.array([[np.inf, 0.0]]))
    assert load_image(np.full((2, 2, 1), 7, np.uint8)).tolist() == [[[7] * 3] * 2] * 2


def test_resize_max_side():
    a = np.zeros((100, 40, 3), np.uint8)
    assert resize_max_side(a, 50).shape == (50, 20, 3)
    assert resize_max_side(a, 100) is a and resize_max_side(a, None) is a
    assert resize_max_side(np.zeros((2000, 1, 3), np.uint8), 100).shape == (100, 1, 3)


@pytest.mark.parametrize("name, stem", [
    ("../../evil.png", "evil"), ("/etc/passwd", "passwd"), ("C:\\Users\\x\\photo.JPG", "photo"),
    ("..", "image"), ("", "image"), (None, "image"), (".bashrc", "bashrc"), ("a b&c.tar.gz", "a_b_c.tar"),
    ("x" * 300 + ".png", "x" * 64), ("über.png", "ber"), ("\x00evil\n.png", "evil"),
])
def test_safe_stem(name, stem):
    assert safe_stem(name) == stem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.integers(0, 400))
def test_fuzz_only_image_errors(junk, cut):
    """Random bytes, and valid files cut anywhere or with junk appended, never escape as other errors."""
    good = encode(Image.new("RGB", (8, 8), (9, 9, 9)))
    for data in (junk, good[:cut], good[:cut] + junk, b"\x89PNG\r\n\x1a\n" + junk):
        try:
            out = load_image(data)
        except ImageError:
            continue
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
