"""Sliding-window inference with batched windows (MONAI-style API, MMSeg window schedule)."""
from __future__ import annotations

import functools
import math
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F

Window = Tuple[int, int, int, int]  # (y1, y2, x1, x2)


def window_grid(height: int, width: int, crop: Tuple[int, int], stride: Tuple[int, int]) -> List[Window]:
    """Window boxes covering an ``height x width`` image, as MMSeg's ``slide_inference``.

    Windows are ``crop`` large (clipped to the image), start every ``stride`` pixels and the last
    one in each direction is shifted back to end at the border, so every window has the same
    size ``(min(H, crop_h), min(W, crop_w))`` and every pixel is covered.
    """
    (ch, cw), (sh, sw) = crop, stride
    if min(ch, cw, sh, sw) <= 0:
        raise ValueError(f"crop {crop} and stride {stride} must be positive")
    h_grids = max(height - ch + sh - 1, 0) // sh + 1
    w_grids = max(width - cw + sw - 1, 0) // sw + 1
    boxes = []
    for hi in range(h_grids):
        for wi in range(w_grids):
            y2 = min(hi * sh + ch, height)
            x2 = min(wi * sw + cw, width)
            boxes.append((max(y2 - ch, 0), y2, max(x2 - cw, 0), x2))
    return boxes


def pad_to_multiple(x: torch.Tensor, multiple: int) -> Tuple[torch.Tensor, Tuple[int, int, int, int]]:
    """Zero-pad ``(..., H, W)`` symmetrically (extra pixel right/bottom) to a multiple.

    Returns the padded tensor and ``(left, right, top, bottom)``.
    """
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    pad = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    if any(pad):
        x = F.pad(x, pad)
    return x, pad


def merge_windows(window_logits: torch.Tensor, boxes: List[Window], size: Tuple[int, int],
                  device: Optional[torch.device] = None) -> torch.Tensor:
    """Average window logits into the image: sum over windows / number of windows per pixel.

    Args:
        window_logits: ``(n, Q, h, w)`` logits of ``n`` windows.
        boxes: the ``n`` window boxes.
        size: ``(H, W)`` of the image.
        device: where to accumulate (default: the logits' device).

    Returns:
        ``(Q, H, W)`` merged logits.
    """
    device = device or window_logits.device
    q = window_logits.shape[1]
    acc = torch.zeros((q, *size), dtype=torch.float32, device=device)
    count = torch.zeros((1, *size), dtype=torch.float32, device=device)
    _accumulate(acc, count, window_logits, boxes)
    return acc.div_(count)


def _accumulate(acc: torch.Tensor, count: torch.Tensor, logits: torch.Tensor, boxes: List[Window]) -> None:
    # accumulate into the crop region only (no full-image zero pad per window)
    logits = logits.to(acc.device, torch.float32)
    for (y1, y2, x1, x2), lg in zip(boxes, logits):
        acc[:, y1:y2, x1:x2] += lg
        count[:, y1:y2, x1:x2] += 1


@functools.lru_cache(maxsize=64)
def _bilinear_matrix(src: int, dst: int) -> torch.Tensor:
    """``(src, dst)`` weights of 1-D bilinear resizing (``align_corners=False``), taken from
    ``F.interpolate`` itself (resizing the identity), so the weights are exactly PyTorch's."""
    with torch.inference_mode(False):  # cached: an ordinary tensor even when first built in inference mode
        eye = torch.eye(src, dtype=torch.float32).view(1, src, 1, src)
        return F.interpolate(eye, size=(1, dst), mode="bilinear", align_corners=False)[0, :, 0]


def _accumulate_resized(acc: torch.Tensor, count: torch.Tensor, logits: torch.Tensor, boxes: List[Window],
                        padded: Tuple[int, int], offset: Tuple[int, int]) -> None:
    """Resize coarse window logits to the padded window size, cut the pad, add into the crops.

    Bilinear resizing is separable: ``up = Rh @ L @ Rw^T`` with the 1-D weight matrices. Done as
    ``acc[:, crop] += Rh @ (L @ Rw^T)`` (``baddbmm_`` straight into the crop region), no
    ``(n, Q, h, w)`` window logits are materialised. Equal to ``F.interpolate`` up to float
    rounding (the same two non-zero weights per output, summed in another order: ~1e-7).
    """
    (ph, pw), (t, l) = padded, offset
    n, q, gh, gw = logits.shape
    dev = acc.device
    with torch.autocast(dev.type, enabled=False):
        rw = _bilinear_matrix(gw, pw).to(dev)  # (gw, pw)
        rh = _bilinear_matrix(gh, ph).t().to(dev)  # (ph, gh)
        logits = logits.to(dev, torch.float32)
        for (y1, y2, x1, x2), lg in zip(boxes, logits):
            h, w = y2 - y1, x2 - x1
            tmp = torch.matmul(lg, rw[:, l:l + w])  # (Q, gh, w)
            acc[:, y1:y2, x1:x2].baddbmm_(rh[t:t + h].expand(q, h, gh), tmp)
            count[:, y1:y2, x1:x2] += 1


def slide_inference(image: torch.Tensor, forward_windows: Callable[[torch.Tensor], torch.Tensor], *,
                    crop: Tuple[int, int], stride: Tuple[int, int], pad_multiple: int = 1,
                    window_batch: int = 8, device: Optional[torch.device] = None,
                    progress: Optional[Callable[[int], None]] = None,
                    resize_windows: bool = False) -> torch.Tensor:
    """Logits of one image from overlapping windows, several windows per forward.

    Args:
        image: ``(3, H, W)`` (already normalised as ``forward_windows`` expects).
        forward_windows: ``(n, 3, h, w) -> (n, Q, h, w)`` logits at window resolution, or a list
            of such tensors (several models on the same windows; each is merged on its own and a
            list is returned).
        crop, stride: window size and step ``(h, w)``.
        pad_multiple: each window is zero-padded (symmetrically) to a multiple of this (the
            lcm of the patch sizes); the pad is cut from the logits.
        window_batch: windows per forward (``sw_batch_size``); results do not depend on it.
        device: where the merge accumulates (``None``: the image's device); MONAI's ``device``.
        progress: called with the number of windows finished after each batch.
        resize_windows: ``forward_windows`` returns logits on a coarser grid ``(n, Q, gh, gw)``;
            they are resized bilinearly (``align_corners=False``) to the padded window size while
            merging (straight into the crop region, see ``_accumulate_resized``): the same result
            as resizing inside ``forward_windows`` (to ~1e-7), without an ``(n, Q, h, w)`` tensor.

    Returns:
        ``(Q, H, W)`` merged logits (float32) at the image's resolution (a list of them when
        ``forward_windows`` returns a list).
    """
    if image.dim() != 3:
        raise ValueError(f"image must be (3, H, W), got {tuple(image.shape)}")
    H, W = image.shape[-2:]
    boxes = window_grid(H, W, crop, stride)
    window_batch = max(int(window_batch), 1)
    accs = counts = None
    multi = False
    for start in range(0, len(boxes), window_batch):
        chunk = boxes[start:start + window_batch]
        crops = torch.stack([image[:, y1:y2, x1:x2] for (y1, y2, x1, x2) in chunk])
        crops, (l, _, t, _) = pad_to_multiple(crops, pad_multiple)
        h, w = chunk[0][1] - chunk[0][0], chunk[0][3] - chunk[0][2]
        out = forward_windows(crops)
        multi = isinstance(out, (list, tuple))
        outs = list(out) if multi else [out]
        del out
        if accs is None:
            dev = device or outs[0].device
            accs = [torch.zeros((o.shape[1], H, W), dtype=torch.float32, device=dev) for o in outs]
            counts = [torch.zeros((1, H, W), dtype=torch.float32, device=dev) for _ in outs]
        for acc, count, logits in zip(accs, counts, outs):
            if resize_windows:
                _accumulate_resized(acc, count, logits, chunk, tuple(crops.shape[-2:]), (t, l))
            else:
                _accumulate(acc, count, logits[:, :, t:t + h, l:l + w], chunk)
        del outs
        if progress is not None:
            progress(len(chunk))
    merged = [acc.div_(count) for acc, count in zip(accs, counts)]  # in place: no second (Q, H, W) tensor
    return merged if multi else merged[0]


def lcm(*values: int) -> int:
    """Least common multiple of patch sizes (window pad multiple)."""
    out = 1
    for v in values:
        out = out * int(v) // math.gcd(out, int(v))
    return out
