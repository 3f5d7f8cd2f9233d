import math

import torch
import torch.nn.functional as F

from proxyseg.ops import proxy_attention, proxy_attention_weights


def _feats(vectors, h, w):
    return torch.tensor(vectors, dtype=torch.float32).t().reshape(1, -1, h, w)  # (1, C, h, w)


def test_hand_computed_weights():
    # f1 = f2 = (1, 0), f3 = (0, 1): S = [[1,1,0],[1,1,0],[0,0,1]], mean 5/9, beta*mean = 2/3
    # A = 3 * (S - 2/3) -> 1 where S=1, -2 (masked) where S=0.
    p = proxy_attention_weights(_feats([[1, 0], [1, 0], [0, 1]], 1, 3), beta=1.2, gamma=3.0)
    expected = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    assert torch.allclose(p[0], expected, atol=1e-6)


def test_unequal_kept_entries_follow_softmax():
    # f = (1,0), (0.6,0.8), (0,1): S01 = 0.6, S12 = 0.8, S02 = 0
    f = _feats([[1, 0], [0.6, 0.8], [0, 1]], 1, 3)
    s = torch.tensor([[1, .6, 0], [.6, 1, .8], [0, .8, 1]])
    a = 3.0 * (s - 1.2 * s.mean())
    row0 = torch.where(a[0] >= 0, a[0], torch.tensor(-math.inf)).softmax(0)
    p = proxy_attention_weights(f)
    assert torch.allclose(p[0, 0], row0, atol=1e-6)
    assert p[0, 0, 2] == 0  # masked entry gets no weight


def test_uniform_features_stay_finite():
    # upstream: every entry < 0 -> softmax of all -inf -> NaN. Here the row max is kept.
    f = torch.ones(2, 8, 4, 4)
    p = proxy_attention_weights(f)
    assert torch.isfinite(p).all()
    assert torch.allclose(p, torch.full_like(p, 1 / 16))
    zeros = proxy_attention_weights(torch.zeros(1, 8, 3, 3))
    assert torch.isfinite(zeros).all() and torch.allclose(zeros.sum(-1), torch.ones(1, 9))


def _upstream(f, beta, gamma):
    qk = F.normalize(f.flatten(2), dim=1)
    sim = torch.einsum("bcm,bcn->bmn", qk, qk)
    sim = (sim - sim.mean(dim=(1, 2), keepdim=True) * beta) * gamma
    sim[sim < 0.0] = float("-inf")
    return F.softmax(sim, dim=-1)


def test_equals_upstream_formula_where_finite():
    torch.manual_seed(0)
    f = torch.randn(3, 16, 5, 6)
    ref = _upstream(f, 1.2, 3.0)
    assert torch.isfinite(ref).all()
    assert torch.allclose(proxy_attention_weights(f, 1.2, 3.0), ref, atol=1e-6)


def test_per_image_mean_is_batch_invariant():
    torch.manual_seed(1)
    a, b = torch.randn(1, 8, 4, 4), torch.randn(1, 8, 4, 4) * 3 + 1
    both = proxy_attention_weights(torch.cat([a, b]))
    assert torch.allclose(both[0], proxy_attention_weights(a)[0], atol=1e-6)
    assert torch.allclose(both[1], proxy_attention_weights(b)[0], atol=1e-6)


def test_proxy_attention_heads_equal_concatenated():
    torch.manual_seed(2)
    w = proxy_attention_weights(torch.randn(2, 8, 3, 3))
    v = torch.randn(2, 9, 12)
    out = proxy_attention(v, w)
    per_head = proxy_attention(v.view(2, 9, 3, 4).transpose(1, 2), w)  # (B, heads, N, d)
    assert torch.allclose(out, per_head.transpose(1, 2).reshape(2, 9, 12), atol=1e-6)
    assert torch.allclose(out, torch.bmm(w, v), atol=1e-6)
