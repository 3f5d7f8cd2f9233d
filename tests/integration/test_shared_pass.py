"""A shared pass (several cells, one pass over the data) equals each cell evaluated alone."""
import json

import pytest

from .conftest import SMOKE_OBJ

GRIDS = {
    "beta_gamma": [["model.beta=1.0", "model.gamma=2.0"], ["model.beta=1.0", "model.gamma=3.0"],
                   ["model.beta=1.4", "model.gamma=2.0"], ["model.beta=1.4", "model.gamma=3.0"]],
    "methods": [["model.method=proxyclip"], ["model.method=clip"], ["model.method=maskclip"],
                ["model.method=sclip"], ["model.method=clearclip"], ["model.method=naclip"]],
    "mixed": [["model.prob_thd=0.0"], ["model.vfm.arch=s16", "model.logit_scale=60"],
              ["model.method=clip", "model.feature_adjust=True"], ["model.templates=openai_imagenet"],
              ["model.method=naclip", "model.postprocess.type=pamr"]],
}


def _cell(data, wd, opts):
    return dict(config=str(SMOKE_OBJ), work_dir=str(wd), data_root=data, device="cpu", cfg_options=list(opts))


@pytest.mark.parametrize("grid", sorted(GRIDS))
def test_shared_pass_equals_cells_alone(grid, synthetic_root, tmp_path):
    from proxyseg.apis import evaluate
    from proxyseg.apis.shared_pass import evaluate_shared, plan

    data = str(synthetic_root / "coco_object")
    alone = [evaluate(**_cell(data, tmp_path / f"alone{i}", opts), progress=False)
             for i, opts in enumerate(GRIDS[grid])]
    cells = [_cell(data, tmp_path / f"shared{i}", opts) for i, opts in enumerate(GRIDS[grid])]
    assert plan(cells) == [list(range(len(cells)))]  # all cells in one pass
    shared = evaluate_shared(cells, progress=False)
    for i, (a, s) in enumerate(zip(alone, shared)):
        on_disk = json.loads((tmp_path / f"shared{i}" / "results.json").read_text())
        for k in ("mIoU", "aAcc", "mAcc", "per_class", "method", "vfm", "clip", "images", "dataset", "params"):
            assert on_disk[k] == a[k], (grid, i, k)
        assert on_disk["shared_pass"]["cells"] and on_disk["shared_pass"]["index"] == i
        assert "shared_pass" not in a


def test_cells_that_change_the_trunk_get_their_own_pass(synthetic_root, tmp_path):
    from proxyseg.apis.shared_pass import plan

    data = str(synthetic_root / "coco_object")
    opts = [["model.beta=1.0"], ["model.slide_stride=16"], ["model.beta=2.0"], ["model.amp=bf16"],
            ["model.method=clip"], ["model.slide_stride=16", "model.method=sclip"]]
    cells = [_cell(data, tmp_path / str(i), o) for i, o in enumerate(opts)]
    cells.append(dict(_cell(data, tmp_path / "limited", ["model.beta=3.0"]), limit=1))
    assert plan(cells) == [[0, 2, 4], [1, 5], [3], [6]]
