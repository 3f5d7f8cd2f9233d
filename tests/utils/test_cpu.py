"""bf16 guard (issue 16.7): detection from the CPU flags / torch capability, one warning."""
import warnings

import pytest
import torch

from proxyseg.utils import cpu


@pytest.fixture(autouse=True)
def fresh():
    cpu._warn_once.cache_clear()
    yield
    cpu._warn_once.cache_clear()


def test_flags_parsed(tmp_path):
    f = tmp_path / "cpuinfo"
    f.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16\n\nprocessor\t: 1\nflags\t: fpu\n")
    assert cpu.cpu_flags(f) == {"fpu", "avx2", "avx512f", "avx512_bf16"}
    assert cpu.cpu_flags(tmp_path / "missing") is None


@pytest.mark.parametrize("flags, cap, expected", [
    ({"avx2", "fma"}, "AVX2", False),
    ({"avx2", "avx512f", "avx512_bf16"}, "AVX512", True),
    ({"amx_bf16", "avx512f"}, "AVX512", True),
    (None, "AVX2", None),  # no /proc/cpuinfo: unknown, no warning
    (None, "AMX", True),
])
def test_cpu_has_bf16(monkeypatch, flags, cap, expected):
    monkeypatch.setattr(cpu, "cpu_flags", lambda: None if flags is None else frozenset(flags))
    monkeypatch.setattr(cpu, "torch_cpu_capability", lambda: cap)
    assert cpu.cpu_has_bf16() is expected


def test_warns_once_only_for_cpu_bf16_without_instructions(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_has_bf16", lambda: False)
    with pytest.warns(RuntimeWarning, match=r"bf16 autocast on this CPU: it has no bf16 instructions .* slower "
                                            r"than fp32 .*docs/benchmarks.md"):
        assert cpu.warn_if_slow_bf16("bf16", "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cpu.warn_if_slow_bf16("bf16", "cpu")  # once per process
        assert not cpu.warn_if_slow_bf16("fp16", "cpu")
        assert not cpu.warn_if_slow_bf16("bf16", "cuda")
        assert not cpu.warn_if_slow_bf16(None, "cpu")
    monkeypatch.setattr(cpu, "cpu_has_bf16", lambda: True)
    cpu._warn_once.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not cpu.warn_if_slow_bf16("bf16", "cpu")


def test_segmenter_autocast_calls_the_guard(make_segmenter, monkeypatch):
    monkeypatch.setattr(cpu, "cpu_has_bf16", lambda: False)
    model = make_segmenter(amp="bf16")
    with pytest.warns(RuntimeWarning, match="bf16 autocast on this CPU"):
        with model.autocast("cpu"):
            assert torch.get_autocast_dtype("cpu") == torch.bfloat16
    model.amp = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with model.autocast("cpu"):
            pass
