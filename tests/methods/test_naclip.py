"""NACLIP vs a transcription of sinahmr/NACLIP:clip/model.py (``custom_attn``, attn_strategy='naclip',
arch='reduced'; ``gaussian_window`` and ``get_attention_addition``)."""
import math

import pytest
import torch
import torch.nn.functional as F

from proxyseg.errors import ConfigError
from proxyseg.methods import build_method
from proxyseg.ops.attention import gaussian_grid_bias

from .conftest import heads, merge


def reference_addition(gh, gw, std):
    """Their construction: a (2gh-1, 2gw-1) Gaussian window convolved ('same') over one-hot grids."""
    c = 1 / (std * math.sqrt(2))
    ks = [torch.linspace(-(d - 1) / 2 * c, (d - 1) / 2 * c, d) for d in (2 * gh - 1, 2 * gw - 1)]
    window = torch.exp(-(torch.stack(torch.meshgrid(*ks, indexing="ij")) ** 2).sum(0))
    m = torch.einsum("ij,kl->ijkl", torch.eye(gh), torch.eye(gw)).permute(0, 3, 1, 2).contiguous()
    out = F.conv2d(m.view(-1, gh, gw).unsqueeze(1), window[None, None], padding="same").squeeze(1)
    out = out.view(gh * gw, gh * gw)
    out = torch.vstack([torch.zeros(1, gh * gw), out])
    return torch.hstack([torch.zeros(gh * gw + 1, 1), out])


@pytest.mark.parametrize("grid,std", [((3, 5), 5.0), ((4, 4), 1.0), ((2, 7), 2.5)])
def test_gaussian_bias_matches_reference_construction(grid, std):
    g = gaussian_grid_bias(grid, std)
    assert g.shape == (grid[0] * grid[1] + 1,) * 2
    torch.testing.assert_close(g, reference_addition(*grid, std), rtol=1e-6, atol=1e-6)


def test_gaussian_bias_values():
    g = gaussian_grid_bias((3, 4), 5.0)
    assert g[0].abs().sum() == 0 and g[:, 0].abs().sum() == 0  # class token row and column
    assert torch.allclose(torch.diagonal(g)[1:], torch.ones(12))  # unscaled: peak 1
    # patch (0,0) -> (0,1): d^2 = 1; (0,0) -> (2,3): d^2 = 13
    assert g[1, 2].item() == pytest.approx(math.exp(-1 / 50))
    assert g[1, 12].item() == pytest.approx(math.exp(-13 / 50))


def reference_naclip(block, x, grid, std):
    q, k, v, scale = heads(block, x)
    attn = torch.bmm(k, k.transpose(1, 2)) * scale + reference_addition(*grid, std)[None]
    out = torch.bmm(F.softmax(attn, dim=-1), v)
    return block.attn.out_proj(merge(out, x.shape[0]))[:, 1:]  # reduced: no residual, no FFN


@pytest.mark.parametrize("std", [5.0, 0.7])
def test_last_block_matches_transcription(trunk_out, std):
    _, x, grid, block = trunk_out
    with torch.no_grad():
        ours, out_grid = build_method(dict(type="naclip", gauss_std=std)).last_block(block, x, grid=grid)
        ref = reference_naclip(block, x, grid, std)
    assert out_grid == grid and ours.shape == ref.shape == (2, grid[0] * grid[1], x.shape[-1])
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_gauss_std_reaches_the_output(trunk_out):
    _, x, grid, block = trunk_out
    with torch.no_grad():
        a = build_method("naclip").last_block(block, x, grid=grid)[0]
        b = build_method(dict(type="naclip", gauss_std=0.5)).last_block(block, x, grid=grid)[0]
    assert (a - b).abs().max() > 1e-4


def test_defaults_and_bad_param():
    m = build_method("naclip")
    assert m.gauss_std == 5.0 and not m.needs_vfm
    assert m.protocol["logit_scale"] == 40.0 and (m.protocol["slide_crop"], m.protocol["slide_stride"]) == (224, 112)
    with pytest.raises(ConfigError, match="gauss_std"):
        build_method(dict(type="naclip", gauss_std=0.0))
    with pytest.raises(ConfigError, match="did you mean 'gauss_std'"):
        build_method(dict(type="naclip", gauss_sd=2.0))
