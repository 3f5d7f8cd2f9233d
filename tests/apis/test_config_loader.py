"""Config loading without mmengine gives what mmengine gives."""
import pytest

from proxyseg.apis.config_loader import CONFIG_DIR, load_config, merge_dicts, resolve_config
from proxyseg.errors import ConfigError


def experiment_configs():
    return sorted(p for p in CONFIG_DIR.rglob("*.py") if "_base_" not in p.parts and "seed" not in p.parts
                  and "paper" not in p.parts)  # seed/, paper/: sweep specs


def strip(cfg):
    return {k: v for k, v in cfg.items() if k != "_config_path"}


@pytest.mark.parametrize("path", experiment_configs() + [CONFIG_DIR / "_base_/models/tiny_random.py"],
                         ids=lambda p: p.stem)
def test_fallback_matches_mmengine(path):
    pytest.importorskip("mmengine")
    try:
        expect = load_config(path, use_mmengine=True)
    except ConfigError:
        with pytest.raises(ConfigError):
            load_config(path, use_mmengine=False)
        return
    got = load_config(path, use_mmengine=False)
    assert strip(got) == strip(expect)


def test_presets_and_names():
    assert resolve_config("tiny").name == "tiny_random.py"
    p = resolve_config("proxyclip_vit-b16_dino-b8_coco-object")
    assert p == CONFIG_DIR / "proxyclip/proxyclip_vit-b16_dino-b8_coco-object.py"
    assert resolve_config("proxyclip_vit-b16_dino-b8_coco-object.py") == p
    assert resolve_config(str(p)) == p
    with pytest.raises(ConfigError, match="not found"):
        resolve_config("definitely-not-a-config")


def test_fallback_semantics(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base/a.py").write_text(
        "names = 'classes.txt'\nmodel = dict(clip=dict(name='ViT-B-16', pretrained='openai'), vfm=dict(type='dino', arch='b8'),"
        " beta=1.2, window=[1, 2])\n")
    (tmp_path / "base/b.py").write_text("other = 3\nhere = '{{fileBasenameNoExtension}}'\n")
    (tmp_path / "exp.py").write_text(
        "_base_ = ['./base/a.py', './base/b.py']\n"
        "import os\n"
        "model = dict(name_path={{_base_.names}}, quoted='{{_base_.model.clip.name}}', vfm=dict(_delete_=True, type='sam'),"
        " clip=dict(pretrained=None), window=[3])\n"
        "def helper():\n    pass\n")
    cfg = load_config(tmp_path / "exp.py", use_mmengine=False)
    m = cfg["model"]
    assert m["name_path"] == "classes.txt" and m["quoted"] == "ViT-B-16"
    assert m["vfm"] == {"type": "sam"}  # _delete_ replaced the base dict
    assert m["clip"] == {"name": "ViT-B-16", "pretrained": None}  # merged
    assert m["window"] == [3] and m["beta"] == 1.2
    assert cfg["other"] == 3 and cfg["here"] == "b" and "os" not in cfg and "helper" not in cfg
    try:
        import mmengine  # noqa: F401
    except ImportError:
        return
    expect = strip(load_config(tmp_path / "exp.py", use_mmengine=True))
    for c in (expect, cfg):
        c["model"].pop("quoted")  # mmengine leaves quoted placeholders unsubstituted; we resolve them
    assert expect == strip(cfg)


def test_fallback_errors(tmp_path):
    (tmp_path / "x.py").write_text("_base_ = 'missing.py'\n")
    with pytest.raises(ConfigError, match="missing.py not found .*a _base_ of"):
        load_config(tmp_path / "x.py", use_mmengine=False)
    (tmp_path / "loop.py").write_text("_base_ = './loop.py'\na = 1\n")
    with pytest.raises(ConfigError, match="inherits from itself"):
        load_config(tmp_path / "loop.py", use_mmengine=False)
    (tmp_path / "k1.py").write_text("a = 1\n")
    (tmp_path / "k2.py").write_text("a = 2\n")
    (tmp_path / "dup.py").write_text("_base_ = ['k1.py', 'k2.py']\n")
    with pytest.raises(ConfigError, match="a defined in more than one _base_"):
        load_config(tmp_path / "dup.py", use_mmengine=False)
    (tmp_path / "undef.py").write_text("_base_ = 'k1.py'\nb = {{_base_.zzz}}\n")
    with pytest.raises(ConfigError, match="_base_.zzz.* not defined"):
        load_config(tmp_path / "undef.py", use_mmengine=False)
    (tmp_path / "syntax.py").write_text("a = (\n")
    with pytest.raises(ConfigError, match="syntax error on line"):
        load_config(tmp_path / "syntax.py", use_mmengine=False)
    (tmp_path / "boom.py").write_text("a = 1 / 0\n")
    with pytest.raises(ConfigError, match="failed to run: ZeroDivisionError"):
        load_config(tmp_path / "boom.py", use_mmengine=False)


def test_merge_dicts_does_not_mutate():
    base = {"m": {"a": 1, "b": {"c": 2}}}
    out = merge_dicts(base, {"m": {"b": {"d": 3}}})
    assert out == {"m": {"a": 1, "b": {"c": 2, "d": 3}}} and base == {"m": {"a": 1, "b": {"c": 2}}}
