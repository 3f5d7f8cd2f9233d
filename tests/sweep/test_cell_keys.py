"""Sweep cells are keyed by everything that changes the numbers: a changed data root, data file,
weights file or code version gives new cell ids (seed/amp/limit/overrides: tests/sweep/test_spec.py)."""
import shutil

from proxyseg.sweep import load_spec
from proxyseg.sweep.runner import identity_salt

SPEC = """
configs = ['configs/smoke/proxyclip_tiny_dino_smoke-coco-object.py']
grid = {'model.beta': [1.0, 1.2]}
"""


def _ids(spec_path, **kw):
    return [c.id for c in load_spec(spec_path, salt=identity_salt(**kw)).cells]


def test_each_component_changes_the_cell_ids(write_spec, synthetic_object_root, tmp_path, monkeypatch):
    spec = write_spec(SPEC)
    root = tmp_path / "data"
    shutil.copytree(synthetic_object_root, root)
    weights = tmp_path / "weights"
    weights.mkdir()
    base = _ids(spec, data_root=str(root), checkpoint=str(weights))
    assert _ids(spec, data_root=str(root), checkpoint=str(weights)) == base  # stable
    seen = [base]

    def changed(ids):
        assert all(i not in s for s in seen for i in ids), "a change kept an old cell id"
        seen.append(ids)

    other = tmp_path / "data2"
    shutil.copytree(root, other)
    changed(_ids(spec, data_root=str(other), checkpoint=str(weights)))  # another data root
    label = next(root.rglob("*.png"))
    label.write_bytes(label.read_bytes() + b"\0")
    changed(_ids(spec, data_root=str(root), checkpoint=str(weights)))  # a data file changed
    (weights / "vit_base_patch8_224.dino.safetensors").write_bytes(b"0")
    changed(_ids(spec, data_root=str(root), checkpoint=str(weights)))  # a weight file appeared
    import proxyseg.apis.run_key as K

    monkeypatch.setattr(K, "code_digest", lambda: "another-version")
    changed(_ids(spec, data_root=str(root), checkpoint=str(weights)))  # the code changed
