"""Hooks: a tqdm progress bar over the test loop (rank 0 only)."""
from __future__ import annotations

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmseg.registry import HOOKS


@HOOKS.register_module(force=True)
class ProgressBarHook(Hook):
    """Shows ``images done / total`` with speed and ETA while testing."""

    priority = "VERY_LOW"

    def __init__(self, disable: bool = False):
        self.disable = disable
        self._bar = None

    def before_test_epoch(self, runner) -> None:
        if self.disable or not is_main_process():
            return
        from tqdm import tqdm

        from mmengine.dist import get_world_size

        loader = runner.test_dataloader
        total = len(loader.dataset) if hasattr(loader, "dataset") else None
        self._world = get_world_size()  # each rank sees 1/world of the data
        start = getattr(getattr(loader, "sampler", None), "start", 0)  # resumed: images already counted
        self._bar = tqdm(total=total, initial=start, desc="test", unit="img", dynamic_ncols=True)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._bar is not None:
            n = (len(outputs) if outputs is not None else 1) * self._world
            self._bar.update(min(n, self._bar.total - self._bar.n) if self._bar.total else n)

    def after_test_epoch(self, runner, metrics=None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


from mmseg.engine.hooks import SegVisualizationHook  # noqa: E402


@HOOKS.register_module(force=True)
class LimitedSegVisualizationHook(SegVisualizationHook):
    """``SegVisualizationHook`` that draws only the first ``max_images`` test images."""

    def __init__(self, *args, max_images: int = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_images = max_images
        self._drawn = 0

    def _after_iter(self, runner, batch_idx, data_batch, outputs, mode: str = "val") -> None:
        if self.max_images is not None and mode != "train":
            left = self.max_images - self._drawn
            if left <= 0:
                return
            outputs = list(outputs)[:left]
            self._drawn += len(outputs)
        super()._after_iter(runner, batch_idx, data_batch, outputs, mode)
