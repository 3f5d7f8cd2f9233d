"""Segmenter on the tiny random model: shapes, classes, background, pictures, finiteness, threads."""
import io
import json
import threading

import numpy as np
import pytest
from PIL import Image

from proxyseg.apis import Segmenter, load_config
from proxyseg.apis import visualize as V
from proxyseg.errors import ClassNamesError, ConfigError, UsageError

RNG = np.random.default_rng(0)
IMG = RNG.integers(0, 256, (48, 80, 3), dtype=np.uint8)


def check(res, h, w, k):
    assert res.mask.shape == (h, w) and res.mask.dtype == np.int64
    assert res.probs.dtype == np.float32 and res.probs.shape[0] == k
    assert np.isfinite(res.probs).all()
    assert res.mask.min() >= 0 and res.mask.max() < k
    assert res.image.shape == (h, w, 3) and len(res.classes) == k == len(res.colors)


def test_shapes_and_class_forms(segmenter, tmp_path):
    res = segmenter.segment(IMG, "cat, dog; puppy, sky")
    check(res, 48, 80, 3)
    assert res.probs.shape == (3, 48, 80)
    assert res.classes == ["cat", "dog", "sky"] and res.background is None
    np.testing.assert_array_equal(res.image, IMG)
    f = tmp_path / "classes.txt"
    f.write_text("cat\ndog; puppy\nsky\n")
    for classes in (["cat", "dog; puppy", "sky"], f, segmenter.parse_classes("cat, dog; puppy, sky")):
        again = segmenter.segment(IMG, classes)
        assert again.classes == res.classes
        np.testing.assert_array_equal(again.mask, res.mask)  # deterministic, cache-independent
    no_syn = segmenter.segment(IMG, "cat, dog")
    np.testing.assert_allclose(no_syn.probs.sum(0), 1.0, atol=1e-5)  # softmax over classes
    assert no_syn.probs.argmax(0).tolist() == no_syn.mask.tolist()


def test_background_and_threshold(segmenter):
    res0 = segmenter.segment(IMG, "cat, dog", background="background")
    assert res0.classes == ["background", "cat", "dog"] and res0.background == "background"
    assert res0.colors[0].tolist() == [0, 0, 0] and res0.prob_thd == 0.0
    thd = float(np.quantile(res0.probs.max(0), 0.5))  # half of the pixels are below it
    res = segmenter.segment(IMG, "cat, dog", background="background", prob_thd=thd)
    best = res.probs.max(0)
    assert (res.mask[best < thd] == 0).all()
    np.testing.assert_array_equal(res.mask[best >= thd], res.probs.argmax(0)[best >= thd])
    assert res.shares().get("background", 0) >= 0.4
    assert segmenter.model.prob_thd == segmenter.default_prob_thd  # restored after the call
    with pytest.raises(UsageError, match="needs a background class"):
        segmenter.segment(IMG, "cat, dog", prob_thd=0.5)
    with pytest.raises(ConfigError, match=r"prob_thd=1.5 is outside \[0.0, 1.0\]"):
        segmenter.segment(IMG, "cat, dog", background="bg", prob_thd=1.5)
    with pytest.raises(ClassNamesError, match="duplicate class names"):
        segmenter.segment(IMG, "background, dog", background="background")
    with pytest.raises(ClassNamesError, match="empty"):
        segmenter.segment(IMG, " , ")
    with pytest.raises(ClassNamesError, match="no class file"):
        segmenter.segment(IMG)  # the tiny config has no class file


def test_pictures_and_json(segmenter):
    res = segmenter.segment(IMG, "cat, dog, sky, tree")
    shares = res.shares()
    assert abs(sum(shares.values()) - 1) < 1e-9 and all(v > 0 for v in shares.values())
    assert set(shares) <= set(res.classes)
    np.testing.assert_array_equal(res.overlay(0.0), IMG)
    np.testing.assert_array_equal(res.overlay(1.0), res.colors[res.mask])
    ov = res.overlay()
    assert ov.shape == IMG.shape and ov.dtype == np.uint8
    legend = res.legend()
    assert [n for n, _, _ in legend if n in shares] == sorted(shares, key=lambda n: -shares[n])
    assert sorted(n for n, _, _ in legend) == sorted(res.classes)  # absent classes listed with 0.0
    assert all(len(c) == 3 for _, c, _ in legend)
    assert [n for n, _, s in res.legend(present_only=True)] == [n for n, _, s in legend if s > 0]
    im = res.legend_image()
    assert im.mode == "RGB" and im.height > 4 * 16
    png = Image.open(io.BytesIO(res.mask_png()))
    assert png.mode == "P"
    np.testing.assert_array_equal(np.array(png), res.mask)
    pal = np.array(png.getpalette()[: 3 * len(res.classes)]).reshape(-1, 3)
    np.testing.assert_array_equal(pal, res.colors)
    np.testing.assert_array_equal(np.array(Image.open(io.BytesIO(res.overlay_png())).convert("RGB")), ov)
    d = json.loads(res.to_json())
    assert d["classes"] == res.classes and d["width"] == 80 and d["height"] == 48 and d["config"] == "tiny"
    assert d["colors"]["cat"].startswith("#") and d["shares"].keys() == shares.keys()


def test_mask_png_beyond_256_classes():
    mask = np.array([[0, 300], [5, 999]], dtype=np.int64)
    png = Image.open(io.BytesIO(V.mask_png(mask)))
    np.testing.assert_array_equal(np.array(png), mask)
    assert len({tuple(c) for c in V.class_colors(300)}) == 300  # distinct colours
    assert V.class_colors(3, background=True)[0].tolist() == [0, 0, 0]


@pytest.mark.parametrize("fill", [0, 255, 128])
def test_uniform_images_are_finite(segmenter, fill):
    res = segmenter.segment(np.full((40, 40, 3), fill, np.uint8), "cat, dog", background="background", prob_thd=0.3)
    check(res, 40, 40, 3)


@pytest.mark.parametrize("h, w", [(40, 2000), (2000, 40), (1, 1), (7, 3)])
def test_extreme_sizes(segmenter, monkeypatch, h, w):
    monkeypatch.setattr(segmenter.model, "slide_stride", 64)  # = crop: fewer windows, same coverage
    img = RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)
    check(segmenter.segment(img, ["cat", "dog"]), h, w, 2)


def test_max_side_keeps_mask_size(segmenter):
    img = RNG.integers(0, 256, (200, 100, 3), dtype=np.uint8)
    res = segmenter.segment(img, "cat, dog", max_side=50)
    check(res, 200, 100, 2)
    assert res.probs.shape == (2, 50, 25)


def test_image_kinds_through_segment(segmenter):
    buf = io.BytesIO()
    Image.fromarray((RNG.random((30, 20)) * 65535).astype(np.uint16)).save(buf, "PNG")  # 16-bit gray
    check(segmenter.segment(buf.getvalue(), "a, b"), 30, 20, 2)
    rgba = Image.fromarray(RNG.integers(0, 256, (20, 30, 4), dtype=np.uint8), "RGBA")
    check(segmenter.segment(rgba, "a, b"), 20, 30, 2)


def test_threads_match_sequential(segmenter):
    lists = ["cat, dog", "sky, tree, road", "a; b, c", "horse"]
    expect = [segmenter.segment(IMG, c).mask for c in lists]
    got = [None] * len(lists)

    def work(i):
        got[i] = segmenter.segment(IMG, lists[i]).mask

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(lists))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e, g in zip(expect, got):
        np.testing.assert_array_equal(e, g)


def test_config_class_file_and_overrides():
    cfg = load_config("tiny")
    cfg["model"].update(name_path="configs/_base_/class_names/voc21.txt", prob_thd=0.3)
    seg = Segmenter.from_config(cfg, slide_crop=32, slide_stride=16, max_side=40)
    assert seg.model.slide_crop == 32 and seg.max_side == 40 and seg.name == "tiny_random"
    res = seg.segment(IMG)
    check(res, 48, 80, 21)
    assert res.background == res.classes[0] and res.prob_thd == 0.3 and res.probs.shape[1:] == (24, 40)
    with pytest.raises(ConfigError, match="did you mean"):
        Segmenter.from_config("proxyclip_vit-b16_dino-b8_coco-objekt")
    with pytest.raises(ConfigError, match="bad model option"):
        Segmenter.from_config("tiny", no_such_option=1)
    bad = load_config("tiny")
    bad["model"]["name_path"] = "nope/classes.txt"
    with pytest.raises(ClassNamesError, match="class file nope/classes.txt .* not found"):
        Segmenter.from_config(bad)


def test_amp_bf16_finite(segmenter, monkeypatch):
    monkeypatch.setattr(segmenter, "amp", "bf16")
    check(segmenter.segment(IMG[:32, :32], "cat, dog"), 32, 32, 2)
    with pytest.raises(ConfigError, match="amp must be"):
        Segmenter(segmenter.model, amp="fp8")
