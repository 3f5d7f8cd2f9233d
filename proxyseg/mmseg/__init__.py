"""MMSegmentation adapter: importing this registers proxyseg's models, datasets and metrics."""
from . import hooks, metrics, segmentor  # noqa: F401

try:
    from . import datasets  # noqa: F401
except ImportError as e:  # pragma: no cover
    if "datasets" not in str(e):
        raise
