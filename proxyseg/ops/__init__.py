"""Pure tensor functions: proxy attention, feature adjustment, sliding windows."""
from .feature_adjust import feature_adjust_logits
from .proxy_attention import proxy_attention, proxy_attention_weights
from .slide import merge_windows, pad_to_multiple, slide_inference, window_grid

__all__ = [
    "proxy_attention", "proxy_attention_weights", "feature_adjust_logits",
    "window_grid", "pad_to_multiple", "merge_windows", "slide_inference",
]
