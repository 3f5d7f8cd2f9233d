"""Graceful memory: split a window batch and retry when the accelerator runs out of memory."""
from __future__ import annotations

import logging
from typing import Callable

import torch

log = logging.getLogger(__name__)


def is_oom(exc: BaseException) -> bool:
    """Out-of-memory errors: CUDA/MPS, and the CPU allocator's "can't allocate memory"."""
    msg = str(exc).lower()
    return (isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)) or "out of memory" in msg
            or "can't allocate memory" in msg)


def split_on_oom(fn: Callable[[torch.Tensor], torch.Tensor], min_batch: int = 1) -> Callable[[torch.Tensor], torch.Tensor]:
    """Wrap ``fn: (n, ...) -> (n, ...)`` so that an OOM on a batch retries it in two halves.

    The halves are concatenated, so the result is the same as one call (window batches are
    independent). An OOM on a single item is re-raised with advice.
    """

    def run(x: torch.Tensor) -> torch.Tensor:
        try:
            return fn(x)
        except (RuntimeError, MemoryError) as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
            if not is_oom(e):
                raise
            n = x.shape[0]
            if n <= min_batch:
                raise RuntimeError(f"out of memory on a batch of {n} window(s): use a smaller window "
                                   f"(slide_crop), --amp bf16, or --device cpu") from e
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            log.warning("out of memory on %d windows; retrying as %d + %d", n, n // 2, n - n // 2)
            a, b = run(x[: n // 2]), run(x[n // 2:])
            if isinstance(a, (list, tuple)):  # several models' outputs (a sweep's shared pass)
                return [torch.cat(pair) for pair in zip(a, b)]
            return torch.cat([a, b])

    return run
