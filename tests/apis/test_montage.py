"""The comparison figure: cells, fitted titles, one legend, no overlapping or clipped text."""
import itertools

import numpy as np
import pytest
from PIL import Image, ImageDraw

from proxyseg.apis.montage import boxes_overlap, fit_text, render_grid
from proxyseg.apis.visualize import _font, class_colors


def check_text(fig):
    w, h = fig.image.size
    for text, (x0, y0, x1, y1) in fig.text_boxes:
        assert 0 <= x0 and 0 <= y0 and x1 <= w and y1 <= h, (text, (x0, y0, x1, y1), (w, h))
    for (ta, a), (tb, b) in itertools.combinations(fig.text_boxes, 2):
        assert not boxes_overlap(a, b), (ta, tb)


def pics(n, h=30, w=50):
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]


def test_grid_size_titles_legend():
    colors = class_colors(4, background=True)
    legend = [(n, tuple(c)) for n, c in zip(["background", "cat", "dog", "sky"], colors)]
    fig = render_grid([pics(3), pics(3, 60, 40)], ["input", "clip", "proxyclip"], legend,
                      row_titles=["a.jpg", "b.jpg"], cell_height=100)
    check_text(fig)
    texts = [t for t, _ in fig.text_boxes]
    assert texts[:3] == ["input", "clip", "proxyclip"] and "a.jpg" in texts and "dog" in texts
    # cell width follows the widest picture: 50/30 of 100
    label_w = max(int(ImageDraw.Draw(fig.image).textlength(t, font=_font(16))) for t in ("a.jpg", "b.jpg"))
    assert fig.image.width == 2 * 12 + 3 * 167 + 2 * 8 + label_w + 8
    # the legend swatch of 'cat' has cat's colour
    box = dict(fig.text_boxes)["cat"]
    arr = np.asarray(fig.image)
    assert tuple(arr[(box[1] + box[3]) // 2, box[0] - 14]) == tuple(colors[1])


def test_long_titles_shrink_then_ellipsis_and_legend_wraps():
    long = "proxyclip:dinov2-b14_reg+fa with a title far too long for any panel"
    legend = [(f"class number {i}", tuple(c)) for i, c in enumerate(class_colors(30))]
    fig = render_grid([pics(4)], ["input", "clip", long, "maskclip"], legend, cell_height=80)
    check_text(fig)
    titles = [t for t, _ in fig.text_boxes[:4]]
    assert titles[2].endswith("…") and titles[2].startswith("proxyclip:dino")
    ys = {b[1] for t, b in fig.text_boxes if t.startswith("class number")}
    assert len(ys) > 2  # 30 entries flow over several lines
    assert fig.image.height > 80 + 3 * 20


def test_fit_text_and_bad_rows():
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    size, text = fit_text(draw, "short", 200, 20)
    assert (size, text) == (20, "short")
    size, text = fit_text(draw, "x" * 200, 60, 20)
    assert size == 11 and text.endswith("…") and draw.textlength(text, font=_font(11)) <= 60
    with pytest.raises(ValueError, match="every row needs 2 pictures"):
        render_grid([pics(3)], ["a", "b"])
