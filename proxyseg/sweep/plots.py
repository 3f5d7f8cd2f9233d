"""A sweep's pictures (matplotlib, Agg backend), written atomically next to the tables.

- ``table.png``: bars of the spec's metric per cell, grouped by ``cell.group`` and labelled with
  ``cell.series`` (same colour for the same series across groups), the paper's number as a black
  tick over the bar where the spec gives one; failed cells are a red ``x``, pending ones a grey dot.
- ``heatmap.png``: for a two-dimensional grid (``spec.heatmap`` or a grid with exactly two
  multi-valued keys), one panel per config: rows = first key, columns = second key.
- ``figure.png``: when cells have overlays (``--show-n``): the same images side by side
  across cells (rows = images, columns = cells), like the seed's Figures 1-2.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Sequence

from ..utils.io import default_file_mode

MAX_FIGURE_CELLS = 16
MAX_FIGURE_IMAGES = 6


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path, dpi: int = 110) -> None:
    """``fig.savefig`` to a temp file in the same folder, then rename (never a partial PNG)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=str(path.parent))
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
        os.chmod(tmp, default_file_mode())  # mkstemp's 0600 -> what open() would give (umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        _plt().close(fig)


def _wrap(text: str, width: int = 18) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def bar_chart(rows: List[Dict[str, Any]], metric: str, title: str, path: Path) -> None:
    """Bars grouped by ``row['group']`` (a gap between groups, the group's name under its bars),
    each bar labelled with its ``series``; the paper's number as a black tick over the bar."""
    from matplotlib.lines import Line2D

    plt = _plt()
    groups: List[str] = []
    for r in rows:
        if r["group"] not in groups:
            groups.append(r["group"])
    series = []
    for r in rows:
        if r["series"] not in series:
            series.append(r["series"])
    repeated = len(series) < len(rows)  # the same series in several groups: colour by series
    cmap = plt.get_cmap("tab10" if (len(series) if repeated else len(groups)) <= 10 else "tab20")
    xs, labels, colors, order = [], [], [], []
    x = 0.0
    centers = []
    for gi, g in enumerate(groups):
        members = [r for r in rows if r["group"] == g]
        start = x
        for r in members:
            xs.append(x)
            labels.append(r["series"])
            colors.append(cmap((series.index(r["series"]) if repeated else gi) % cmap.N))
            order.append(r)
            x += 1.0
        centers.append(((start + x - 1.0) / 2, g))
        x += 0.6  # gap between groups
    fig_w = min(max(4.5, 0.5 * len(rows) + 0.4 * len(groups) + 2.0), 26.0)
    fig, ax = plt.subplots(figsize=(fig_w, 4.4))
    values = [r["value"] for r in rows if r["value"] is not None] + [r["expected"] for r in rows
                                                                       if r["expected"] is not None]
    top = max(values) if values else 1.0
    top = top * 1.25 if top > 0 else 1.0
    has_paper = has_failed = False
    for xi, r, c in zip(xs, order, colors):
        v = r["value"]
        if v is not None:
            ax.bar(xi, v, 0.8, color=c, edgecolor="none")
            ax.text(xi, v + top * 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
        elif r["status"] == "failed":
            ax.plot([xi], [top * 0.02], marker="x", color="tab:red", markersize=9, mew=2)
            has_failed = True
        else:
            ax.plot([xi], [top * 0.02], marker=".", color="0.6", markersize=8)
        if r["expected"] is not None:
            ax.hlines(r["expected"], xi - 0.45, xi + 0.45, colors="black", linewidth=2.5, zorder=3)
            has_paper = True
    many = len(xs) > 6 or max((len(str(s)) for s in labels), default=0) > 14
    ax.set_xticks(xs)
    ax.set_xticklabels([_wrap(str(s)) for s in labels], rotation=35 if many else 0, ha="right" if many else "center",
                       fontsize=8)
    if len(groups) > 1 or (groups and groups[0]):
        for cx, g in centers:
            if g:
                ax.annotate(g, (cx, 0.985), xycoords=("data", "axes fraction"), ha="center", va="top", fontsize=9,
                            fontweight="bold")
    ax.set_xlim(-0.7, x - 0.6 - 0.3)
    ax.set_ylabel(metric)
    ax.set_ylim(0, top)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    handles, names = [], []
    if has_paper:
        handles.append(Line2D([0], [0], color="black", linewidth=2.5))
        names.append("paper")
    if has_failed:
        handles.append(Line2D([0], [0], marker="x", color="tab:red", linestyle="none"))
        names.append("failed")
    if handles:
        ax.legend(handles, names, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    save_figure(fig, path)


def _key_str(v: Any) -> str:
    from .spec import format_value

    return format_value(v)


def heatmap(rows: List[Dict[str, Any]], keys: Sequence[str], metric: str, title: str, path: Path) -> bool:
    """One panel per config: ``metric`` over ``keys[0]`` (rows) x ``keys[1]`` (columns). Returns
    ``False`` (and writes nothing) when no cell has both keys."""
    import numpy as np

    plt = _plt()
    ky, kx = keys
    rows = [r for r in rows if ky in r["overrides"] and kx in r["overrides"]]
    if not rows:
        return False
    panels: Dict[str, List[Dict[str, Any]]] = {}
    for r in rows:
        rest = {k: v for k, v in r["overrides"].items() if k not in (ky, kx)}
        name = Path(r["config"]).stem + (" " + ", ".join(f"{k.split('.')[-1]}={_key_str(v)}" for k, v in rest.items())
                                         if rest else "")
        panels.setdefault(name, []).append(r)
    n = len(panels)
    cols = min(n, 3)
    nrows = math.ceil(n / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.6 * cols, 3.9 * nrows), squeeze=False)
    all_vals = [r["value"] for r in rows if r["value"] is not None]
    vmin, vmax = (min(all_vals), max(all_vals)) if all_vals else (0.0, 1.0)
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    im = None
    for ax, (name, prs) in zip(axes.flat, panels.items()):
        yv: List[Any] = []
        xv: List[Any] = []
        for r in prs:
            if not any(_key_str(r["overrides"][ky]) == _key_str(v) for v in yv):
                yv.append(r["overrides"][ky])
            if not any(_key_str(r["overrides"][kx]) == _key_str(v) for v in xv):
                xv.append(r["overrides"][kx])
        grid = np.full((len(yv), len(xv)), np.nan)
        status = {}
        for r in prs:
            i = [_key_str(v) for v in yv].index(_key_str(r["overrides"][ky]))
            j = [_key_str(v) for v in xv].index(_key_str(r["overrides"][kx]))
            if r["value"] is not None:
                grid[i, j] = r["value"]
            status[i, j] = r["status"]
        im = ax.imshow(np.ma.masked_invalid(grid), cmap="viridis", vmin=vmin, vmax=vmax, aspect="auto")
        best = np.nanargmax(grid) if np.isfinite(grid).any() else None
        for i in range(len(yv)):
            for j in range(len(xv)):
                v = grid[i, j]
                if np.isfinite(v):
                    bold = best is not None and (i * len(xv) + j) == best
                    rel = (v - vmin) / (vmax - vmin)
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                            color="black" if rel > 0.6 else "white", fontweight="bold" if bold else "normal")
                else:
                    ax.text(j, i, {"failed": "x"}.get(status.get((i, j)), "-"), ha="center", va="center",
                            color="tab:red" if status.get((i, j)) == "failed" else "0.5")
        ax.set_xticks(range(len(xv)))
        ax.set_xticklabels([_key_str(v) for v in xv], fontsize=8)
        ax.set_yticks(range(len(yv)))
        ax.set_yticklabels([_key_str(v) for v in yv], fontsize=8)
        ax.set_xlabel(kx)
        ax.set_ylabel(ky)
        ax.set_title(_wrap(name, 48), fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    if im is not None:
        fig.colorbar(im, ax=axes.ravel().tolist(), label=metric, shrink=0.8)
    fig.suptitle(title, fontsize=10)
    save_figure(fig, path)
    return True


def montage(rows: List[Dict[str, Any]], work_dir: Path, path: Path, max_images: int = MAX_FIGURE_IMAGES) -> bool:
    """The first ``max_images`` overlays of every cell that has them, side by side (rows = images,
    columns = cells, same image in a row). Returns ``False`` when no cell has overlays."""
    from PIL import Image

    plt = _plt()
    cols = [r for r in rows if r.get("overlays")][:MAX_FIGURE_CELLS]
    if not cols:
        return False

    def key(p: str) -> str:  # test_<image name>_<step>.png -> <image name>
        stem = Path(p).stem
        stem = stem[len("test_"):] if stem.startswith("test_") else stem
        head, _, tail = stem.rpartition("_")
        return head if tail.isdigit() and head else stem

    names: List[str] = []
    for r in cols:
        for p in r["overlays"]:
            k = key(p)
            if k not in names:
                names.append(k)
    names = names[:max_images]
    lookup = [{key(p): p for p in r["overlays"]} for r in cols]
    first = Image.open(work_dir / cols[0]["overlays"][0])
    aspect = first.height / max(first.width, 1)
    cw = 3.6
    fig, axes = plt.subplots(len(names), len(cols), figsize=(cw * len(cols), cw * aspect * len(names) + 0.6),
                             squeeze=False)
    for j, r in enumerate(cols):
        for i, name in enumerate(names):
            ax = axes[i, j]
            ax.axis("off")
            p = lookup[j].get(name)
            if p is not None:
                with Image.open(work_dir / p) as im:
                    ax.imshow(im.convert("RGB"))
            if i == 0:
                v = r["value"]
                ax.set_title(_wrap(r["label"], 34) + (f"\n{r['metric']} {v:.2f}" if v is not None else ""),
                             fontsize=8)
            if j == 0:
                ax.text(-0.02, 0.5, _wrap(name, 16), transform=ax.transAxes, ha="right", va="center", fontsize=7)
    save_figure(fig, path, dpi=100)
    return True


def write_plots(runner, rows: List[Dict[str, Any]]) -> None:
    spec = runner.spec
    wd = runner.work_dir
    title = f"{spec.name}: {spec.title}" if spec.title else spec.name
    bar_chart(rows, spec.metric, title, wd / "table.png")
    if spec.heatmap:
        heatmap(rows, spec.heatmap, spec.metric, title, wd / "heatmap.png")
    montage(rows, wd, wd / "figure.png")
