"""Spec loading and cell expansion (no models, no mmseg runs)."""
from pathlib import Path

import pytest

from proxyseg.sweep import SpecError, load_spec
from proxyseg.sweep.spec import check_value, format_value

REPO = Path(__file__).resolve().parents[2]


def test_configs_times_grid(write_spec):
    spec = load_spec(write_spec("""
        name = 'g'
        configs = ['configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py',
                   dict(config='configs/smoke/proxyclip_tiny_dino_smoke-coco-stuff.py', label='stuff',
                        expected=dict(mIoU=10.0, source='made up'))]
        grid = {'model.vfm.arch': ['b8', 'b16'], 'model.feature_adjust': [True, False]}
    """))
    assert spec.name == "g" and len(spec.cells) == 8
    c = spec.cells[0]
    assert c.overrides == {"model.vfm.arch": "b8", "model.feature_adjust": True}
    assert c.cfg_options() == ["model.vfm.arch=b8", "model.feature_adjust=True"]
    assert c.config == "configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py" and c.config_path.is_file()
    assert spec.cells[4].label == "stuff [arch=b8, feature_adjust=True]"
    assert spec.cells[4].expected_value("mIoU") == 10.0 and spec.cells[0].expected is None
    assert spec.heatmap == ("model.vfm.arch", "model.feature_adjust")  # a 2-D grid
    assert len({c.id for c in spec.cells}) == 8


def test_cell_ids_ignore_labels_and_order_but_not_results_args(write_spec):
    a = load_spec(write_spec("cells = [dict(config='configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py', "
                             "overrides={'model.beta': 1.0, 'model.gamma': 2.0}, label='A')]", "a.py"))
    b = load_spec(write_spec("cells = [dict(config='configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py', "
                             "overrides={'model.gamma': 2.0, 'model.beta': 1.0}, label='B')]", "b.py"))
    assert a.cells[0].id == b.cells[0].id
    c = load_spec(write_spec("cells = [dict(config='configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py', "
                             "overrides={'model.gamma': 2.0, 'model.beta': 1.0})]", "c.py"), salt=["--limit", "5"])
    assert c.cells[0].id != a.cells[0].id


@pytest.mark.parametrize("value", [1.2, 3, True, False, None, "b14_reg", [1, 2], (336, 336), "a/b.pth"])
def test_values_round_trip(value):
    check_value("k", value)


@pytest.mark.parametrize("value", ["1.5", "True", "a,b", "with space", {"type": "sam"}])
def test_values_that_would_change_are_rejected(value):
    with pytest.raises(SpecError):
        check_value("k", value)


def test_format_value():
    assert format_value([1.0, "x"]) == "[1.0,x]" and format_value((1,)) == "(1,)" and format_value(None) == "None"


@pytest.mark.parametrize("source, match", [
    ("grids = {'model.beta': [1]}\nconfigs = ['x.py']", "did you mean 'grid'"),
    ("name = 'x'", "no cells"),
    ("cells = [dict(config='x.py', overides={})]", "did you mean 'overrides'"),
    ("cells = [dict(config='x.py', expected=dict(mIoU='high'))]", "must be a number"),
    ("cells = [dict(config='x.py'), dict(config='x.py')]", "duplicates"),
    ("configs = ['x.py']\ngrid = {'model.beta': []}", "empty"),
    ("configs = ['x.py']\nmetric = 'IoU'", "metric must be"),
    ("raise RuntimeError('boom')", "failed to load"),
])
def test_bad_specs(write_spec, source, match):
    with pytest.raises(SpecError, match=match):
        load_spec(write_spec(source))


def test_missing_spec_is_a_usage_error(tmp_path):
    with pytest.raises(SpecError, match="not found") as e:
        load_spec(tmp_path / "nope.py")
    assert e.value.exit_code == 2


def test_select(write_spec):
    spec = load_spec(write_spec("""
        configs = ['configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py']
        grid = {'model.beta': [1.0, 1.2], 'model.gamma': [2.0, 3.0]}
    """))
    assert [c.label for c in spec.select(["beta=1.2"])] == ["beta=1.2, gamma=2.0", "beta=1.2, gamma=3.0"]
    assert len(spec.select(["*gamma=3.0*"])) == 2 and len(spec.select([])) == 4
    assert spec.select(["nothing-like-this"]) == []


def test_seed_specs_load_with_only_known_paper_numbers():
    specs = {n: load_spec(REPO / "configs/seed" / f"{n}.py")
             for n in ("table1", "table2", "vfm_ablation", "beta_gamma", "smoke_sweep")}
    t1 = specs["table1"]
    exp = {c.label: c.expected_value("mIoU") for c in t1.cells}
    assert exp.pop("MaskCLIP (COCO-Stuff)") == 12.51 and exp.pop("MaskCLIP+ (COCO-Stuff)") == 15.16
    assert exp.pop("ProxyCLIP (COCO-Stuff)") == 26.53 and exp.pop("ProxyCLIP (COCO-Object)") == 37.54
    assert exp.pop("ProxyCLIP + feature adjust (COCO-Object)") == 22.89
    assert all(v is None for v in exp.values())  # nothing invented
    assert [c.expected_value("mIoU") for c in specs["table2"].cells] == [36.25, 37.54, 23.75]
    assert t1.name == "table1" and specs["table2"].name == "table2"
    assert {c.group for c in t1.cells} == {"COCO-Stuff", "COCO-Object"}
    assert [c.label for c in specs["table2"].cells] == ["DINO ViT-B/16", "DINO ViT-B/8", "SAM ViT-B"]
    vfms = {(c.overrides["model.vfm.type"], c.overrides["model.vfm.arch"]) for c in specs["vfm_ablation"].cells}
    assert vfms == {("dino", "s8"), ("dino", "s16"), ("dino", "b8"), ("dino", "b16"), ("dinov2", "b14_reg"),
                    ("sam", "b"), ("mae", "b16"), ("unet", "carvana"), ("diffusion", "sd15")}
    assert len(specs["beta_gamma"].cells) == 16 and specs["beta_gamma"].heatmap == ("model.beta", "model.gamma")
    assert len(specs["smoke_sweep"].cells) == 4
    own = [c for s in specs.values() for c in s.cells if "maskclip_plus" not in c.config]
    assert all(c.config_path.is_file() for c in own), [c.config for c in own if not c.config_path.is_file()]


def test_baseline_and_feature_adjust_configs():
    from mmengine.config import Config

    want = {
        "configs/baselines/clip_vit-b16_coco-stuff164k.py": ("clip", 0.0, False, "COCOStuffDataset"),
        "configs/baselines/clip_vit-b16_coco-object.py": ("clip", 0.1, False, "COCOObjectDataset"),
        "configs/baselines/maskclip_vit-b16_coco-stuff164k.py": ("maskclip", 0.0, False, "COCOStuffDataset"),
        "configs/baselines/maskclip_vit-b16_coco-object.py": ("maskclip", 0.1, False, "COCOObjectDataset"),
        "configs/proxyclip/proxyclip_vit-b16_dino-b8_fa_coco-stuff164k.py": ("proxyclip", 0.0, True, "COCOStuffDataset"),
        "configs/proxyclip/proxyclip_vit-b16_dino-b8_fa_coco-object.py": ("proxyclip", 0.25, True, "COCOObjectDataset"),
    }
    for path, (method, thd, fa, ds) in want.items():
        cfg = Config.fromfile(str(REPO / path), import_custom_modules=False)
        m = cfg.model
        assert (m.method, m.prob_thd, m.feature_adjust, cfg.test_dataloader.dataset.type) == (method, thd, fa, ds), path
        assert m.logit_scale == 40 and m.name_path.endswith(".txt")
        assert (m.vfm is None) == (method != "proxyclip")
