"""proxyseg: training-free open-vocabulary semantic segmentation (ProxyCLIP and friends)."""
from .errors import ProxySegError

__version__ = "0.1.0"
__all__ = ["ProxySegError", "__version__"]
