"""docs/adding_a_method.md's worked example is real code: run it and use the method it registers."""
import re
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]


def test_worked_example_registers_and_runs(tiny_clip):
    from proxyseg.methods import METHODS, build_method, method_names
    from proxyseg.models import DenseCLIP

    doc = (REPO / "docs" / "adding_a_method.md").read_text()
    code = re.findall(r"```python\n(.*?)```", doc, re.S)[0]
    try:
        exec(compile(code, "adding_a_method.md", "exec"), {})
        assert "kk_example" in method_names()
        m = build_method(dict(type="kk_example", temperature=0.5))
        assert m.temperature == 0.5 and not m.needs_vfm
        dense = DenseCLIP(tiny_clip[0])
        with torch.no_grad():
            a = dense(torch.randn(1, 3, 32, 48), mode=m)
            b = dense(torch.randn(1, 3, 32, 48), mode="kk_example")
        assert a.shape == b.shape == (1, 32, 2, 3) and torch.isfinite(a).all()
    finally:
        METHODS.pop("kk_example", None)
