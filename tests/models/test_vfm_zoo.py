"""The VFM zoo (dinov2, sam, mae, unet, diffusion): tiny random builds, grids, weight loading, errors."""
import sys

import pytest
import torch
import torch.nn.functional as F

from proxyseg.errors import CheckpointError, ConfigError, WeightsNotFoundError
from proxyseg.models.vfm import VFM_REGISTRY, build_vfm

TINY_VIT = dict(embed_dim=48, depth=2, num_heads=3)
TINY_SAM = dict(img_size=64, embed_dim=32, depth=2, num_heads=2, global_attn_indexes=(1,), window_size=4,
                neck_chans=16)
TINY = {
    "dinov2": dict(type="dinov2", arch="b14_reg", model_kwargs=TINY_VIT),
    "sam": dict(type="sam", arch="b", model_kwargs=TINY_SAM),
    "mae": dict(type="mae", arch="b16", input_size=(64, 96), model_kwargs=TINY_VIT),
    "unet": dict(type="unet", arch="carvana", base_channels=8),
}
TINY_SD_UNET = dict(sample_size=8, block_out_channels=(8, 16), layers_per_block=1,
                    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=8, attention_head_dim=2,
                    norm_num_groups=4)
TINY_SD_VAE = dict(block_out_channels=(8, 16), down_block_types=("DownEncoderBlock2D",) * 2,
                   up_block_types=("UpDecoderBlock2D",) * 2, layers_per_block=1, norm_num_groups=4,
                   latent_channels=4, sample_size=32)
TINY_SD = dict(type="diffusion", arch="sd15", input_size=(32, 48), t=261, level=1,
               model_kwargs=dict(unet=TINY_SD_UNET, vae=TINY_SD_VAE))
SD_SKIP = 'diffusion VFM tests need diffusers: pip install "proxyseg[diffusion]"'
# square and non-square windows (multiples of 14 for DINOv2, of 16 and 8 for the others)
WINDOWS = {"dinov2": [(56, 56), (56, 84)], "sam": [(64, 64), (64, 96)], "mae": [(64, 64), (64, 96)],
           "unet": [(64, 64), (64, 96), (50, 70)]}


@pytest.fixture(scope="module")
def tiny():
    """Tiny random VFMs, built once: name -> VFM."""
    out = {}
    for name, cfg in TINY.items():
        torch.manual_seed(0)
        out[name] = build_vfm(cfg, pretrained=False)
    return out


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    """An empty ``$PROXYSEG_WEIGHTS``, offline, and an empty cache."""
    d = tmp_path / "weights"
    d.mkdir()
    monkeypatch.setenv("PROXYSEG_WEIGHTS", str(d))
    monkeypatch.setenv("PROXYSEG_OFFLINE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return d


def run(vfm, h, w, b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        return vfm(torch.rand(b, 3, h, w, generator=g))


# ---------------------------------------------------------------- contract: grids, finiteness


@pytest.mark.parametrize("name", list(TINY))
def test_grid_matches_out_grid(tiny, name):
    vfm = tiny[name]
    for h, w in WINDOWS[name]:
        y = run(vfm, h, w)
        assert y.shape == (2, vfm.embed_dim, *vfm.out_grid(h, w)), (name, h, w)
        assert torch.isfinite(y).all()


@pytest.mark.parametrize("name", ["dinov2", "sam", "mae", "unet", "diffusion"])
def test_registered_and_unknown_arch(name):
    build_vfm(dict(type="dino", arch="b8", model_kwargs=TINY_VIT), pretrained=False)  # loads the registry
    assert name in VFM_REGISTRY
    cls = VFM_REGISTRY[name]
    with pytest.raises(ConfigError) as e:
        build_vfm(dict(type=name, arch="nope"), pretrained=False)
    for arch in cls.ARCHS:
        assert arch in str(e.value)


@pytest.mark.parametrize("name", ["dinov2", "sam", "mae"])
def test_timm_names_exist(name):
    import timm

    for model_name in VFM_REGISTRY[name].ARCHS.values():
        assert timm.list_pretrained(model_name) == [model_name]


def test_dinov2_drops_cls_and_registers(tiny):
    vfm = tiny["dinov2"]
    assert vfm.model.num_prefix_tokens == 5 and vfm.patch_size == 14
    x = torch.rand(1, 3, 56, 84)
    with torch.no_grad():
        tokens = vfm.model.forward_features(vfm.prepare(x))  # (1, 5 + 4*6, C)
        y = vfm(x)
    assert tokens.shape[1] == 5 + 4 * 6 and y.shape[-2:] == (4, 6)
    assert torch.allclose(y.flatten(2).transpose(1, 2), tokens[:, 5:])


def test_dinov2_pos_resample_modes():
    """'hub' (size=, antialias) and 'dino' (scale_factor + 0.1) agree on the pretrained grid only."""
    kw = dict(TINY_VIT, img_size=56)
    torch.manual_seed(0)
    hub = build_vfm(dict(type="dinov2", model_kwargs=kw), pretrained=False)
    torch.manual_seed(0)
    dino = build_vfm(dict(type="dinov2", pos_resample="dino", model_kwargs=kw), pretrained=False)
    assert torch.allclose(run(hub, 56, 56), run(dino, 56, 56), atol=1e-5)
    assert not torch.allclose(run(hub, 56, 84), run(dino, 56, 84), atol=1e-5)
    with pytest.raises(ConfigError, match="pos_resample"):
        build_vfm(dict(type="dinov2", pos_resample="x", model_kwargs=TINY_VIT), pretrained=False)


def test_sam_grid_follows_img_size(tiny):
    vfm = tiny["sam"]
    assert vfm.input_size == (64, 64) and vfm.embed_dim == 16 and vfm.patch_size == 16
    for h, w in [(40, 200), (336, 336)]:
        assert run(vfm, h, w, b=1).shape == (1, 16, 4, 4) == (1, 16, *vfm.out_grid(h, w))


def test_mae_resizes_to_input_size(tiny):
    vfm = tiny["mae"]
    for h, w in [(32, 32), (112, 336)]:
        assert run(vfm, h, w, b=1).shape == (1, 48, 4, 6) == (1, 48, *vfm.out_grid(h, w))
    # the position embeddings were resampled once, MAE-style (size=, bicubic), from 14x14 to 4x6
    torch.manual_seed(0)
    raw = build_vfm(dict(TINY["mae"], input_size=None), pretrained=False).model.pos_embed
    grid = raw[:, 1:].reshape(1, 14, 14, -1).permute(0, 3, 1, 2)
    want = F.interpolate(grid, size=(4, 6), mode="bicubic", align_corners=False).permute(0, 2, 3, 1).reshape(1, 24, -1)
    assert torch.allclose(vfm.model.pos_embed[:, 1:], want) and torch.equal(vfm.model.pos_embed[:, :1], raw[:, :1])


# ---------------------------------------------------------------- timm weights from local files


@pytest.mark.parametrize("name,suffix", [("dinov2", ".safetensors"), ("sam", ".pth"), ("mae", ".pth")])
def test_timm_vfm_loads_local_file(weights_dir, name, suffix):
    import timm
    from safetensors.torch import save_file

    cfg = TINY[name]
    model_name = VFM_REGISTRY[name].ARCHS[cfg["arch"]]
    torch.manual_seed(0)
    sd = timm.create_model(model_name, pretrained=False, num_classes=0, **cfg["model_kwargs"]).state_dict()
    path = weights_dir / f"{model_name}{suffix}"
    if suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    else:
        torch.save(sd, path)
    torch.manual_seed(0)
    ref = build_vfm(cfg, pretrained=False)
    torch.manual_seed(1)  # different random init: only the file can make them equal
    loaded = build_vfm(cfg, pretrained=True)
    h, w = WINDOWS[name][1]
    assert torch.equal(run(loaded, h, w), run(ref, h, w))


def test_sam_loads_original_release_file(weights_dir):
    """``sam_vit_b_01ec64.pth`` keys (``image_encoder.``, ``mlp.lin``) load through timm's filter."""
    torch.manual_seed(0)
    ref = build_vfm(TINY["sam"], pretrained=False)
    sd = {"image_encoder." + k.replace("mlp.fc", "mlp.lin"): v for k, v in ref.model.state_dict().items()}
    sd["prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"] = torch.zeros(2, 8)
    torch.save(sd, weights_dir / "sam_vit_b_01ec64.pth")
    loaded = build_vfm(TINY["sam"], pretrained=True)
    assert torch.equal(run(loaded, 64, 96), run(ref, 64, 96))


@pytest.mark.parametrize("name", ["dinov2", "sam", "mae"])
def test_timm_vfm_missing_weights(weights_dir, name):
    with pytest.raises(WeightsNotFoundError) as e:
        build_vfm(TINY[name], pretrained=True)
    msg = str(e.value)
    assert VFM_REGISTRY[name].ARCHS[TINY[name]["arch"]] in msg and str(weights_dir) in msg


# ---------------------------------------------------------------- UNet (Carvana layout)


def test_unet_full_size_carvana_layout():
    from proxyseg.models.vfm.unet import UNet

    sd = UNet().state_dict()
    shapes = {
        "inc.double_conv.0.weight": (64, 3, 3, 3),
        "inc.double_conv.1.running_var": (64,),
        "inc.double_conv.3.weight": (64, 64, 3, 3),
        "inc.double_conv.4.weight": (64,),
        "down1.maxpool_conv.1.double_conv.0.weight": (128, 64, 3, 3),
        "down4.maxpool_conv.1.double_conv.3.weight": (1024, 1024, 3, 3),
        "up1.up.weight": (1024, 512, 2, 2),
        "up1.up.bias": (512,),
        "up1.conv.double_conv.0.weight": (512, 1024, 3, 3),
        "up3.conv.double_conv.3.weight": (128, 128, 3, 3),
        "up4.up.weight": (128, 64, 2, 2),
        "up4.conv.double_conv.0.weight": (64, 128, 3, 3),
        "outc.conv.weight": (2, 64, 1, 1),
        "outc.conv.bias": (2,),
    }
    for k, shape in shapes.items():
        assert tuple(sd[k].shape) == shape, k
    assert len(sd) == 118  # 18 double convs x 6 entries + 4 x up.{weight,bias} + outc.{weight,bias}
    assert sum(v.numel() for k, v in sd.items() if "running" not in k and "num_batches" not in k) == 31_037_698
    assert not any(k.startswith(("up1.conv.double_conv.6", "inc.double_conv.2.")) for k in sd)


def test_unet_bilinear_layout():
    from proxyseg.models.vfm.unet import UNet

    sd = UNet(bilinear=True, base_channels=8).state_dict()
    assert tuple(sd["down4.maxpool_conv.1.double_conv.0.weight"].shape) == (64, 64, 3, 3)
    assert tuple(sd["up1.conv.double_conv.0.weight"].shape) == (64, 128, 3, 3)  # mid = in // 2
    assert not any(".up." in k for k in sd)


def test_unet_features_are_pooled_up3(tiny):
    vfm = tiny["unet"]
    assert vfm.layer == "up3" and vfm.embed_dim == 16 and vfm.patch_size == 8 and not vfm.normalize
    x = torch.rand(1, 3, 50, 70)
    with torch.no_grad():
        up3 = vfm.model.decode(x, "up3")
        logits = vfm.model(x)
        y = vfm(x)
    assert up3.shape == (1, 16, 25, 35) and logits.shape == (1, 2, 50, 70)
    assert torch.allclose(y, F.adaptive_avg_pool2d(up3, (6, 8)))


@pytest.mark.parametrize("layer,channels", [("up1", 64), ("up2", 32), ("up4", 8)])
def test_unet_layers(layer, channels):
    vfm = build_vfm(dict(TINY["unet"], layer=layer, stride=16), pretrained=False)
    assert vfm.embed_dim == channels and vfm.patch_size == 16
    assert run(vfm, 64, 96, b=1).shape == (1, channels, 4, 6) == (1, channels, *vfm.out_grid(64, 96))


def test_unet_bad_options():
    with pytest.raises(ConfigError, match="up1, up2, up3, up4"):
        build_vfm(dict(TINY["unet"], layer="up5"), pretrained=False)
    with pytest.raises(ConfigError, match="stride"):
        build_vfm(dict(TINY["unet"], stride=0), pretrained=False)


def _carvana_file(path, net):
    sd = dict(net.state_dict())
    sd["mask_values"] = [0, 1]  # as in the published files: not a tensor
    torch.save(sd, path)


@pytest.mark.parametrize("as_dir", [False, True])
def test_unet_loads_checkpoint_with_mask_values(tmp_path, weights_dir, as_dir):
    torch.manual_seed(0)
    ref = build_vfm(TINY["unet"], pretrained=False)
    path = tmp_path / "unet_carvana_scale1.0_epoch2.pth"
    _carvana_file(path, ref.model)
    torch.manual_seed(1)
    ckpt = str(tmp_path) if as_dir else str(path)
    loaded = build_vfm(dict(TINY["unet"], checkpoint=ckpt), pretrained=True)
    assert torch.equal(run(loaded, 64, 96), run(ref, 64, 96))


def test_unet_found_in_weights_dir(weights_dir):
    torch.manual_seed(0)
    ref = build_vfm(dict(TINY["unet"], arch="carvana_0.5"), pretrained=False)
    _carvana_file(weights_dir / "unet_carvana_scale0.5_epoch2.pth", ref.model)
    loaded = build_vfm(dict(TINY["unet"], arch="carvana_0.5"), pretrained=True)
    assert torch.equal(run(loaded, 64, 64), run(ref, 64, 64))


def test_unet_wrong_keys(tmp_path, weights_dir):
    from proxyseg.models.vfm.unet import UNet

    sd = UNet(base_channels=8).state_dict()
    sd["extra.weight"] = sd.pop("outc.conv.weight")
    path = tmp_path / "bad.pth"
    torch.save(sd, path)
    with pytest.raises(CheckpointError) as e:
        build_vfm(dict(TINY["unet"], checkpoint=str(path)), pretrained=True)
    assert "missing keys: outc.conv.weight" in str(e.value) and "unexpected keys: extra.weight" in str(e.value)
    # a full-size file into a base_channels=8 model: shape mismatches are listed
    _carvana_file(path, UNet())
    with pytest.raises(CheckpointError, match="shape mismatch: inc.double_conv.0.weight"):
        build_vfm(dict(TINY["unet"], checkpoint=str(path)), pretrained=True)


def test_unet_missing_checkpoint(weights_dir):
    with pytest.raises(WeightsNotFoundError) as e:
        build_vfm(dict(type="unet", arch="carvana"), pretrained=True)
    msg = str(e.value)
    assert "unet_carvana_scale1.0_epoch2.pth" in msg and str(weights_dir) in msg
    assert "github.com/milesial/Pytorch-UNet/releases" in msg and "--checkpoint" in msg


# ---------------------------------------------------------------- diffusion (optional: diffusers)


@pytest.fixture(scope="module")
def tiny_sd():
    pytest.importorskip("diffusers", reason=SD_SKIP)
    torch.manual_seed(0)
    return build_vfm(TINY_SD, pretrained=False)


def test_diffusion_grid_and_determinism(tiny_sd):
    assert tiny_sd.size_multiple == 4 and tiny_sd.patch_size == 2 and tiny_sd.embed_dim == 8
    assert run(tiny_sd, 64, 64, b=1).shape == (1, 8, 16, 24) == (1, 8, *tiny_sd.out_grid(64, 64))
    y = run(tiny_sd, 64, 96)
    assert y.shape == (2, 8, 16, 24) == (2, 8, *tiny_sd.out_grid(64, 96))
    assert torch.isfinite(y).all()
    assert torch.equal(y, run(tiny_sd, 64, 96))  # fixed-seed noise: deterministic
    assert torch.allclose(y[:1], run(tiny_sd, 64, 96, b=1), atol=1e-5)  # same noise for every window


def test_diffusion_square_level0():
    pytest.importorskip("diffusers", reason=SD_SKIP)
    vfm = build_vfm(dict(TINY_SD, input_size=(32, 32), level=0), pretrained=False)
    assert vfm.embed_dim == 16 and vfm.out_grid(50, 70) == (16, 16)
    assert run(vfm, 50, 70).shape == (2, 16, 16, 16)


def test_diffusion_parts_match_unet_forward(tiny_sd):
    """Calling the UNet's parts up to up_blocks[level] equals its own forward at that block."""
    unet = tiny_sd.model["unet"]
    got = {}
    handle = unet.up_blocks[tiny_sd.level].register_forward_hook(lambda m, i, o: got.setdefault("h", o))
    try:
        z = torch.randn(2, 4, 16, 24)
        ctx = torch.randn(2, 77, 8)
        with torch.no_grad():
            unet(z, tiny_sd.t, encoder_hidden_states=ctx)
            mine = tiny_sd.decode_to_level(unet, z, ctx)
    finally:
        handle.remove()
    assert torch.allclose(mine, got["h"], atol=1e-5)


def _save_sd_dir(vfm, path):
    vfm.model["unet"].save_pretrained(path / "unet")
    vfm.model["vae"].save_pretrained(path / "vae")
    return path


def test_diffusion_loads_diffusers_dir(tmp_path, weights_dir, tiny_sd, caplog):
    src = _save_sd_dir(tiny_sd, tmp_path / "sd")
    want = run(tiny_sd, 32, 48, b=1)
    with caplog.at_level("WARNING"):
        loaded = build_vfm(dict(TINY_SD, model_kwargs=None, checkpoint=str(src)), pretrained=True)
    assert torch.allclose(run(loaded, 32, 48, b=1), want, atol=1e-5)
    assert "all-zero prompt context" in caplog.text and not loaded.prompt_embeds.any()
    # found by name in $PROXYSEG_WEIGHTS too
    (weights_dir / "stable-diffusion-v1-5").symlink_to(src, target_is_directory=True)
    by_name = build_vfm(dict(TINY_SD, model_kwargs=None), pretrained=True)
    assert torch.equal(by_name.model["unet"].conv_in.weight, tiny_sd.model["unet"].conv_in.weight)
    with pytest.raises(ConfigError, match="model_kwargs"):
        build_vfm(dict(TINY_SD, checkpoint=str(src)), pretrained=True)


def test_diffusion_empty_prompt_from_text_encoder(tmp_path, tiny_sd):
    """A pipeline dir with text_encoder/ + tokenizer/ gives the real "" embedding (needs transformers)."""
    transformers = pytest.importorskip("transformers", reason="the empty-prompt embedding needs transformers")
    import json

    src = _save_sd_dir(tiny_sd, tmp_path / "sd")
    (tmp_path / "vocab.json").write_text(json.dumps({"<|startoftext|>": 0, "<|endoftext|>": 1, "a</w>": 2}))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    tok = transformers.CLIPTokenizer(vocab_file=str(tmp_path / "vocab.json"), merges_file=str(tmp_path / "merges.txt"),
                                     model_max_length=77)
    tok.save_pretrained(src / "tokenizer")
    cfg = transformers.CLIPTextConfig(vocab_size=3, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                      num_attention_heads=2, max_position_embeddings=77, bos_token_id=0,
                                      eos_token_id=1, pad_token_id=1)
    torch.manual_seed(0)
    enc = transformers.CLIPTextModel(cfg).eval()
    enc.save_pretrained(src / "text_encoder")
    vfm = build_vfm(dict(TINY_SD, model_kwargs=None, checkpoint=str(src)), pretrained=True)
    tok = transformers.CLIPTokenizer.from_pretrained(str(src), subfolder="tokenizer")
    ids = tok([""], padding="max_length", max_length=77, return_tensors="pt").input_ids
    with torch.no_grad():
        want = enc(ids)[0]
    assert vfm.prompt_embeds.shape == (1, 77, 8) and torch.allclose(vfm.prompt_embeds, want, atol=1e-6)


def test_diffusion_prompt_embeds_file(tmp_path, tiny_sd):
    emb = torch.randn(77, 8)
    torch.save(emb, tmp_path / "empty.pt")
    vfm = build_vfm(dict(TINY_SD, prompt_embeds=str(tmp_path / "empty.pt")), pretrained=False)
    assert torch.equal(vfm.prompt_embeds, emb[None])
    torch.save(torch.randn(77, 5), tmp_path / "bad.pt")
    with pytest.raises(ConfigError, match="77|prompt_embeds"):
        build_vfm(dict(TINY_SD, prompt_embeds=str(tmp_path / "bad.pt")), pretrained=False)


def test_diffusion_errors(weights_dir, tiny_sd):
    with pytest.raises(WeightsNotFoundError) as e:
        build_vfm(dict(type="diffusion", arch="sd21"), pretrained=True)
    assert "stable-diffusion-2-1" in str(e.value) and str(weights_dir) in str(e.value)
    with pytest.raises(WeightsNotFoundError, match="unet/ and vae/"):
        build_vfm(dict(type="diffusion", checkpoint=str(weights_dir)), pretrained=True)
    with pytest.raises(ConfigError, match="multiples of 4"):
        build_vfm(dict(TINY_SD, input_size=(30, 48)), pretrained=False)
    with pytest.raises(ConfigError, match="level"):
        build_vfm(dict(TINY_SD, level=2), pretrained=False)
    with pytest.raises(ConfigError, match="timestep"):
        build_vfm(dict(TINY_SD, t=1000), pretrained=False)


def test_diffusion_without_diffusers(monkeypatch):
    monkeypatch.setitem(sys.modules, "diffusers", None)  # import diffusers -> ImportError
    with pytest.raises(ConfigError, match=r'pip install "proxyseg\[diffusion\]"'):
        build_vfm(dict(type="diffusion", arch="sd15"), pretrained=False)
