"""The method registry: building, parameters, errors, and values reaching the built model."""
import re

import pytest
import torch
import torch.nn.functional as F

from proxyseg.errors import ConfigError
from proxyseg.methods import METHODS, Method, build_method, method_names
from proxyseg.models import DenseCLIP


def test_every_method_builds_from_name_dict_and_object():
    for name in method_names():
        m = build_method(name)
        assert isinstance(m, Method) and m.name == name
        assert build_method(dict(type=name)).to_dict() == m.to_dict()
        assert build_method(m) is m
        assert METHODS[name] is type(m)


def test_params_defaults_override_and_fallback():
    m = build_method(dict(type="proxyclip", beta=1.0))
    assert (m.beta, m.gamma) == (1.0, 3.0)
    assert m.label() == "proxyclip(beta=1)"
    # legacy top-level beta/gamma apply only where the dict is silent and the method declares them
    assert build_method("proxyclip", beta=0.5, gamma=2.0).to_dict() == dict(type="proxyclip", beta=0.5, gamma=2.0)
    assert build_method(dict(type="proxyclip", beta=0.7), beta=0.5).beta == 0.7
    assert build_method("clip", beta=0.5).to_dict() == dict(type="clip")


@pytest.mark.parametrize("spec,msg", [
    ("proxclip", "unknown method 'proxclip' (did you mean 'proxyclip'?)"),
    (dict(type="proxyclip", betta=1.0), "method 'proxyclip' has no parameter 'betta' (did you mean 'beta'?)"),
    (dict(type="proxyclip", beta=-1), "beta=-1 is outside"),
    (dict(type="clip", beta=1.0), "method 'clip' has no parameter 'beta'"),
    (dict(beta=1.0), "method must be a name or dict"),
    (3, "method must be a name or dict"),
])
def test_errors_name_the_problem(spec, msg):
    with pytest.raises(ConfigError, match=re.escape(msg)):
        build_method(spec)


def test_needs_vfm_is_declared_by_the_method():
    assert build_method("proxyclip").needs_vfm
    assert not any(build_method(n).needs_vfm for n in ("clip", "maskclip", "clearclip", "sclip"))


def test_method_dict_reaches_the_built_model_and_changes_its_output(make_segmenter):
    torch.manual_seed(0)
    image = torch.randn(3, 64, 96)
    a = make_segmenter(method=dict(type="proxyclip", beta=1.2, gamma=3.0))
    b = make_segmenter(method=dict(type="proxyclip", beta=0.2, gamma=1.0))
    assert (b.method.beta, b.method.gamma) == (0.2, 1.0)
    assert not torch.allclose(a.predict_logits(image), b.predict_logits(image))
    c = make_segmenter(method="proxyclip", beta=0.2, gamma=1.0)  # legacy form, same model as b
    assert torch.equal(b.predict_logits(image), c.predict_logits(image))


def test_vision_tower_registered_once(make_segmenter):
    seg = make_segmenter(method="clip")
    keys = [k for k in seg.state_dict() if "conv1.weight" in k]
    assert keys == ["clip_model.visual.conv1.weight"]
    assert seg.clip.visual is seg.clip_model.visual


# ---- transcriptions of the reference formulas (written here, cited) ------------------------------

def _qkv_heads(block, x):
    c = x.shape[-1]
    h = block.attn.num_heads
    q, k, v = F.linear(block.ln_1(x), block.attn.in_proj_weight, block.attn.in_proj_bias).split(c, dim=-1)
    return [t.reshape(x.shape[0], -1, h, c // h).transpose(1, 2) for t in (q, k, v)], (c // h) ** -0.5


def _sclip_reference(block, x):
    # wangf3014/SCLIP:clip/model.py, last block: x = x + custom_attn(ln_1(x)); x = x + mlp(ln_2(x)),
    # custom_attn = (softmax(q q^T s) + softmax(k k^T s)) v, then out_proj
    (q, k, v), s = _qkv_heads(block, x)
    attn = (q @ q.transpose(-1, -2) * s).softmax(-1) + (k @ k.transpose(-1, -2) * s).softmax(-1)
    out = (attn @ v).transpose(1, 2).reshape(x.shape)
    x = x + block.attn.out_proj(out)
    return (x + block.mlp(block.ln_2(x)))[:, 1:]


def _clearclip_reference(block, x):
    # mc-lan/ClearCLIP:open_clip/transformer.py: out_proj(softmax(q q^T s) v), no residual, no FFN
    (q, _, v), s = _qkv_heads(block, x)
    out = ((q @ q.transpose(-1, -2) * s).softmax(-1) @ v).transpose(1, 2).reshape(x.shape)
    return block.attn.out_proj(out)[:, 1:]


@pytest.mark.parametrize("name,ref", [("sclip", _sclip_reference), ("clearclip", _clearclip_reference)])
def test_methods_equal_their_reference_transcription(tiny_clip, name, ref):
    dense = DenseCLIP(tiny_clip[0])
    torch.manual_seed(1)
    x, grid = dense.trunk(torch.randn(2, 3, 48, 64))
    block = dense.visual.transformer.resblocks[-1]
    with torch.no_grad():
        tokens, out_grid = build_method(name).last_block(block, x, grid=grid)
        assert out_grid == grid == (3, 4)
        torch.testing.assert_close(tokens, ref(block, x), atol=1e-5, rtol=1e-5)
