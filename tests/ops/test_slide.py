import pytest
import torch

from proxyseg.ops import feature_adjust_logits, merge_windows, pad_to_multiple, slide_inference, window_grid


def _model(weight):
    # a position-dependent "model": logits depend on the pixels of the window only
    def fwd(x):
        return torch.nn.functional.conv2d(x, weight, padding=1)
    return fwd


@pytest.mark.parametrize("hw", [(100, 150), (50, 50), (30, 200), (64, 64), (20, 10)])
def test_grid_covers_every_pixel_with_equal_windows(hw):
    h, w = hw
    boxes = window_grid(h, w, (64, 64), (32, 32))
    cover = torch.zeros(h, w)
    sizes = {(y2 - y1, x2 - x1) for y1, y2, x1, x2 in boxes}
    for y1, y2, x1, x2 in boxes:
        cover[y1:y2, x1:x2] += 1
    assert (cover > 0).all()
    assert sizes == {(min(h, 64), min(w, 64))}


def test_window_grid_matches_mmseg_schedule():
    # 336x500 image, crop 336, stride 112: 1 row x 3 cols, the last shifted back to the border
    assert window_grid(336, 500, (336, 336), (112, 112)) == [(0, 336, 0, 336), (0, 336, 112, 448), (0, 336, 164, 500)]


def test_pad_to_multiple_is_symmetric():
    x = torch.ones(1, 3, 10, 13)
    y, pad = pad_to_multiple(x, 8)
    assert y.shape[-2:] == (16, 16) and pad == (1, 2, 3, 3)
    assert y[..., 3:13, 1:14].eq(1).all() and y.sum() == x.sum()


@pytest.mark.parametrize("hw", [(90, 130), (40, 40), (25, 70)])
def test_batched_windows_equal_one_at_a_time(hw):
    torch.manual_seed(0)
    img = torch.randn(3, *hw)
    fwd = _model(torch.randn(5, 3, 3, 3))
    one = slide_inference(img, fwd, crop=(48, 48), stride=(16, 16), pad_multiple=16, window_batch=1)
    many = slide_inference(img, fwd, crop=(48, 48), stride=(16, 16), pad_multiple=16, window_batch=7)
    assert one.shape == (5, *hw)
    assert torch.allclose(one, many, atol=1e-5)


def test_merge_windows_averages_overlaps():
    boxes = [(0, 2, 0, 2), (0, 2, 1, 3)]
    logits = torch.stack([torch.ones(1, 2, 2), 3 * torch.ones(1, 2, 2)])
    out = merge_windows(logits, boxes, (2, 3))
    assert out[0].tolist() == [[1, 2, 3], [1, 2, 3]]


def test_pad_is_cut_from_logits():
    img = torch.randn(3, 20, 20)
    seen = []

    def fwd(x):
        seen.append(x.shape[-2:])
        return x[:, :1]

    out = slide_inference(img, fwd, crop=(64, 64), stride=(32, 32), pad_multiple=16)
    assert seen == [torch.Size([32, 32])]
    assert torch.allclose(out[0], img[0])


def test_feature_adjust_matches_elementwise_definition():
    torch.manual_seed(0)
    x = torch.nn.functional.normalize(torch.randn(2, 7, 16), dim=-1)
    c = torch.nn.functional.normalize(torch.randn(2, 16), dim=-1)
    t = torch.nn.functional.normalize(torch.randn(5, 16), dim=-1)
    p = (2 * c @ t.t()).softmax(-1)
    w = p / p.mean(-1, keepdim=True)
    feats = x[:, :, None, :] * t[None, None] * w[:, None, :, None]  # (B, N, K, D)
    ref = (feats - feats.mean(2, keepdim=True)).sum(-1)
    out = feature_adjust_logits(x, c, t)
    assert torch.allclose(out, ref, atol=1e-5)
    assert not torch.allclose(out, x @ t.t())
