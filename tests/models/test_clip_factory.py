"""build_clip: the MLP activation follows the pretrained tag (QuickGELU for OpenAI's weights), for hub
tags and local files alike, with an explicit override; OpenAI's exact constants for the VFM's pixels."""
import pytest
import torch
import torch.nn as nn

from proxyseg import weights as W
from proxyseg.models import build_clip, tiny_clip_cfg


def activations(model):
    """The activation classes of every MLP in both towers (what really reached the model)."""
    blocks = list(model.visual.transformer.resblocks) + list(model.transformer.resblocks)
    return {type(b.mlp.gelu).__name__ for b in blocks}


@pytest.fixture
def tiny_as(monkeypatch, tmp_path):
    """Make open_clip's ``ViT-B-16`` / ``ViT-H-14`` configs tiny and write a tiny state dict file.

    open_clip's real pretrained registry (tags, their ``quick_gelu``) stays as it is; downloads
    return the tiny file.
    """
    import open_clip.factory as F

    cfg = tiny_clip_cfg()
    for name in ("ViT-B-16", "ViT-H-14"):
        monkeypatch.setitem(F._MODEL_CONFIGS, name, dict(cfg))
    torch.manual_seed(0)
    path = tmp_path / "tiny_clip.pth"
    torch.save(build_clip(model_cfg=cfg)[0].state_dict(), path)
    fetched = []

    def fake_download(pretrained_cfg, *a, **k):
        fetched.append(pretrained_cfg)
        return str(path)

    monkeypatch.setattr(F, "download_pretrained", fake_download)
    weights_dir = tmp_path / "weights"
    weights_dir.mkdir()
    monkeypatch.setenv("PROXYSEG_WEIGHTS", str(weights_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return path, weights_dir, fetched


def test_tag_config_is_what_open_clip_says():
    from proxyseg.models.clip_factory import tag_quick_gelu

    assert tag_quick_gelu("ViT-B-16", "openai") is True
    assert tag_quick_gelu("ViT-L-14", "openai") is True
    assert tag_quick_gelu("ViT-H-14", "laion2b_s32b_b79k") is False
    assert tag_quick_gelu("ViT-B-16", "no-such-tag") is None


@pytest.mark.parametrize("name,tag,expected", [("ViT-B-16", "openai", "QuickGELU"),
                                               ("ViT-H-14", "laion2b_s32b_b79k", "GELU")])
def test_local_file_follows_the_tag(tiny_as, name, tag, expected):
    path, weights_dir, fetched = tiny_as
    (weights_dir / f"{name}-{tag}.pth").write_bytes(path.read_bytes())
    model, _ = build_clip(name, tag)
    assert activations(model) == {expected}
    assert not fetched
    ref = torch.load(path, weights_only=True)
    assert all(torch.equal(v, ref[k]) for k, v in model.state_dict().items() if k in ref)  # weights loaded
    model2, _ = build_clip(name, tag, checkpoint=str(path))  # an explicit file too
    assert activations(model2) == {expected}


@pytest.mark.parametrize("name,tag,expected", [("ViT-B-16", "openai", "QuickGELU"),
                                               ("ViT-H-14", "laion2b_s32b_b79k", "GELU")])
def test_hub_tag_follows_the_tag(tiny_as, monkeypatch, name, tag, expected):
    _, _, fetched = tiny_as
    monkeypatch.setattr(W, "offline", lambda: False)
    with _no_quickgelu_warning():
        model, _ = build_clip(name, tag)
    assert fetched, "the hub path was taken"
    assert activations(model) == {expected}


class _no_quickgelu_warning:
    """open_clip warns on a QuickGELU mismatch between model and tag: there must be none."""

    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings(record=True)
        self.records = self._cm.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        msgs = [str(r.message) for r in self.records if "QuickGELU" in str(r.message)]
        assert not msgs, msgs


@pytest.mark.parametrize("override,expected", [(True, "QuickGELU"), (False, "GELU")])
def test_override_beats_the_tag(tiny_as, override, expected):
    path, _, _ = tiny_as
    for name, tag in (("ViT-B-16", "openai"), ("ViT-H-14", "laion2b_s32b_b79k")):
        model, _ = build_clip(name, tag, checkpoint=str(path), quick_gelu=override)
        assert activations(model) == {expected}


def test_unknown_tag_with_local_file_uses_the_model_config(tiny_as):
    path, _, _ = tiny_as
    model, _ = build_clip("ViT-B-16", "my-finetune", checkpoint=str(path))
    assert activations(model) == {"GELU"}
    model, _ = build_clip("ViT-B-16", "my-finetune", checkpoint=str(path), quick_gelu=True)
    assert activations(model) == {"QuickGELU"}


def test_random_and_tiny_models_can_choose(tiny_as):
    assert activations(build_clip("ViT-B-16", None)[0]) == {"GELU"}
    assert activations(build_clip("ViT-B-16", None, quick_gelu=True)[0]) == {"QuickGELU"}
    cfg = tiny_clip_cfg()
    assert activations(build_clip(model_cfg=cfg)[0]) == {"GELU"}
    assert activations(build_clip(model_cfg=cfg, quick_gelu=True)[0]) == {"QuickGELU"}
    assert activations(build_clip(model_cfg=dict(cfg, quick_gelu=True), quick_gelu=False)[0]) == {"GELU"}


def test_build_segmenter_passes_the_override():
    from proxyseg.models import build_segmenter

    seg = build_segmenter(clip=dict(model_cfg=tiny_clip_cfg(), quick_gelu=True), method="clip", classes=["a", "b"],
                          pretrained=False, text_cache_dir=None, templates="a_photo")
    assert activations(seg.clip_model) == {"QuickGELU"}


def test_quickgelu_changes_the_output():
    """Not a no-op: the same weights give different features under the two activations."""
    torch.manual_seed(0)
    cfg = tiny_clip_cfg(image_size=64)
    a = build_clip(model_cfg=cfg)[0]
    b = build_clip(model_cfg=cfg, quick_gelu=True)[0]
    b.load_state_dict(a.state_dict())
    x = torch.randn(1, 3, 64, 64)
    assert not torch.allclose(a.encode_image(x), b.encode_image(x), atol=1e-4)


# ------------------------------------------------------------------ the VFM sees upstream's pixels


def test_unnormalize_uses_openai_exact_constants(make_segmenter):
    """Upstream un-normalises the window with OpenAI's exact mean/std (mc-lan/ProxyCLIP:proxyclip_segmentor.py)."""
    seg = make_segmenter()
    mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
    std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
    x = torch.randn(2, 3, 8, 8) * 2
    assert torch.equal(seg.unnormalize(x), x * std + mean)
    seen = []
    orig = seg.vfm.forward
    seg.vfm.forward = lambda px: seen.append(px.clone()) or orig(px)
    try:
        window = torch.randn(1, 3, 16, 16)
        seg.forward_windows(window)
    finally:
        del seg.vfm.forward
    assert len(seen) == 1 and torch.equal(seen[0], window * std + mean)  # what reached the VFM


def test_mmseg_preprocessor_constants_unchanged():
    from proxyseg.models.clip_factory import CLIP_MEAN, CLIP_STD

    assert CLIP_MEAN == (122.771, 116.746, 104.094) and CLIP_STD == (68.501, 66.632, 70.323)


def test_text_cache_tells_the_activations_apart(tmp_path):
    """A disk cache written by a GELU model must not be read back for the same weights with QuickGELU."""
    from proxyseg.text import TextClassifier

    torch.manual_seed(0)
    cfg = tiny_clip_cfg()
    gelu, tok = build_clip(model_cfg=cfg)
    quick, _ = build_clip(model_cfg=cfg, quick_gelu=True)
    quick.load_state_dict(gelu.state_dict())
    a = TextClassifier(gelu, tok, ["a {}."], cache_dir=tmp_path).encode(["cat", "dog"])
    b = TextClassifier(quick, tok, ["a {}."], cache_dir=tmp_path).encode(["cat", "dog"])
    assert not torch.allclose(a, b, atol=1e-5)
    assert len(list(tmp_path.glob("*.pt"))) == 2
