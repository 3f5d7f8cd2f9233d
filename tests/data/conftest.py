import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / "tools"


def load_tool(path: Path, name: str):
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synth():
    return load_tool(TOOLS / "make_synthetic_data.py", "make_synthetic_data")


@pytest.fixture(scope="session")
def twins(synth, tmp_path_factory):
    """All ten synthetic twins (2 val images each) under one folder."""
    out = tmp_path_factory.mktemp("twins")
    synth.make_twins(out, sorted(synth.TWINS), num=2, seed=0)
    return out
