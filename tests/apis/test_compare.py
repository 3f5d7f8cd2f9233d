"""Segmenter.compare: the method-spec grammar, shared models, colours, errors before computing."""
import numpy as np
import pytest

from proxyseg.apis import Segmenter
from proxyseg.apis.compare import CompareSpec, panels_of, parse_spec, parse_specs
from proxyseg.errors import UsageError, WeightsNotFoundError
from proxyseg.methods import build_method, method_names


@pytest.fixture(scope="module")
def seg():
    return Segmenter.from_config("tiny", device="cpu", text_cache_dir=None)


@pytest.fixture(scope="module")
def image():
    img = np.zeros((40, 56, 3), np.uint8)
    img[:20] = (70, 130, 220)
    img[20:] = (60, 170, 60)
    img[12:28, 18:38] = (220, 30, 30)
    return img


@pytest.mark.parametrize("text, expected", [
    ("clip", CompareSpec("clip", "clip")),
    (" maskclip+fa ", CompareSpec("maskclip+fa", "maskclip", feature_adjust=True)),
    ("proxyclip:dino-b8", CompareSpec("proxyclip:dino-b8", "proxyclip", "dino", "b8")),
    ("proxyclip:sam-b+fa", CompareSpec("proxyclip:sam-b+fa", "proxyclip", "sam", "b", True)),
    ("proxyclip:dinov2-b14_reg", CompareSpec("proxyclip:dinov2-b14_reg", "proxyclip", "dinov2", "b14_reg")),
    ("proxyclip:dino", CompareSpec("proxyclip:dino", "proxyclip", "dino", None)),
])
def test_grammar(text, expected):
    assert parse_spec(text) == expected


def test_every_registered_method_is_a_spec():
    for name in method_names():
        spec = parse_spec(name)
        assert spec.method == name and parse_spec(name + "+fa").feature_adjust
        if build_method(name).needs_vfm:
            assert parse_spec(f"{name}:dino-s16").vfm_arch == "s16"


@pytest.mark.parametrize("methods, message", [
    ("proxclip", "method spec 'proxclip': unknown method 'proxclip' (did you mean 'proxyclip'?)"),
    ("clip:dino-b8", "method spec 'clip:dino-b8': method 'clip' uses no VFM; drop ':dino-b8'"),
    ("proxyclip:dino-x9", "unknown arch 'x9' for VFM 'dino'; archs: s8, s16, b8, b16"),
    ("proxyclip:vgg-16", "method spec 'proxyclip:vgg-16': unknown VFM 'vgg'"),
    ("proxyclip+pamr+fa", "unknown option '+pamr'; the only option is '+fa'"),
    ("clip, maskclip, clip", "method spec 'clip' is given twice"),
    (" , ", "compare needs at least 1 method specs, got 0"),
])
def test_bad_specs(methods, message):
    with pytest.raises(UsageError) as e:
        parse_specs(methods)
    assert message in str(e.value)


def test_count_limits():
    assert len(parse_specs(["clip", "maskclip"], min_count=2, max_count=4)) == 2
    with pytest.raises(UsageError, match="compare needs 2 to 4 method specs, got 5"):
        parse_specs("clip,maskclip,proxyclip,sclip,clearclip", min_count=2, max_count=4)


def test_compare_shares_models_and_colours(seg, image):
    specs = ["clip", "maskclip", "proxyclip", "proxyclip+fa", "proxyclip:dino-s16"]
    res = seg.compare(image, ",".join(specs), classes="sky, grass, red square", background="background")
    assert list(res) == specs
    for spec, r in res.items():
        assert r.classes == ["background", "sky", "grass", "red square"] and r.mask.shape == (40, 56)
        np.testing.assert_array_equal(r.colors, res["clip"].colors)  # one colour per class in every panel
        assert abs(sum(r.shares().values()) - 1) < 1e-6 and r.meta["method"] == spec and r.meta["seconds"] >= 0
        assert np.isfinite(r.probs).all()
    assert res["proxyclip:dino-s16"].meta["vfm"] == "dino-s16" and res["proxyclip"].meta["vfm"] == "dino-b8"
    assert res["proxyclip+fa"].meta["feature_adjust"] and res["clip"].meta["vfm"] is None
    panels = panels_of(seg).prepare(parse_specs(specs))
    assert panels[2] is seg  # the config's own model is reused
    assert all(p.model.clip_model is seg.model.clip_model for p in panels)  # CLIP loaded once
    assert all(p.model.text is seg.model.text for p in panels)  # one text-embedding cache
    assert panels[3].model.vfm is seg.model.vfm and panels[3].model.feature_adjust
    assert panels[4].model.vfm is not seg.model.vfm and panels[4].model.vfm.patch_size == 16
    assert panels[0].model.vfm is None
    # same spec as the plain segmenter -> the same mask; different methods -> different masks
    plain = seg.segment(image, "sky, grass, red square", background="background")
    np.testing.assert_array_equal(res["proxyclip"].mask, plain.mask)
    assert not np.array_equal(res["clip"].probs, res["proxyclip"].probs)


def test_missing_weights_fail_before_computing(image, monkeypatch):
    from proxyseg.models import OpenVocabSegmenter

    seg = Segmenter.from_config("tiny", device="cpu", text_cache_dir=None)
    seg.model_cfg = dict(seg.model_cfg, pretrained=True)  # as a real config: VFM weights must exist
    monkeypatch.setenv("PROXYSEG_WEIGHTS", "/nonexistent-proxyseg-weights")
    calls = []
    monkeypatch.setattr(OpenVocabSegmenter, "predict_logits", lambda *a, **k: calls.append(1))
    with pytest.raises(WeightsNotFoundError) as e:
        seg.compare(image, "clip,proxyclip:sam-b", classes="cat")
    assert str(e.value).startswith("method spec 'proxyclip:sam-b': ") and "samvit_base_patch16" in str(e.value)
    assert calls == []


def test_vfm_needed_but_config_has_none(image):
    seg = Segmenter.from_config("tiny", device="cpu", text_cache_dir=None, method="clip", vfm=None)
    with pytest.raises(UsageError, match="method spec 'proxyclip': method 'proxyclip' needs a VFM and the config "
                                         "has none; write e.g. 'proxyclip:dino-b8'"):
        seg.compare(image, "clip,proxyclip", classes="cat")
    res = seg.compare(image, "clip,proxyclip:dino-b8", classes="cat, dog")
    assert res["proxyclip:dino-b8"].meta["vfm"] == "dino-b8"


def test_keep_probs_false_drops_probability_maps(seg, image):
    res = seg.compare(image, "clip,maskclip", classes="cat, dog", keep_probs=False)
    kept = seg.compare(image, "clip,maskclip", classes="cat, dog")
    for spec in res:
        assert res[spec].probs.shape == (2, 0, 0) and kept[spec].probs.shape == (2, 40, 56)
        np.testing.assert_array_equal(res[spec].mask, kept[spec].mask)
        assert res[spec].shares() == kept[spec].shares()
