"""``--isolate``: each cell in its own ``python -m proxyseg.apis.test_cli`` process (no script by
path), with the same results as an in-process cell."""
import json

from .conftest import REPO  # noqa: F401

SPEC = """
configs = ['configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py']
grid = {'model.beta': [1.2]}
"""


def test_isolated_cell_matches_in_process_cell(write_spec, synthetic_object_root, sweep_main, tmp_path):
    spec = write_spec(SPEC)
    common = ["--data-root", synthetic_object_root, "--device", "cpu", "--limit", "1", "--no-plots"]
    assert sweep_main([spec, "--work-dir", tmp_path / "iso", "--isolate", *common]) == 0
    assert sweep_main([spec, "--work-dir", tmp_path / "inp", *common]) == 0
    iso, inp = (json.loads(next((tmp_path / d).glob("cells/*/results.json")).read_text()) for d in ("iso", "inp"))
    assert iso["mIoU"] == inp["mIoU"] and iso["images"] == 1
    log = next((tmp_path / "iso").glob("cells/*/sweep.log")).read_text()
    assert "-m proxyseg.apis.test_cli" in log and "tools/test.py" not in log.splitlines()[0]
