"""The one place that knows where the repository and the package live."""
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent  # configs/, tools/, data/ of a source checkout
