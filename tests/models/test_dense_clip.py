import pytest
import torch

from proxyseg.errors import ConfigError
from proxyseg.models import DenseCLIP, build_vfm
from proxyseg.models.pos_embed import interpolate_grid_pos_embed
from proxyseg.ops.clip_block import cls_token


@pytest.fixture(scope="module")
def dense(tiny_clip):
    return DenseCLIP(tiny_clip[0])


def test_clip_mode_equals_open_clip_tokens_at_native_size(dense, tiny_clip):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 224, 224)
    visual = tiny_clip[0].visual
    visual.output_tokens = True
    try:
        with torch.no_grad():
            _, tokens = visual(x)
            ref = tokens @ visual.proj
            out = dense(x, mode="clip")
    finally:
        visual.output_tokens = False
    assert out.shape == (2, 32, 14, 14)
    assert torch.allclose(out.flatten(2).transpose(1, 2), ref, atol=1e-4)


@pytest.mark.parametrize("hw", [(336, 336), (96, 160)])
def test_proxyclip_on_vfm_grid_and_differs_from_clip(dense, tiny_vfm, hw):
    torch.manual_seed(0)
    x = torch.randn(1, 3, *hw)
    with torch.no_grad():
        feats = tiny_vfm(x.sigmoid())
        prox = dense(x, mode="proxyclip", vfm_feats=feats)
        plain = dense(x, mode="clip")
    assert feats.shape[-2:] == (hw[0] // 8, hw[1] // 8)
    assert prox.shape == (1, 32, hw[0] // 8, hw[1] // 8)
    assert plain.shape == (1, 32, hw[0] // 16, hw[1] // 16)
    assert torch.isfinite(prox).all()
    down = torch.nn.functional.interpolate(prox, size=plain.shape[-2:], mode="bilinear")
    assert not torch.allclose(down, plain, atol=1e-3)


def test_all_modes_and_cls(dense):
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for mode in ("clip", "maskclip", "clearclip", "sclip", "naclip"):
            assert dense(x, mode=mode).shape == (1, 32, 4, 6)
        feats, cls = dense.forward_features(x, mode="clip", return_cls=True)
    assert cls.shape == (1, 32)
    with pytest.raises(ConfigError, match=r"unknown method 'nope'.*valid: .*clip, maskclip, naclip, proxyclip, sclip"):
        dense(x, mode="nope")
    with pytest.raises(ConfigError, match="needs vfm_feats"):
        dense(x, mode="proxyclip")


def test_cls_pass_equals_full_last_block(dense):
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        tokens, _ = dense.trunk(x)
        last = dense.visual.transformer.resblocks[-1]
        assert torch.allclose(cls_token(last, tokens), last(tokens)[:, 0], atol=1e-5)


def test_cls_pass_with_open_clip_attention_class():
    """The class-token pass reads the block's weights, so open_clip's own Attention class works too."""
    from open_clip.transformer import CustomResidualAttentionBlock

    torch.manual_seed(0)
    block = CustomResidualAttentionBlock(32, 4).eval()
    x = torch.randn(2, 1 + 9, 32)
    with torch.no_grad():
        assert torch.allclose(cls_token(block, x), block(x)[:, 0], atol=1e-5)


def test_pos_embed_dino_convention():
    pe = torch.randn(14 * 14, 8)
    assert interpolate_grid_pos_embed(pe, (14, 14), (14, 14)) is pe
    out = interpolate_grid_pos_embed(pe, (14, 14), (21, 10))
    assert out.shape == (210, 8)
    grid = pe.reshape(1, 14, 14, 8).permute(0, 3, 1, 2)
    ref = torch.nn.functional.interpolate(grid, scale_factor=(21.1 / 14, 10.1 / 14), mode="bicubic")
    assert torch.allclose(out, ref.permute(0, 2, 3, 1).reshape(210, 8))
    by_size = torch.nn.functional.interpolate(grid, size=(21, 10), mode="bicubic")
    assert not torch.allclose(out, by_size.permute(0, 2, 3, 1).reshape(210, 8))


def test_dino_grids_and_token_features_match_timm():
    kw = dict(embed_dim=48, depth=2, num_heads=3)
    b8 = build_vfm(dict(type="dino", arch="b8", model_kwargs=kw), pretrained=False)
    b16 = build_vfm(dict(type="dino", arch="b16", model_kwargs=kw), pretrained=False)
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        f8, f16 = b8(x), b16(x)
        ref = b16.model.forward_features(b16.prepare(x))  # timm, native grid, after final norm
    assert f8.shape == (1, 48, 28, 28) and f16.shape == (1, 48, 14, 14)
    assert b8.patch_size == 8 and b16.patch_size == 16 and b8.embed_dim == 48
    assert torch.allclose(f16.flatten(2).transpose(1, 2), ref[:, 1:], atol=1e-5)
    assert b8(torch.rand(1, 3, 64, 96)).shape == (1, 48, 8, 12)
    key = build_vfm(dict(type="dino", arch="s16", feature="key", model_kwargs=kw), pretrained=False)
    assert key(x).shape == (1, 48, 14, 14)


def test_unknown_vfm_and_arch_list_valid_names():
    with pytest.raises(ConfigError, match="did you mean 'dino'.*valid: .*dino"):
        build_vfm(dict(type="dinoo"), pretrained=False)
    with pytest.raises(ConfigError, match="'b9'; valid: s8, s16, b8, b16"):
        build_vfm(dict(type="dino", arch="b9"), pretrained=False)
