"""The protocol table (proxyseg/protocols.py), the generated configs/methods/ and what reaches a model."""
import runpy
from pathlib import Path

import pytest
from mmengine.config import Config

from proxyseg.errors import ConfigError
from proxyseg.methods import method_names
from proxyseg.protocols import BENCHMARKS, METHODS, PROTOCOLS, PUBLISHED, protocol, published

REPO = Path(__file__).resolve().parents[1]
GEN = runpy.run_path(str(REPO / "tools/generate_method_configs.py"), run_name="gen_method_configs")


def test_committed_configs_agree_with_the_table():
    assert GEN["main"](["--check"]) == 0
    expected = set(GEN["outputs"]())
    on_disk = {str(p.relative_to(REPO)) for p in (REPO / "configs/methods").rglob("*.py")}
    assert on_disk == {p for p in expected if p.startswith("configs/methods/")}  # nothing stale left behind
    assert len([p for p in expected if p.endswith(("_paper.py", "_shared.py")) and "/smoke/" not in p]) \
        == len(METHODS) * len(BENCHMARKS) * 2


def test_check_fails_on_an_edited_file(tmp_path, monkeypatch):
    target = REPO / "configs/methods/sclip/sclip_vit-b16_voc21_paper.py"
    original = target.read_text()
    try:
        target.write_text(original.replace("logit_scale=65.0", "logit_scale=60.0"))
        assert GEN["main"](["--check"]) == 1
    finally:
        target.write_text(original)


@pytest.mark.parametrize("method", METHODS)
def test_every_config_loads_with_its_protocol(method):
    for dataset, bench in BENCHMARKS.items():
        for kind in PROTOCOLS:
            cfg = Config.fromfile(str(REPO / GEN["config_path"](method, dataset, kind)))
            p = protocol(method, dataset, kind)
            assert cfg.protocol == kind
            m = cfg.model
            name = m.method if isinstance(m.method, str) else m.method.type
            assert name == method
            for key in ("logit_scale", "prob_thd", "slide_crop", "slide_stride", "area_thd"):
                assert m.get(key) == p["model"].get(key, m.get(key)), (method, dataset, kind, key)
            resize = [t for t in cfg.test_dataloader.dataset.pipeline if t.type == "Resize"][0]
            assert resize.scale == (2048, p["short_side"])
            assert cfg.test_dataloader.dataset.type == cfg.dataset_type  # the dataset base is intact
            exp = published(method, dataset, kind)
            assert (cfg.expected is None) if exp is None else (cfg.expected.mIoU == exp["mIoU"])
            assert Path(REPO / m.name_path).is_file()


def test_paper_protocol_facts():
    s = protocol("sclip", "voc21", "paper")
    assert s["model"]["logit_scale"] == 65.0 and s["model"]["area_thd"] == 0.1 and s["model"]["prob_thd"] == 0.1
    assert (s["model"]["slide_crop"], s["model"]["slide_stride"], s["short_side"]) == (224, 112, 336)
    assert protocol("sclip", "coco_stuff164k", "paper")["short_side"] == 448
    assert protocol("sclip", "cityscapes", "paper")["short_side"] == 560
    c = protocol("clearclip", "voc21", "paper")
    assert c["model"]["prob_thd"] == 0.5 and c["short_side"] == 448 and c["class_file"] == "clearclip/voc21"
    n = protocol("naclip", "voc20", "paper")
    assert n["model"]["slide_crop"] is None and n["model"]["postprocess"] == dict(type="pamr")
    t = protocol("trident", "cityscapes", "paper")
    assert t["model"]["method"] == dict(type="trident", cos_fac=3.0, refine_neg_cos=False, sam_split=2)
    assert t["model"]["guide_vfm"]["type"] == "sam" and t["model"]["vfm"]["arch"] == "b16"


@pytest.mark.parametrize("method", METHODS)
def test_shared_protocol_is_one_protocol(method):
    for dataset in BENCHMARKS:
        m = protocol(method, dataset, "shared")["model"]
        ref = protocol("proxyclip", dataset, "shared")["model"]
        for key in ("slide_crop", "slide_stride", "prob_thd"):
            assert m[key] == ref[key]
        assert "postprocess" not in m and "area_thd" not in m
        assert protocol(method, dataset, "shared")["short_side"] == BENCHMARKS[dataset].short_side
    scale = {"sclip": 50.0, "clearclip": 50.0}.get(method, 40.0)  # the method's own, else ProxyCLIP's
    assert protocol(method, "voc21", "shared")["model"]["logit_scale"] == scale


def test_published_numbers_are_the_benchmarks_table():
    assert published("clearclip", "voc21", "paper") == dict(mIoU=51.8, source=PUBLISHED["clearclip"]["source"])
    assert published("naclip", "cityscapes", "paper")["mIoU"] == 38.27  # repo, PAMR on
    assert published("naclip", "cityscapes", "shared")["mIoU"] == 35.5  # PAMR off row
    assert "paper's protocol" in published("sclip", "ade20k", "shared")["source"]


def test_bad_protocol_requests():
    with pytest.raises(ConfigError, match="protocol must be"):
        protocol("sclip", "voc21", "fair")
    with pytest.raises(ConfigError, match="no benchmark"):
        protocol("sclip", "voc99", "paper")
    with pytest.raises(ConfigError, match="no protocol for method"):
        protocol("segformer", "voc21", "paper")


def test_config_values_reach_the_built_model():
    """A generated config's protocol values end up in the segmenter (tiny models swapped in)."""
    from proxyseg.models.open_vocab import build_segmenter

    smoke = Config.fromfile(str(REPO / "configs/methods/smoke/trident_tiny_coco-object_paper.py")).model
    for rel, checks in [
        ("configs/methods/sclip/sclip_vit-b16_voc21_paper.py",
         dict(logit_scale=65.0, prob_thd=0.1, area_thd=0.1, slide_crop=224, slide_stride=112)),
        ("configs/methods/trident/trident_vit-b16_cityscapes_paper.py",
         dict(logit_scale=40.0, slide_crop=336, slide_stride=224)),
    ]:
        m = Config.fromfile(str(REPO / rel)).model.to_dict()
        for k in ("type", "data_preprocessor"):
            m.pop(k)
        m.update(clip=smoke.clip.to_dict(), templates="a_photo", text_cache_dir=None, pretrained=False)
        if m.get("vfm"):
            m["vfm"] = smoke.vfm.to_dict()
        if m.get("guide_vfm"):
            m["guide_vfm"] = smoke.guide_vfm.to_dict()
        seg = build_segmenter(classes=["a", "b"], **{k: v for k, v in m.items() if k != "name_path"})
        for k, v in checks.items():
            assert getattr(seg, k) == v, (rel, k)
        if "trident" in rel:
            assert seg.method.cos_fac == 3.0 and seg.method.refine_neg_cos is False and seg.method.sam_split == 2
            assert seg.guide_vfm is not None and seg.guide_vfm.vfm_type == "sam"


def test_clearclip_class_files_have_a_single_background_word():
    for name in ("voc21", "coco_object"):
        ours = (REPO / f"configs/_base_/class_names/clearclip/{name}.txt").read_text().splitlines()
        base = (REPO / f"configs/_base_/class_names/{name}.txt").read_text().splitlines()
        assert ours[0] == "background" and ours[1:] == base[1:] and ";" in base[0]


def test_every_registered_method_has_a_protocol():
    assert set(method_names()) <= set(METHODS)


def test_protocol_is_a_row_of_results_md():
    from proxyseg.results import results_markdown

    md = results_markdown(dict(config="x", method="sclip", protocol="paper", per_class={}))
    assert "| protocol | paper |" in md
