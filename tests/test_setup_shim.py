"""The top-level setup.py shim reads pyproject.toml: ``python setup.py --version`` works."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_setup_py_version_matches_the_package():
    import proxyseg

    p = subprocess.run([sys.executable, "setup.py", "--version"], cwd=REPO, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().splitlines()[-1] == proxyseg.__version__
