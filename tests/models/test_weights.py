import pytest
import torch

from proxyseg import weights as W
from proxyseg.errors import CheckpointError, ConfigError, WeightsNotFoundError
from proxyseg.models import build_clip, build_vfm

TINY = dict(embed_dim=48, depth=2, num_heads=3)


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    d = tmp_path / "weights"
    d.mkdir()
    monkeypatch.setenv("PROXYSEG_WEIGHTS", str(d))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PROXYSEG_OFFLINE", "1")
    return d


def test_missing_weights_message(weights_dir):
    with pytest.raises(WeightsNotFoundError) as e:
        build_vfm(dict(type="dino", arch="b8", model_kwargs=TINY))
    msg = str(e.value)
    assert "vit_base_patch8_224.dino" in msg and str(weights_dir) in msg
    assert "huggingface.co/timm/vit_base_patch8_224.dino" in msg and "--checkpoint" in msg
    assert "offline" in msg


def test_missing_clip_message(weights_dir):
    with pytest.raises(WeightsNotFoundError, match=r"CLIP ViT-B-16 \(openai\).*ViT-B-16-openai"):
        build_clip("ViT-B-16", "openai")
    with pytest.raises(ConfigError, match="unknown CLIP model"):
        build_clip("ViT-B-99", "openai")
    with pytest.raises(ConfigError, match="unknown pretrained tag 'nope'"):
        build_clip("ViT-B-16", "nope")


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_local_file_found_in_weights_dir_and_loaded(weights_dir, suffix):
    torch.manual_seed(0)
    ref = build_vfm(dict(type="dino", arch="s16", model_kwargs=TINY), pretrained=False)
    path = weights_dir / f"vit_small_patch16_224.dino{suffix}"
    if suffix == ".pth":
        torch.save(ref.model.state_dict(), path)
    else:
        from safetensors.torch import save_file

        save_file(ref.model.state_dict(), str(path))
    loaded = build_vfm(dict(type="dino", arch="s16", model_kwargs=TINY))
    x = torch.rand(1, 3, 32, 48)
    assert torch.equal(loaded(x), ref(x))


def test_explicit_checkpoint_beats_weights_dir(weights_dir, tmp_path):
    (weights_dir / "a.pth").write_bytes(b"x")
    explicit = tmp_path / "mine.pth"
    explicit.write_bytes(b"y")
    assert W.find_weights(["a"], str(explicit)) == explicit
    assert W.find_weights(["a"]) == weights_dir / "a.pth"
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        W.find_weights(["a"], str(tmp_path / "nope.pth"))


def test_truncated_and_wrong_key_checkpoints(weights_dir, tmp_path):
    ref = build_vfm(dict(type="dino", arch="b16", model_kwargs=TINY), pretrained=False)
    good = tmp_path / "good.pth"
    torch.save(ref.model.state_dict(), good)
    truncated = tmp_path / "trunc.pth"
    truncated.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="cannot be read.*truncated"):
        build_vfm(dict(type="dino", arch="b16", model_kwargs=TINY, checkpoint=str(truncated)))
    sd = ref.model.state_dict()
    sd["extra.weight"] = torch.zeros(1)
    del sd["norm.weight"]
    wrong = tmp_path / "wrong.pth"
    torch.save({"state_dict": sd}, wrong)
    with pytest.raises(CheckpointError, match=r"missing keys: norm\.weight.*unexpected keys: extra\.weight"):
        build_vfm(dict(type="dino", arch="b16", model_kwargs=TINY, checkpoint=str(wrong)))
    other = build_vfm(dict(type="dino", arch="b8", model_kwargs=dict(TINY, embed_dim=24, num_heads=2)), pretrained=False)
    shapes = tmp_path / "shapes.pth"
    torch.save(other.model.state_dict(), shapes)
    with pytest.raises(CheckpointError, match="shape mismatch"):
        build_vfm(dict(type="dino", arch="b16", model_kwargs=TINY, checkpoint=str(shapes)))


def test_preflight_finds_missing_files_before_building(weights_dir):
    from proxyseg.models.preflight import check_weights

    base = dict(clip=dict(name="ViT-B-16", pretrained="openai"), vfm=dict(type="dino", arch="b8"), method="proxyclip")
    with pytest.raises(WeightsNotFoundError, match=r"CLIP ViT-B-16 \(openai\)"):
        check_weights(base)
    (weights_dir / "ViT-B-16-openai.bin").write_bytes(b"")
    with pytest.raises(WeightsNotFoundError, match="vit_base_patch8_224.dino"):
        check_weights(base)
    (weights_dir / "dino_vitbase8_pretrain.pth").write_bytes(b"")  # DINO's own release name is accepted
    check_weights(base)
    check_weights(dict(base, method="maskclip", vfm=dict(type="unet")))  # no VFM needed
    with pytest.raises(WeightsNotFoundError, match="unet_carvana_scale1.0_epoch2.pth.*Pytorch-UNet"):
        check_weights(dict(base, vfm=dict(type="unet", arch="carvana")))
    with pytest.raises(ConfigError, match="unknown VFM"):
        check_weights(dict(base, vfm=dict(type="nope")))
    check_weights(dict(base, pretrained=False))


def test_preflight_checks_the_arch_build_defaults_to(weights_dir):
    """A VFM config without ``arch`` is checked for the arch ``build`` uses (DINO: b8, not the first of ARCHS)."""
    from proxyseg.models.preflight import check_weights
    from proxyseg.models.vfm import VFM_REGISTRY, _load_all

    _load_all()  # registers the built-in VFMs
    assert VFM_REGISTRY["dino"].default_arch() == "b8"
    assert VFM_REGISTRY["dinov2"].default_arch() == "b14_reg"
    (weights_dir / "ViT-B-16-openai.bin").write_bytes(b"")
    (weights_dir / "vit_small_patch8_224.dino.pth").write_bytes(b"")  # s8 present, b8 (the default) missing
    base = dict(clip=dict(name="ViT-B-16", pretrained="openai"), vfm=dict(type="dino"), method="proxyclip")
    with pytest.raises(WeightsNotFoundError, match="vit_base_patch8_224.dino"):
        check_weights(base)
