"""Figures of several segmentations: a grid of panels with column titles and one shared legend.

``render_grid(rows, col_titles, legend)`` lays out ``rows x columns`` pictures in equal cells
(each picture scaled to fit, aspect kept, centred on white), one title above each column (one font
size for all, shrunk to fit the cell, ellipsised only if still too long), optional row titles on
the left, and one legend (swatch + class name, flowing over as many lines as needed) below. Every
text's box is returned so that tests can check that nothing overlaps or leaves the picture.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

from .visualize import RGB, _font

Box = Tuple[int, int, int, int]
PAD, GAP = 12, 8
TEXT = (20, 24, 32)


@dataclass
class Figure:
    """A rendered figure: ``image`` (PIL RGB) and ``text_boxes`` ``[(text, (x0, y0, x1, y1))]``."""

    image: Image.Image
    text_boxes: List[Tuple[str, Box]] = field(default_factory=list)

    def save(self, path) -> None:
        self.image.save(path)


def fit_text(draw: ImageDraw.ImageDraw, text: str, max_width: int, size: int, min_size: int = 11):
    """The largest font size in ``[min_size, size]`` at which ``text`` fits ``max_width`` -> (size, text).

    At ``min_size`` a text still too wide is cut and ends with an ellipsis.
    """
    s = size
    while s > min_size and draw.textlength(text, font=_font(s)) > max_width:
        s -= 1
    font = _font(s)
    if draw.textlength(text, font=font) <= max_width:
        return s, text
    while len(text) > 1 and draw.textlength(text + "…", font=font) > max_width:
        text = text[:-1]
    return s, text.rstrip() + "…"


def _letterbox(img: np.ndarray, size: Tuple[int, int]) -> Image.Image:
    """``(H, W, 3)`` uint8 scaled to fit ``(w, h)``, centred on white."""
    w, h = size
    im = Image.fromarray(np.ascontiguousarray(img))
    scale = min(w / im.width, h / im.height)
    nw, nh = max(1, round(im.width * scale)), max(1, round(im.height * scale))
    resample = Image.Resampling.NEAREST if img.dtype == np.uint8 and scale > 1.5 else Image.Resampling.LANCZOS
    cell = Image.new("RGB", (w, h), "white")
    cell.paste(im.resize((nw, nh), resample), ((w - nw) // 2, (h - nh) // 2))
    return cell


def render_grid(rows: Sequence[Sequence[np.ndarray]], col_titles: Sequence[str],
                legend: Sequence[Tuple[str, RGB]] = (), *, row_titles: Optional[Sequence[str]] = None,
                cell_height: int = 256, max_aspect: float = 2.0, title_size: int = 20,
                legend_size: int = 16, row_title_width: int = 150) -> Figure:
    """Lay out pictures in a grid with column titles and one legend.

    Args:
        rows: ``rows[r][c]`` ``(H, W, 3)`` uint8 pictures (sizes may differ).
        col_titles: one title per column. legend: ``(name, (r, g, b))`` entries, in order.
        row_titles: one label per row (left of it), or ``None``.
        cell_height: height of every cell in pixels; the cell width follows the widest picture
            (capped at ``max_aspect * cell_height``).
        title_size, legend_size: largest font sizes (titles shrink to fit their cell).

    Returns:
        :class:`Figure`.
    """
    ncols = len(col_titles)
    if not rows or any(len(r) != ncols for r in rows):
        raise ValueError(f"every row needs {ncols} pictures (one per column title)")
    if row_titles is not None and len(row_titles) != len(rows):
        raise ValueError("one row title per row")
    aspect = max(p.shape[1] / max(p.shape[0], 1) for r in rows for p in r)
    cell_w = max(48, round(cell_height * min(aspect, max_aspect)))
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    # one font size for all titles: the smallest any title needs (but never below 11 px)
    t_size = min(fit_text(probe, t, cell_w - 4, title_size)[0] for t in col_titles)
    title_h = t_size + 10
    left = 0
    if row_titles is not None:
        left = min(row_title_width, max(int(probe.textlength(t, font=_font(legend_size))) for t in row_titles) + GAP)
    grid_w = ncols * cell_w + (ncols - 1) * GAP
    width = PAD * 2 + left + grid_w
    # legend: flow entries over lines
    l_font = _font(legend_size)
    sw = legend_size
    lines: List[List[Tuple[str, RGB, int]]] = [[]]
    x = 0
    avail = width - 2 * PAD
    for name, rgb in legend:
        _, text = fit_text(probe, name, avail - sw - 6, legend_size, legend_size)
        w = sw + 6 + int(probe.textlength(text, font=l_font))
        if lines[-1] and x + w > avail:
            lines.append([])
            x = 0
        lines[-1].append((text, tuple(int(c) for c in rgb), w))
        x += w + 18
    line_h = legend_size + 8
    legend_h = (len(lines) * line_h + PAD) if legend else 0
    height = PAD + title_h + len(rows) * cell_height + (len(rows) - 1) * GAP + legend_h + PAD
    fig = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(fig)
    boxes: List[Tuple[str, Box]] = []
    t_font = _font(t_size)
    x0 = PAD + left
    for c, title in enumerate(col_titles):
        _, text = fit_text(draw, title, cell_w - 4, t_size, t_size)
        cx = x0 + c * (cell_w + GAP)
        tx = cx + (cell_w - draw.textlength(text, font=t_font)) / 2
        draw.text((tx, PAD), text, fill=TEXT, font=t_font)
        boxes.append((text, draw.textbbox((tx, PAD), text, font=t_font)))
    y0 = PAD + title_h
    for r, row in enumerate(rows):
        cy = y0 + r * (cell_height + GAP)
        for c, pic in enumerate(row):
            fig.paste(_letterbox(pic, (cell_w, cell_height)), (x0 + c * (cell_w + GAP), cy))
        if row_titles is not None:
            _, text = fit_text(draw, row_titles[r], left - GAP, legend_size, 10)
            f = _font(fit_text(draw, row_titles[r], left - GAP, legend_size, 10)[0])
            ty = cy + (cell_height - legend_size) / 2
            draw.text((PAD, ty), text, fill=TEXT, font=f)
            boxes.append((text, draw.textbbox((PAD, ty), text, font=f)))
    if legend:
        ly = y0 + len(rows) * cell_height + (len(rows) - 1) * GAP + PAD
        for i, line in enumerate(lines):
            lx, yy = PAD, ly + i * line_h
            for text, rgb, w in line:
                draw.rectangle([lx, yy + 2, lx + sw, yy + 2 + sw], fill=rgb, outline=(60, 60, 60))
                draw.text((lx + sw + 6, yy + 1), text, fill=TEXT, font=l_font)
                boxes.append((text, draw.textbbox((lx + sw + 6, yy + 1), text, font=l_font)))
                lx += w + 18
    return Figure(fig, boxes)


def boxes_overlap(a: Box, b: Box) -> bool:
    """True when two ``(x0, y0, x1, y1)`` boxes share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def compare_figure(results: dict, *, alpha: float = 0.5, cell_height: int = 320, title: str = "input") -> Figure:
    """One row: the input, then one overlay per method (titled with its spec); one legend.

    Args:
        results: ``{spec: SegmentationResult}`` of :meth:`Segmenter.compare` (same classes/colours).
    """
    first = next(iter(results.values()))
    pics = [first.image] + [r.overlay(alpha) for r in results.values()]
    legend = [(n, tuple(int(v) for v in c)) for n, c in zip(first.classes, first.colors)]
    return render_grid([pics], [title, *results.keys()], legend, cell_height=cell_height)


def compare_summary(results: dict, image: str) -> dict:
    """JSON-ready summary of a comparison: classes, colours, per method class -> pixel share, timing."""
    from .visualize import hex_color

    first = next(iter(results.values()))
    h, w = first.size
    return dict(image=image, width=w, height=h, classes=list(first.classes),
                colors={n: hex_color(c) for n, c in zip(first.classes, first.colors)},
                background=first.background, prob_thd=first.prob_thd, config=first.meta.get("config"),
                methods={spec: dict(shares={k: round(v, 6) for k, v in r.shares().items()},
                                    seconds=r.meta.get("seconds"), method=r.meta.get("method_config"),
                                    vfm=r.meta.get("vfm"), feature_adjust=r.meta.get("feature_adjust"))
                         for spec, r in results.items()})
