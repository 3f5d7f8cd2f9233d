"""Preflight over an evaluation split, before any model is built: every image's header decodes,
its label exists, the sizes match, the label values are classes (or ignore). PIL only.

``evaluate()`` stops with every bad file listed (exit 2, the fix named), or with ``skip_bad=True``
evaluates the rest through a filtered ``ann_file`` and records the skipped files in results.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

Bad = Tuple[str, str]  # (file, reason)


def scan_split(img_dir: Path, ann_dir: Path, img_suffix: str, seg_suffix: str, num_classes: int, *,
               ignore_index: int = 255, names: Optional[Sequence[str]] = None, check_values: bool = True,
               reduce_zero_label: bool = False) -> Tuple[List[str], List[Bad]]:
    """``(good names, [(file, reason), ...])``. ``names``: the image names (without suffix) to
    check, default every ``*img_suffix`` file in ``img_dir``."""
    from PIL import Image

    if names is None:
        names = sorted(p.name[:-len(img_suffix)] for p in Path(img_dir).glob(f"*{img_suffix}"))
    good: List[str] = []
    bad: List[Bad] = []
    for name in names:
        img, seg = Path(img_dir) / f"{name}{img_suffix}", Path(ann_dir) / f"{name}{seg_suffix}"
        reason, culprit = None, img
        try:
            if img.stat().st_size == 0:
                reason = "empty image file (0 bytes)"
            else:
                with Image.open(img) as im:
                    size = im.size
        except FileNotFoundError:
            reason = "image missing"
        except Exception as e:  # PIL raises many types for damaged headers
            reason = f"image header cannot be decoded ({type(e).__name__})"
        if reason is None:
            reason, culprit = _check_label(seg, size, num_classes, ignore_index, check_values, reduce_zero_label), seg
        if reason is None:
            good.append(name)
        else:
            bad.append((str(culprit), reason))
    return good, bad


def _check_label(seg: Path, size, num_classes: int, ignore_index: int, check_values: bool,
                 reduce_zero_label: bool) -> Optional[str]:
    from PIL import Image

    if not seg.is_file():
        return "label missing"
    try:
        with Image.open(seg) as lab:
            if lab.size != size:
                return f"label size {lab.size[0]}x{lab.size[1]} differs from the image's {size[0]}x{size[1]}"
            if not check_values:
                return None
            arr = np.asarray(lab)
    except Exception as e:
        return f"label cannot be decoded ({type(e).__name__})"
    values = np.unique(arr)
    if reduce_zero_label:  # 0 -> ignore, v -> v - 1
        values = np.array([v - 1 if v not in (0, 255) else ignore_index for v in values])
    out = [int(v) for v in values if v != ignore_index and not 0 <= v < num_classes]
    if out:
        return (f"label values {out[:10]} outside the {num_classes} classes (0..{num_classes - 1}, ignore "
                f"{ignore_index})")
    return None


def bad_files_message(bad: Sequence[Bad], shown: int = 20) -> str:
    lines = [f"{len(bad)} bad file(s) in the split; fix or remove them, or pass --skip-bad to evaluate the rest "
             f"(label values outside the classes: --ignore-bad-labels)"]
    lines += [f"  {f}: {r}" for f, r in bad[:shown]]
    if len(bad) > shown:
        lines.append(f"  ... and {len(bad) - shown} more")
    return "\n".join(lines)
