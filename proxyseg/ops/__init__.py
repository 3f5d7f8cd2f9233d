"""Pure tensor functions: proxy attention, feature adjustment, sliding windows, PAMR."""
from .feature_adjust import feature_adjust_logits
from .pamr import pamr
from .postprocess import build_postprocess
from .proxy_attention import proxy_attention, proxy_attention_weights
from .slide import merge_windows, pad_to_multiple, slide_inference, window_grid

__all__ = [
    "proxy_attention", "proxy_attention_weights", "feature_adjust_logits",
    "window_grid", "pad_to_multiple", "merge_windows", "slide_inference", "pamr", "build_postprocess",
]
