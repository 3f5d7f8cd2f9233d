"""Confusion matrix of an evaluation: ``confusion.png`` (classes x classes, each row normalised: where
the pixels of a ground-truth class went), ``confusion.json`` (the counts), and the most-confused
class pairs in results.json (``confused_pairs``) and results.md (``## Most confused classes``).

The counts come from ``ProxySegIoUMetric.confusion`` (``[gt, pred]`` pixel counts, ignore left out).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

#: Pairs listed in results; classes drawn with their names up to this many (else ticks only).
TOP_PAIRS = 10
MAX_LABELLED = 60


def confused_pairs(conf: np.ndarray, names: Sequence[str], top: int = TOP_PAIRS) -> List[Dict[str, Any]]:
    """Off-diagonal cells by share of the true class's pixels, largest first (zero cells left out)."""
    conf = np.asarray(conf, dtype=np.float64)
    rows = conf.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(rows > 0, conf / rows, 0.0)
    np.fill_diagonal(share, 0.0)
    order = np.argsort(-share, axis=None)
    out = []
    for flat in order[:top]:
        g, p = np.unravel_index(flat, share.shape)
        if share[g, p] <= 0:
            break
        out.append(dict(true=names[g], predicted=names[p], share=round(float(share[g, p]) * 100, 2),
                        pixels=int(conf[g, p])))
    return out


def plot_confusion(conf: np.ndarray, names: Sequence[str], path: Path, title: str = "") -> None:
    """Row-normalised matrix as an image (rows: ground truth, columns: prediction)."""
    from ..sweep.plots import _plt, save_figure

    plt = _plt()
    conf = np.asarray(conf, dtype=np.float64)
    rows = conf.sum(1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = np.where(rows > 0, conf / rows, np.nan)
    k = len(names)
    side = min(4 + 0.3 * k, 24)
    fig, ax = plt.subplots(figsize=(side + 1.5, side))
    im = ax.imshow(norm, cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the true class's pixels")
    if k <= MAX_LABELLED:
        ax.set_xticks(range(k))
        ax.set_yticks(range(k))
        ax.set_xticklabels(names, rotation=90, fontsize=8)
        ax.set_yticklabels(names, fontsize=8)
        if k <= 20:
            for g in range(k):
                for p in range(k):
                    if not np.isnan(norm[g, p]) and norm[g, p] >= 0.005:
                        ax.text(p, g, f"{norm[g, p] * 100:.0f}", ha="center", va="center", fontsize=7,
                                color="white" if norm[g, p] < 0.5 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class (rows sum to 1; empty row: class absent)")
    ax.set_title(title or "confusion matrix (row-normalised)")
    save_figure(fig, path)


def confusion_markdown(pairs: List[Dict[str, Any]], picture: Optional[str]) -> str:
    lines = ["", "## Most confused classes", ""]
    if picture:
        lines += [f"Confusion matrix (rows: true class, normalised per row): ![confusion]({picture})", ""]
    if not pairs:
        return "\n".join(lines + ["No pixel of any class was predicted as another class.", ""])
    lines += ["| true class | predicted as | share of its pixels (%) | pixels |", "|---|---|---:|---:|"]
    lines += [f"| {p['true']} | {p['predicted']} | {p['share']} | {p['pixels']} |" for p in pairs]
    return "\n".join(lines) + "\n"


WORST = 10


def _stem(path: str, dataset) -> Optional[str]:
    """A FolderSegDataset image's stem (what its ``ann_file`` lists), else None."""
    if not dataset or dataset.get("type") != "FolderSegDataset":
        return None
    img_root = Path(dataset.get("data_root") or "") / ((dataset.get("data_prefix") or {}).get("img_path", "images"))
    try:
        rel = Path(path).resolve().relative_to(img_root.resolve()).as_posix()
    except ValueError:
        return None
    return rel.rsplit(".", 1)[0] if "." in Path(rel).name else rel


def add_worst_images(res: Dict[str, Any], md: str, evaluator, dirs: Sequence[Path], dataset=None) -> str:
    """The images with the lowest per-image mIoU (``worst_images`` in results); for a folder dataset also
    ``worst_images.txt`` (stems) to re-run just those with ``--show-dir`` for overlays."""
    rows = [r for r in (getattr(evaluator, "per_image", None) or []) if r[1] is not None]
    if not rows:
        return md
    rows = sorted(rows, key=lambda r: (r[1], r[0]))[:WORST]
    res["worst_images"] = [dict(image=i, mIoU=m, aAcc=a) for i, m, a in rows]
    stems = [_stem(i, dataset) for i, _, _ in rows]
    lines = ["", f"## Worst images (lowest per-image mIoU, {len(rows)})", "", "| image | mIoU | aAcc |", "|---|---:|---:|"]
    lines += [f"| {i} | {m} | {a} |" for i, m, a in rows]
    if all(stems):
        for d in dirs:
            from ..results import atomic_write_text

            atomic_write_text(Path(d) / "worst_images.txt", "".join(f"{s}\n" for s in stems))
        lines += ["", "Overlays of just these: add `--show-dir vis --cfg-options "
                  "test_dataloader.dataset.ann_file=<work dir>/worst_images.txt` to the same command."]
    return md + "\n".join(lines) + "\n"


def add_confusion(res: Dict[str, Any], md: str, evaluator, dirs: Sequence[Path], dataset=None) -> str:
    """Write confusion.{png,json} in ``dirs`` and add the pairs to ``res`` / ``md`` when the metric
    has a confusion matrix, then the worst images; returns the markdown. A failed picture is a note,
    never a failed run."""
    md = add_worst_images(res, md, evaluator, dirs, dataset)
    conf = getattr(evaluator, "confusion", None)
    names = list((getattr(evaluator, "dataset_meta", None) or {}).get("classes") or [])
    if conf is None or not names or np.asarray(conf).shape != (len(names), len(names)):
        return md
    conf = np.asarray(conf, dtype=np.int64)
    pairs = confused_pairs(conf, names)
    res["confused_pairs"] = pairs
    picture = None
    from ..results import atomic_write_json

    for d in dirs:
        d = Path(d)
        atomic_write_json(d / "confusion.json", dict(classes=names, rows="true class", columns="predicted class",
                                                     counts=conf.tolist()))
        try:
            plot_confusion(conf, names, d / "confusion.png", title=f"{res.get('config', '')}: confusion (row-normalised)")
            picture = "confusion.png"
        except Exception as e:  # matplotlib missing or failing: the numbers are still there
            res["confusion_picture_error"] = f"{type(e).__name__}: {e}"
    if picture:
        res["confusion_picture"] = picture
    return md + confusion_markdown(pairs, picture)
