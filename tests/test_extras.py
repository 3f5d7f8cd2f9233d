"""The [diffusion] extra brings every third-party import of the diffusion VFM (issue 16.6)."""
import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DIST = {"diffusers": "diffusers", "transformers": "transformers", "safetensors": "safetensors"}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib")
def test_diffusion_extra_covers_diffusion_imports():
    import re
    import tomllib

    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["diffusion"]
    names = {re.split(r"[<>=!\[ ;]", r, 1)[0].lower() for r in extra}
    tree = ast.parse((REPO / "proxyseg" / "models" / "vfm" / "diffusion.py").read_text())
    mods = {n.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for n in node.names}
    mods |= {node.module.split(".")[0] for node in ast.walk(tree)
             if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    third_party = mods - {"torch", "__future__", "logging", "os", "pathlib", "typing", "math", "inspect"}
    assert third_party <= set(DIST), f"diffusion.py imports {third_party - set(DIST)}: add them to the extra"
    assert {DIST[m] for m in third_party} <= names, f"[diffusion] = {extra} lacks some of {third_party}"
    assert "transformers" in third_party  # the import this test was written for
