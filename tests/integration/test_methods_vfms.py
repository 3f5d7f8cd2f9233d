"""Every VFM x ProxyCLIP (with and without feature adjustment) and every other method through
tools/test.py on the synthetic data (tiny random models, first image only)."""
import json
import math

import pytest

from .conftest import REPO, SMOKE_OBJ

VFMS = ["dino", "dinov2", "sam", "mae", "unet", "diffusion"]


def _run(test_main, synthetic_root, wd, config, *opts):
    argv = [config, "--data-root", synthetic_root / "coco_object", "--work-dir", wd, "--device", "cpu", "--limit", "1"]
    assert test_main(argv + (["--cfg-options", *opts] if opts else [])) == 0
    res = json.loads((wd / "results.json").read_text())
    assert res["images"] == 1 and math.isfinite(res["mIoU"]) and 0 <= res["mIoU"] <= 100
    return res


@pytest.mark.parametrize("vfm", VFMS)
@pytest.mark.parametrize("fa", [False, True])
def test_proxyclip_with_every_vfm(vfm, fa, synthetic_root, tmp_path, test_main):
    if vfm == "diffusion":
        pytest.importorskip("diffusers", reason='diffusion VFM needs diffusers: pip install "proxyseg[diffusion]"')
    config = REPO / f"configs/smoke/proxyclip_tiny_{vfm}_smoke-coco-object.py"
    res = _run(test_main, synthetic_root, tmp_path / "wd", config, f"model.feature_adjust={fa}")
    assert res["vfm"].startswith(vfm + "-")
    assert res["method"] == "proxyclip" + ("+feature_adjust" if fa else "")


@pytest.mark.parametrize("method", ["clip", "maskclip", "clearclip", "sclip"])
@pytest.mark.parametrize("fa", [False, True])
def test_other_methods(method, fa, synthetic_root, tmp_path, test_main):
    res = _run(test_main, synthetic_root, tmp_path / "wd", SMOKE_OBJ, f"model.method={method}",
               f"model.feature_adjust={fa}")
    assert res["vfm"] == "-" and res["method"] == method + ("+feature_adjust" if fa else "")
