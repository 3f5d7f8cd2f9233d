import pytest
import torch

from proxyseg.errors import ConfigError
from proxyseg.ops.memory import split_on_oom


def test_postprocess_synonym_max_and_threshold(make_segmenter):
    seg = make_segmenter(classes=("cat; kitty", "dog"), logit_scale=1.0, prob_thd=0.0)
    # queries: cat, kitty, dog; one pixel each
    logits = torch.log(torch.tensor([[0.5, 0.1, 0.3], [0.2, 0.6, 0.3], [0.3, 0.3, 0.4]])).view(3, 1, 3)
    probs, mask = seg.postprocess(logits)
    soft = logits.softmax(0)[:, 0]
    assert torch.allclose(probs[0, 0], torch.maximum(soft[0], soft[1]))
    assert torch.allclose(probs[1, 0], soft[2])
    assert mask[0].tolist() == [0, 0, 1]
    seg.prob_thd = 0.45
    _, mask = seg.postprocess(logits)
    assert mask[0].tolist() == [0, 0, 0]  # pixel 1: cat/kitty 0.4/0.33 < 0.45 -> background (0)


def test_predict_shapes_finite_and_methods_differ(make_segmenter):
    torch.manual_seed(0)
    img = torch.randn(3, 70, 110)
    out = {}
    for method in ("proxyclip", "clip", "maskclip"):
        seg = make_segmenter(method=method)
        probs, mask = seg.predict(img)
        assert probs.shape == (3, 70, 110) and mask.shape == (70, 110)
        assert torch.isfinite(probs).all()
        out[method] = probs
    assert not torch.allclose(out["proxyclip"], out["clip"], atol=1e-4)
    fa = make_segmenter(feature_adjust=True).predict(img)[0]
    assert torch.isfinite(fa).all() and not torch.allclose(fa, out["proxyclip"], atol=1e-4)


@pytest.mark.parametrize("hw", [(64, 64), (20, 30), (300, 40)])
def test_uniform_and_black_images_are_finite(make_segmenter, hw):
    seg = make_segmenter()
    for value in (0.0, 0.5, 1.0):
        pixels = torch.full((1, 3, *hw), value)
        probs, mask = seg.predict(seg.normalize(pixels)[0])
        assert torch.isfinite(probs).all() and mask.shape == hw


def test_window_batch_does_not_change_results(make_segmenter):
    torch.manual_seed(1)
    img = torch.randn(3, 96, 130)
    a = make_segmenter(window_batch=1).predict_logits(img)
    b = make_segmenter(window_batch=8).predict_logits(img)
    assert torch.equal(a, b) or torch.allclose(a, b, atol=1e-5)


def test_set_classes_switches_vocabulary(make_segmenter):
    seg = make_segmenter()
    seg.set_classes(["road", "car; automobile", "tree", "person"])
    assert seg.num_classes == 4 and seg.query_features.shape[0] == 5
    assert seg.predict(torch.randn(3, 40, 40))[0].shape[0] == 4


@pytest.mark.parametrize("kw,msg", [
    (dict(prob_thd=1.5), "prob_thd=1.5 is outside"),
    (dict(beta=-1), "beta=-1 is outside"),
    (dict(gamma=float("nan")), "gamma=nan is outside"),
    (dict(slide_crop=64, slide_stride=65), "slide_stride=65 > slide_crop=64"),
    (dict(method="mask-clip"), "unknown method 'mask-clip'"),
    (dict(templates="nope"), "unknown templates"),
])
def test_bad_parameters(make_segmenter, kw, msg):
    with pytest.raises(ConfigError, match=msg):
        make_segmenter(**kw)


def test_split_on_oom_retries_in_halves():
    calls = []

    def fn(x):
        calls.append(x.shape[0])
        if x.shape[0] > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate")
        return x * 2

    out = split_on_oom(fn)(torch.arange(7.0))
    assert torch.equal(out, torch.arange(7.0) * 2)
    assert calls[0] == 7 and max(calls[1:]) <= 4
    with pytest.raises(RuntimeError, match="out of memory on a batch of 1"):
        split_on_oom(lambda x: (_ for _ in ()).throw(torch.cuda.OutOfMemoryError("out of memory")))(torch.ones(1))


def test_cpu_allocator_failure_is_split_too():
    calls = []

    def fn(x):
        calls.append(x.shape[0])
        if x.shape[0] > 1:
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")
        return x + 1

    assert torch.equal(split_on_oom(fn)(torch.zeros(3)), torch.ones(3))
