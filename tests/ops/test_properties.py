"""Property-based checks (hypothesis): every pixel covered, outputs always finite."""
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxyseg.ops import proxy_attention_weights, slide_inference, window_grid

sizes = st.integers(min_value=1, max_value=120)


@settings(max_examples=200, deadline=None)
@given(h=sizes, w=sizes, crop=st.integers(1, 96), data=st.data())
def test_windows_cover_every_pixel(h, w, crop, data):
    stride = data.draw(st.integers(1, crop))
    boxes = window_grid(h, w, (crop, crop), (stride, stride))
    cover = torch.zeros(h, w, dtype=torch.int32)
    for y1, y2, x1, x2 in boxes:
        assert 0 <= y1 < y2 <= h and 0 <= x1 < x2 <= w
        cover[y1:y2, x1:x2] += 1
    assert (cover > 0).all()


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 16), h=st.integers(1, 8), w=st.integers(1, 8), scale=st.sampled_from([0.0, 1e-8, 1.0, 1e6]),
       beta=st.floats(0, 3), gamma=st.floats(0, 10), const=st.booleans())
def test_pam_weights_always_finite(c, h, w, scale, beta, gamma, const):
    f = torch.ones(1, c, h, w) if const else torch.randn(1, c, h, w)
    p = proxy_attention_weights(f * scale, beta=beta, gamma=gamma)
    assert torch.isfinite(p).all()
    assert torch.allclose(p.sum(-1), torch.ones(1, h * w), atol=1e-5)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.integers(1, 90), w=st.integers(1, 90), crop=st.sampled_from([16, 32, 48, 64]), data=st.data(),
       kind=st.sampled_from(["random", "uniform", "black"]))
def test_segmenter_finite_on_random_small_images(make_segmenter, h, w, crop, data, kind):
    stride = data.draw(st.integers(8, crop))
    seg = make_segmenter(slide_crop=crop, slide_stride=stride)
    pixels = {"random": torch.rand(1, 3, h, w), "uniform": torch.full((1, 3, h, w), 0.3),
              "black": torch.zeros(1, 3, h, w)}[kind]
    probs, mask = seg.predict(seg.normalize(pixels)[0])
    assert probs.shape == (3, h, w) and torch.isfinite(probs).all()
    assert int(mask.min()) >= 0 and int(mask.max()) < 3


def test_extreme_aspect_ratio(make_segmenter):
    seg = make_segmenter(slide_crop=32, slide_stride=32)
    probs, _ = seg.predict(seg.normalize(torch.rand(1, 3, 40, 2000))[0])
    assert probs.shape == (3, 40, 2000) and torch.isfinite(probs).all()


def test_slide_inference_counts_are_positive():
    out = slide_inference(torch.randn(3, 7, 300), lambda x: x[:, :2], crop=(5, 5), stride=(3, 3), pad_multiple=4)
    assert torch.isfinite(out).all() and out.shape == (2, 7, 300)
