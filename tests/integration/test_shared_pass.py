"""A shared pass (several cells, one pass over the data) equals each cell evaluated alone."""
import copy
import json
import runpy

import pytest

from .conftest import REPO, SMOKE_OBJ


@pytest.fixture(scope="module")
def test_module():
    return runpy.run_path(str(REPO / "tools/test.py"), run_name="proxyseg_tools_test")


GRIDS = {
    "beta_gamma": [["model.beta=1.0", "model.gamma=2.0"], ["model.beta=1.0", "model.gamma=3.0"],
                   ["model.beta=1.4", "model.gamma=2.0"], ["model.beta=1.4", "model.gamma=3.0"]],
    "methods": [["model.method=proxyclip"], ["model.method=clip"], ["model.method=maskclip"],
                ["model.method=sclip"], ["model.method=clearclip"]],
    "mixed": [["model.prob_thd=0.0"], ["model.vfm.arch=s16", "model.logit_scale=60"],
              ["model.method=clip", "model.feature_adjust=True"], ["model.templates=openai_imagenet"]],
}


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_shared_pass_equals_cells_alone(grid, synthetic_root, tmp_path, test_module, test_main):
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import proxyseg.mmseg  # noqa: F401
    from proxyseg.sweep.shared import group_cells, share_key, shared_config, split_metrics

    data = str(synthetic_root / "coco_object")
    alone, cfgs = [], []
    for i, opts in enumerate(GRIDS[grid]):
        wd = tmp_path / f"alone{i}"
        argv = [str(SMOKE_OBJ), "--data-root", data, "--work-dir", str(wd), "--device", "cpu", "--cfg-options", *opts]
        assert test_main(argv) == 0
        alone.append(json.loads((wd / "results.json").read_text()))
        cfgs.append(test_module["build_cfg"](test_module["parse_args"](argv)))
    keys = [share_key(c) for c in cfgs]
    assert group_cells(keys) == [list(range(len(cfgs)))]  # all cells in one pass
    cfg = shared_config(cfgs)
    cfg.work_dir = str(tmp_path / "shared")
    cfg.experiment_name = f"shared_{grid}"
    init_default_scope("mmseg")
    runner = Runner.from_cfg(cfg)
    per_cell = split_metrics(runner.test(), len(cfgs))
    for i, (res, m) in enumerate(zip(alone, per_cell)):
        for k in ("mIoU", "aAcc", "mAcc"):
            assert abs(round(float(m[k]), 2) - res[k]) <= 1e-6, (grid, i, k)
        metric = runner.test_evaluator.metrics[i]
        assert metric.per_class == res["per_class"], (grid, i)


def test_cells_that_change_the_trunk_get_their_own_pass(test_module, synthetic_root):
    from proxyseg.sweep.shared import group_cells, share_key

    def cfg(*opts):
        return test_module["build_cfg"](test_module["parse_args"](
            [str(SMOKE_OBJ), "--data-root", str(synthetic_root / "coco_object"), "--cfg-options", *opts]))

    cfgs = [cfg("model.beta=1.0"), cfg("model.slide_stride=16"), cfg("model.beta=2.0"), cfg("model.amp=bf16"),
            cfg("model.method=clip"), copy.deepcopy(cfg("model.slide_stride=16"))]
    assert group_cells([share_key(c) for c in cfgs]) == [[0, 2, 4], [1, 5], [3]]
