"""Every config is valid for a plain mmengine Runner, as mmseg's own tools/test.py uses it:
``Config.fromfile`` -> ``Runner.from_cfg(cfg)`` (-> ``runner.test()`` for the smoke configs)."""
import copy
from pathlib import Path

import pytest

from .conftest import REPO

def _is_sweep_spec(p: Path) -> bool:
    """Sweep specs (configs/seed, configs/paper, configs/methods/compare_*.py) are not model configs."""
    return p.parent.name in ("seed", "paper") or p.name.startswith("compare_methods")


EXPERIMENTS = sorted(p for p in (REPO / "configs").rglob("*.py") if "_base_" not in p.parts and not _is_sweep_spec(p))
SMOKE = [p for p in EXPERIMENTS if p.parent.name == "smoke" and "diffusion" not in p.name]


def _tiny(cfg):
    """The experiment's config with its model swapped for the tiny random one (no weights here);
    everything else (datasets, loops, evaluators, hooks) as written."""
    from mmengine.config import Config

    tiny = Config.fromfile(str(REPO / "configs/_base_/models/tiny_random.py"), import_custom_modules=False).model
    if cfg.model.get("type") == "ProxyCLIPSegmentor":
        model = copy.deepcopy(tiny)
        model.name_path = cfg.model.name_path
        cfg.model = model
    return cfg


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: str(p.relative_to(REPO / "configs")))
def test_runner_from_cfg_accepts_every_config(path, tmp_path):
    from mmengine.config import Config
    from mmengine.runner import Runner

    cfg = Config.fromfile(str(path))
    if cfg.model.get("type") != "ProxyCLIPSegmentor":
        pytest.skip("a trained MMSeg model: built by tests/maskclip_plus")
    cfg = _tiny(cfg)
    cfg.work_dir = str(tmp_path)
    cfg.load_from = None
    cfg.experiment_name = f"cfgcheck_{path.stem}_{tmp_path.name}"
    cfg.visualizer.pop("name", None)
    Runner.from_cfg(cfg)  # raises on val_dataloader without val_cfg etc.


@pytest.mark.parametrize("path", SMOKE[:1], ids=lambda p: p.name)
def test_plain_runner_tests_a_smoke_config(path, synthetic_root, tmp_path):
    """What mmseg's tools/test.py does with ``load_from=None`` (see README)."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(tmp_path)
    cfg.load_from = None
    cfg.test_dataloader.dataset.data_root = str(synthetic_root / "coco_object")
    cfg.test_dataloader.dataset.indices = 2
    cfg.visualizer.pop("name", None)
    cfg.experiment_name = f"plain_{tmp_path.name}"
    metrics = Runner.from_cfg(cfg).test()
    assert 0 <= metrics["mIoU"] <= 100
