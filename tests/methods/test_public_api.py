"""``proxyseg.models.DenseCLIP(open_clip_model)(images, mode=NAME)`` for every registered method."""
import pytest
import torch

from proxyseg.methods import build_method, method_names


def test_every_method_through_dense_clip(tiny_clip, tiny_vfm):
    from proxyseg.models import DenseCLIP

    dense = DenseCLIP(tiny_clip[0])
    torch.manual_seed(0)
    images = torch.randn(2, 3, 48, 64)
    names = method_names()
    assert {"clip", "maskclip", "proxyclip", "clearclip", "sclip", "naclip"} <= set(names)
    outs = {}
    with torch.no_grad():
        for name in names:
            kw = {}
            if build_method(name).needs_vfm:
                kw["vfm_feats"] = tiny_vfm(images * 0.25 + 0.5)
            out = dense(images, mode=name, **kw)
            h, w = kw["vfm_feats"].shape[-2:] if kw else (3, 4)
            assert out.shape == (2, dense.embed_dim, h, w), name
            assert torch.isfinite(out).all(), name
            outs[name] = out
    # every method computes something different (no name silently falls back to another)
    flat = [outs[n] for n in names if outs[n].shape[-2:] == (3, 4)]
    for i in range(len(flat)):
        for j in range(i + 1, len(flat)):
            assert (flat[i] - flat[j]).abs().max() > 1e-4


def test_method_object_and_dict_forms(tiny_clip):
    from proxyseg.models import DenseCLIP

    dense = DenseCLIP(tiny_clip[0])
    images = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        a = dense(images, mode="naclip")
        b = dense(images, mode=dict(type="naclip", gauss_std=5.0))
        c = dense(images, mode=build_method("naclip"))
    assert torch.equal(a, b) and torch.equal(a, c)
