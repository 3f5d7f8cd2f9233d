"""Benchmark proxyseg's inference path against the upstream per-window loop.

``run_benchmark(cfg)``::

    for each path (proxyseg @ dtype, reference @ fp32 [, reference @ --reference-dtype]):
        fresh subprocess (or in-process with isolate=False): build the same random/real models
        (same seed), the same images -> start-up (text) -> warm-up -> repeats x images:
        time predict_logits (the loop) and postprocess (mask) separately; peak memory
    check: logits of proxyseg vs the fp32 reference (max |diff| <= atol in fp32; argmax agreement
           >= min_agreement % for bf16/fp16, plus a strict fp32 check of proxyseg on image 0)
    speed-up = median images/s ratio (refused when the check fails)
    -> table on stdout, <out>/benchmark.json, <out>/benchmark.md

Only torch, timm, open_clip and ftfy are needed (no mmseg/mmcv/mmengine), so it runs on a bare
GPU box with ``PYTHONPATH=.``. Memory: CPU = peak RSS (``VmHWM``, reset through
``/proc/self/clear_refs`` before the timed runs, each path in its own process); CUDA =
``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..errors import ProxySegError, UsageError

from ..paths import REPO_ROOT  # noqa: E402
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
TINY_CLIP = dict(width=64, layers=3, heads=4, embed_dim=32)
TINY_DINO = dict(type="dino", arch="b8", model_kwargs=dict(embed_dim=48, depth=2, num_heads=3))
# dense bf16 tensor-core peaks (TFLOP/s, no sparsity), matched in order against the device name
BF16_PEAK_TFLOPS = [("H200", 989.0), ("H100 PCIe", 756.0), ("H100 NVL", 835.0), ("H100", 989.0), ("GH200", 989.0),
                    ("A100", 312.0), ("L40S", 362.0), ("L4", 121.0), ("A10", 125.0), ("RTX 4090", 165.0)]
FALLBACK_CLASSES = ["background", "person", "car", "dog", "cat", "tree", "sky", "road", "building", "grass"]


@dataclasses.dataclass
class BenchConfig:
    """What to benchmark. ``window_batch='auto'``: all windows of an image on CPU, a memory probe on CUDA."""

    device: str = "cpu"
    dtype: str = "fp32"
    window_batch: str = "auto"
    images: int = 2
    size: Tuple[int, int] = (336, 448)
    model: str = "tiny"  # tiny | vit-b (random weights) | real (named weights)
    clip: Optional[str] = None
    clip_pretrained: Optional[str] = None
    vfm: Optional[str] = None
    vfm_arch: Optional[str] = None
    classes: Optional[str] = None  # class file; default configs/_base_/class_names/coco_stuff.txt
    templates: Optional[str] = None  # default: openai_imagenet (tiny, CUDA), a_photo (vit-b/real on CPU)
    crop: int = 336
    stride: Optional[int] = None  # None: crop // 3 (112 for 336: the published schedule)
    compile: bool = False
    repeats: int = 3
    warmup: int = 1
    amp_clip: bool = False  # with bf16/fp16: autocast CLIP too (default: the VFM only)
    reference_dtype: Optional[str] = None  # also time upstream's .half() loop: fp16 | bf16
    reference_sdpa: bool = False  # also time the reference loop with timm's SDPA attention in DINO
    isolate: bool = True  # each path in a fresh subprocess (clean peak memory)
    seed: int = 0
    threads: Optional[int] = None  # torch.set_num_threads (CPU); None: torch's default
    atol: float = 1e-4
    min_agreement: float = 99.5
    out: str = "work_dirs/benchmark"
    json_only: bool = False
    checkpoint: Optional[str] = None  # weights folder searched first (--checkpoint; --model real)
    command: str = ""

    @property
    def slide_stride(self) -> int:
        return self.stride if self.stride is not None else max(1, self.crop // 3)

    @property
    def changes_results(self) -> bool:
        """A window schedule other than the published one (crop 336, stride 112)."""
        return (self.crop, self.slide_stride) != (336, 112)


# ---- environment ----------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def host_info(device: str) -> dict:
    info = dict(cpu=cpu_model(), cpu_cores=os.cpu_count(), torch_threads=torch.get_num_threads(),
                torch=torch.__version__, python=platform.python_version(), platform=platform.platform())
    try:
        import open_clip
        import timm

        info.update(open_clip=open_clip.__version__, timm=timm.__version__)
    except Exception:  # pragma: no cover - reported, not required
        pass
    if device.startswith("cuda") and torch.cuda.is_available():
        info.update(gpu=torch.cuda.get_device_name(torch.device(device)), cuda=torch.version.cuda)
    flags = ""
    try:
        flags = next(l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("flags"))
    except (OSError, StopIteration):
        pass
    info["cpu_bf16"] = "avx512_bf16" in flags or "amx_bf16" in flags
    return info


def bf16_peak_tflops(device_name: str) -> Optional[float]:
    """Dense bf16 peak of a known GPU (by name), ``None`` when unknown."""
    for key, tflops in BF16_PEAK_TFLOPS:
        if key.lower() in device_name.lower():
            return tflops
    return None


def rss_status() -> Dict[str, float]:
    """``VmRSS`` / ``VmHWM`` of this process in MiB (Linux), else ``ru_maxrss``."""
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) / 1024
    except OSError:
        import resource

        out["VmHWM"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); ``False`` where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


# ---- models and images ----------------------------------------------------------------------

def default_classes() -> List[str]:
    path = REPO_ROOT / "configs/_base_/class_names/coco_stuff.txt"
    if path.is_file():
        return [l.strip() for l in path.read_text().splitlines() if l.strip()]
    return list(FALLBACK_CLASSES)


def resolve_templates(cfg: BenchConfig) -> str:
    if cfg.templates:
        return cfg.templates
    if cfg.model == "tiny" or cfg.device.startswith("cuda"):
        return "openai_imagenet"
    return "a_photo"  # 80 templates x ViT-B text tower is minutes of CPU; one template keeps it short


def build_segmenter_for(cfg: BenchConfig, *, text_cache_dir=None):
    """The benchmark's :class:`OpenVocabSegmenter` (same seed -> same random weights)."""
    from ..models import OpenVocabSegmenter, build_clip, build_vfm, tiny_clip_cfg

    classes = cfg.classes or default_classes()
    torch.manual_seed(cfg.seed)
    if cfg.model == "tiny":
        clip_model, tok = build_clip(model_cfg=tiny_clip_cfg(**TINY_CLIP))
        torch.manual_seed(cfg.seed + 1)
        vfm = build_vfm(dict(TINY_DINO), pretrained=False)
    elif cfg.model == "vit-b":
        clip_model, tok = build_clip(cfg.clip or "ViT-B-16", pretrained=None)
        torch.manual_seed(cfg.seed + 1)
        vfm = build_vfm(dict(type=cfg.vfm or "dino", arch=cfg.vfm_arch or "b8"), pretrained=False)
    elif cfg.model == "real":
        clip_model, tok = build_clip(cfg.clip or "ViT-B-16", pretrained=cfg.clip_pretrained or "openai")
        vfm = build_vfm(dict(type=cfg.vfm or "dino", arch=cfg.vfm_arch or "b8"), pretrained=True)
    else:
        raise UsageError(f"--model must be tiny, vit-b or real, got {cfg.model!r}")
    if cfg.device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32: the 1e-4 logits check
        torch.backends.cudnn.allow_tf32 = False
    # networks on the device first: the constructor encodes the prompts on the text tower's device
    clip_model, vfm = clip_model.to(cfg.device), vfm.to(cfg.device)
    seg = OpenVocabSegmenter(clip_model, tok, vfm, classes=classes, method="proxyclip",
                             slide_crop=cfg.crop, slide_stride=cfg.slide_stride,
                             templates=resolve_templates(cfg), text_cache_dir=text_cache_dir)
    return seg.to(cfg.device).eval()


def make_images(cfg: BenchConfig, mean: torch.Tensor, std: torch.Tensor) -> List[torch.Tensor]:
    """Deterministic smooth random RGB images (never uniform), CLIP-normalised ``(3, H, W)``."""
    g = torch.Generator().manual_seed(1000 + cfg.seed)
    h, w = cfg.size
    out = []
    for _ in range(cfg.images):
        base = torch.rand(1, 3, h // 32 + 2, w // 32 + 2, generator=g)
        img = F.interpolate(base, size=(h, w), mode="bicubic", align_corners=False)[0]
        img = (img + 0.1 * torch.rand(3, h, w, generator=g)).clamp(0, 1)
        out.append(((img - mean.cpu()[0]) / std.cpu()[0]).to(cfg.device))
    return out


def windows_per_image(cfg: BenchConfig) -> int:
    from ..ops.slide import window_grid

    h, w = cfg.size
    return len(window_grid(h, w, (cfg.crop,) * 2, (cfg.slide_stride,) * 2))


def auto_window_batch(cfg: BenchConfig, seg, image: torch.Tensor) -> int:
    """All windows of an image on CPU; on CUDA the most that fit in 80% of free memory."""
    n = windows_per_image(cfg)
    if not cfg.device.startswith("cuda"):
        return n
    crop = min(cfg.crop, image.shape[-2]), min(cfg.crop, image.shape[-1])
    from ..ops.slide import pad_to_multiple

    win, _ = pad_to_multiple(image[None, :, :crop[0], :crop[1]], seg.pad_multiple)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    with torch.inference_mode(), seg.autocast():
        seg.forward_windows(win)
    torch.cuda.synchronize()
    per_window = max(torch.cuda.max_memory_allocated() - base, 1)
    free, _ = torch.cuda.mem_get_info()
    return max(1, min(n, int(0.8 * free // per_window)))


# ---- FLOPs ----------------------------------------------------------------------------------

def _vit_flops(tokens: int, width: int, hidden: int, depth: int) -> float:
    """Forward FLOPs (2 per multiply-add) of ``depth`` pre-norm ViT blocks on ``tokens`` tokens.

    Per block: qkv ``2*N*C*3C`` + scores ``2*N^2*C`` + attention x values ``2*N^2*C`` + output
    projection ``2*N*C^2`` + MLP ``2*2*N*C*H``  =  ``8NC^2 + 4N^2C + 4NCH`` (``H = 4C``:
    ``24NC^2 + 4N^2C``). Norms, softmax, GELU and adds are left out (< 2%).
    """
    n, c, h = tokens, width, hidden
    return depth * (8 * n * c * c + 4 * n * n * c + 4 * n * c * h)


def estimate_flops(seg, window_hw: Tuple[int, int]) -> Optional[dict]:
    """Analytic FLOPs of one window through proxyseg's ProxyCLIP path (timm-ViT VFMs only)."""
    vfm = seg.vfm
    m = getattr(vfm, "model", None)
    if m is None or not hasattr(m, "blocks"):
        return None
    h, w = window_hw
    vis = seg.clip.visual
    pc = seg.clip.patch_size[0]
    n_clip = (h // pc) * (w // pc)
    c_clip = vis.conv1.out_channels
    blocks = vis.transformer.resblocks
    hid_clip = blocks[0].mlp.c_fc.out_features
    pv = vfm.patch_size
    hv, wv = vfm.out_grid(h, w)
    n_vfm = hv * wv
    c_vfm = vfm.embed_dim
    hid_vfm = m.blocks[0].mlp.fc1.out_features
    d = seg.clip.embed_dim
    q = seg.query_features.shape[0]
    clip = (2 * n_clip * 3 * pc * pc * c_clip  # patch embedding
            + _vit_flops(n_clip + 1, c_clip, hid_clip, len(blocks) - 1)
            + 2 * n_clip * c_clip * c_clip)  # last block: the patch values only (clip_dense._v_patches)
    n_prefix = getattr(m, "num_prefix_tokens", 1)  # class (+ register) tokens
    dino = 2 * n_vfm * 3 * pv * pv * c_vfm + _vit_flops(n_vfm + n_prefix, c_vfm, hid_vfm, len(m.blocks))
    pam = 2 * n_vfm * n_vfm * c_vfm + 2 * n_vfm * n_vfm * c_clip + 2 * n_vfm * c_clip * c_clip
    head = 2 * n_vfm * c_clip * d + 2 * n_vfm * d * q
    total = clip + dino + pam + head
    return dict(per_window=float(total), clip=float(clip), vfm=float(dino), pam=float(pam), head=float(head),
                formula="ViT block: 8NC^2 + 4N^2C + 4NCH (qkv, scores, attn*V, proj, MLP; 2 FLOPs per MAC); "
                        "PAM: 2M^2C_vfm + 2M^2C_clip + 2MC_clip^2; head: 2MC_clip*D + 2MDQ")


# ---- one path -------------------------------------------------------------------------------

def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _stats(values: List[float]) -> dict:
    vs = sorted(values)
    q1, q3 = (vs[0], vs[-1]) if len(vs) < 4 else (statistics.quantiles(vs, n=4)[0], statistics.quantiles(vs, n=4)[2])
    return dict(median=statistics.median(vs), min=vs[0], max=vs[-1], q1=q1, q3=q3, n=len(vs))


class PathRunner:
    """One path (``proxyseg`` or ``reference``) on a built segmenter: start-up, warm-up, timed repeats.

    Several runners may share one segmenter (``--in-process``: the reference loop reuses the same
    model objects); their repeats are then interleaved so that load changes hit both alike.
    """

    def __init__(self, cfg: BenchConfig, seg, images: List[torch.Tensor], path: str, dtype: str, *,
                 build_s: float = 0.0, fp32_check: bool = False, sdpa: bool = False):
        self.cfg, self.seg, self.images, self.path, self.dtype = cfg, seg, images, path, dtype
        self.cuda = cfg.device.startswith("cuda")
        self.ref = None
        self.compiled = None
        self._hooks_seen = 0
        self.logits_s: List[float] = []
        self.post_s: List[float] = []
        self.outputs = []
        self.peak_mb = self.delta_mb = self.base_mb = None
        self.mem_kind = "cuda_max_allocated" if self.cuda else "cpu_peak_rss"
        self.startup = dict(build_s=build_s)
        self.fp32_logits = None
        if path == "proxyseg":
            t0 = time.perf_counter()
            seg.set_classes(seg.class_names)  # as the constructor does: memory/disk cache
            self.startup["text_s_cached"] = time.perf_counter() - t0
            self.wb = 1
            self.compiled = torch.compile(seg.forward_windows, dynamic=False) if cfg.compile else None
            if cfg.window_batch == "auto":
                with self._configured():
                    self.wb = auto_window_batch(cfg, seg, images[0])
            else:
                self.wb = int(cfg.window_batch)
            if fp32_check and dtype != "fp32":  # strict check of the fp32 path on image 0 (not timed)
                with self._configured(amp=None):
                    self.fp32_logits = seg.predict_logits(images[0]).float().cpu()
        elif path == "reference":
            from .reference_loop import ReferenceLoop

            self.ref = ReferenceLoop(seg, weights_dtype=DTYPES[dtype], encode_text=True,  # re-encodes: timed
                                     dino_attention="sdpa" if sdpa else "explicit")
            self.startup["text_s"] = self.ref.text_seconds
            self.wb = 1
        else:
            raise ValueError(path)

    @contextlib.contextmanager
    def _configured(self, amp="same"):
        """The segmenter's per-path settings (runners may share it)."""
        seg = self.seg
        saved = (seg.amp, seg.window_batch, seg.amp_clip)
        seg.amp = (None if self.dtype == "fp32" else self.dtype) if amp == "same" else amp
        seg.amp_clip = self.cfg.amp_clip
        if self.path == "proxyseg":
            seg.window_batch = self.wb
            if self.compiled is not None:
                seg.forward_windows = self.compiled  # instance attribute shadows the method
        try:
            yield
        finally:
            seg.amp, seg.window_batch, seg.amp_clip = saved
            seg.__dict__.pop("forward_windows", None)

    def _predict(self, img):
        if self.path == "proxyseg":
            logits = self.seg.predict_logits(img)
            _sync(self.cfg.device)
            return logits, time.perf_counter(), self.seg.postprocess(logits)[1]
        logits = self.ref.predict_logits(img)
        _sync(self.cfg.device)
        return logits, time.perf_counter(), self.ref.postprocess(logits)

    def warmup(self) -> None:
        t0 = time.perf_counter()
        with self._configured():
            for _ in range(max(self.cfg.warmup, 0)):
                self._predict(self.images[0])
        _sync(self.cfg.device)
        self.startup["warmup_s"] = time.perf_counter() - t0

    def repeat(self, others: Sequence["PathRunner"] = (), keep_outputs: bool = False) -> None:
        """One timed pass over the images; peak memory of the pass (reset before it)."""
        ctx = contextlib.ExitStack()
        for o in others:  # hooks of a reference loop on the shared models stay out of this path
            if o.ref is not None and o is not self:
                ctx.enter_context(o.ref.paused())
        with ctx, self._configured():
            if self.cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated() / 2 ** 20
            else:
                base = rss_status().get("VmRSS")
                if not reset_peak_rss():
                    self.mem_kind = "cpu_peak_rss_since_start"
            tl = tp = 0.0
            for img in self.images:
                _sync(self.cfg.device)
                a = time.perf_counter()
                logits, b, mask = self._predict(img)
                _sync(self.cfg.device)
                c = time.perf_counter()
                tl += b - a
                tp += c - b
                if keep_outputs:
                    self.outputs.append((logits.float().cpu(), mask.cpu()))
                del logits, mask
            peak = torch.cuda.max_memory_allocated() / 2 ** 20 if self.cuda else rss_status()["VmHWM"]
        self.logits_s.append(tl)
        self.post_s.append(tp)
        if self.peak_mb is None or peak > self.peak_mb:
            self.peak_mb, self.base_mb = peak, base
            self.delta_mb = peak - base if base is not None else None

    def result(self) -> dict:
        cfg, n = self.cfg, len(self.images)
        nwin = windows_per_image(cfg)
        res = dict(path=self.path, dtype=self.dtype, window_batch=self.wb,
                   amp_clip=self.cfg.amp_clip if self.path == "proxyseg" else None,
                   dino_attention=self.ref.dino_attention if self.ref is not None else "sdpa", windows_per_image=nwin, images=n,
                   repeats=len(self.logits_s), startup=self.startup,
                   seconds=dict(logits=self.logits_s, postprocess=self.post_s),
                   images_per_s=_stats([n / t for t in self.logits_s]),
                   windows_per_s=_stats([n * nwin / t for t in self.logits_s]),
                   e2e_images_per_s=_stats([n / (a + b) for a, b in zip(self.logits_s, self.post_s)]),
                   logits_s_per_image=statistics.median(self.logits_s) / n,
                   postprocess_s_per_image=statistics.median(self.post_s) / n,
                   memory=dict(kind=self.mem_kind, peak_mb=self.peak_mb, delta_mb=self.delta_mb, base_mb=self.base_mb),
                   hook_count=self.hook_count,
                   flops=estimate_flops(self.seg, (cfg.crop, cfg.crop)) if min(cfg.size) >= cfg.crop else None,
                   _outputs=self.outputs, _fp32_logits=self.fp32_logits)
        return res

    @property
    def hook_count(self) -> int:
        """Hooks the reference loop registered (and left, as upstream) before :meth:`close`."""
        return self._hooks_seen if self.ref is None or self.ref.hook_count == 0 else self.ref.hook_count

    def close(self) -> None:
        if self.ref is not None:
            self._hooks_seen = self.ref.hook_count
            self.ref.close()


def _build(cfg: BenchConfig, text_cache_dir=None):
    t0 = time.perf_counter()
    seg = build_segmenter_for(cfg, text_cache_dir=text_cache_dir)
    return seg, make_images(cfg, seg.clip_mean, seg.clip_std), time.perf_counter() - t0


def run_path(cfg: BenchConfig, path: str, dtype: str, *, text_cache_dir=None, fp32_check: bool = False,
             sdpa: bool = False) -> dict:
    """Time one path on its own models in this process (the isolated worker's job)."""
    seg, images, build_s = _build(cfg, text_cache_dir if path == "proxyseg" else None)
    runner = PathRunner(cfg, seg, images, path, dtype, build_s=build_s, fp32_check=fp32_check, sdpa=sdpa)
    runner.warmup()
    for r in range(cfg.repeats):
        runner.repeat(keep_outputs=r == cfg.repeats - 1)
    runner.close()
    return runner.result()


def run_interleaved(cfg: BenchConfig, specs: List[Tuple[str, Tuple[str, str, bool]]],
                    fp32_check: bool = False) -> Dict[str, dict]:
    """All paths in this process on ONE set of models, repeats interleaved (A B A B ...)."""
    seg, images, build_s = _build(cfg)
    runners = {}
    for name, (path, dtype, sdpa) in specs:
        runners[name] = PathRunner(cfg, seg, images, path, dtype, build_s=build_s,
                                   fp32_check=fp32_check and path == "proxyseg", sdpa=sdpa)
    for r in runners.values():
        r.warmup()
    allr = list(runners.values())
    for i in range(cfg.repeats):
        for r in allr:
            r.repeat(others=allr, keep_outputs=i == cfg.repeats - 1)
    for r in allr:
        r.close()
    return {k: r.result() for k, r in runners.items()}


def _run_isolated(cfg: BenchConfig, path: str, dtype: str, **kw) -> dict:
    """``run_path`` in a fresh Python process (its own peak RSS, allocator and CUDA context)."""
    with tempfile.TemporaryDirectory(prefix="proxyseg_bench_") as tmp:
        spec = Path(tmp) / "spec.json"
        out = Path(tmp) / "result.pt"
        spec.write_text(json.dumps(dict(cfg=dataclasses.asdict(cfg), path=path, dtype=dtype,
                                        kw={k: (str(v) if isinstance(v, Path) else v) for k, v in kw.items()})))
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
        proc = subprocess.run([sys.executable, "-m", "proxyseg.benchmarks.bench", "--worker", str(spec), str(out)],
                              env=env, cwd=str(REPO_ROOT), capture_output=True, text=True)
        marker = "proxyseg-bench-error: "
        msgs = [l[len(marker):] for l in proc.stderr.splitlines() if l.startswith(marker)]
        if proc.returncode != 0 and msgs:  # an error the user can act on (missing weights, ...)
            err = ProxySegError(msgs[-1])
            err.exit_code = proc.returncode
            raise err
        if proc.returncode != 0 or not out.is_file():
            raise RuntimeError(f"benchmark worker for {path} ({dtype}) failed (exit {proc.returncode}):\n"
                               f"{proc.stderr[-3000:]}")
        return torch.load(out, weights_only=False)


def _apply_threads(cfg: BenchConfig) -> None:
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))


def _worker(spec_path: str, out_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text())
    c = dict(spec["cfg"])
    c["size"] = tuple(c["size"])
    cfg = BenchConfig(**c)
    _apply_threads(cfg)
    from ..weights import weights_dir

    try:
        with weights_dir(cfg.checkpoint):
            res = run_path(cfg, spec["path"], spec["dtype"], **spec["kw"])
    except ProxySegError as e:
        print(f"proxyseg-bench-error: {e}", file=sys.stderr)
        return getattr(e, "exit_code", 1)
    torch.save(res, out_path)
    return 0


# ---- comparison and report ------------------------------------------------------------------

def compare(fast: dict, ref: dict) -> dict:
    """Max |logit diff|, and the % of pixels whose class (after postprocess) agrees."""
    diffs, same, total = [], 0, 0
    for (la, ma), (lb, mb) in zip(fast["_outputs"], ref["_outputs"]):
        diffs.append(float((la - lb).abs().max()) if la.shape == lb.shape else float("inf"))
        same += int((ma == mb).sum())
        total += ma.numel()
    return dict(max_abs_diff=max(diffs), argmax_agreement=100.0 * same / max(total, 1))


def run_benchmark(cfg: BenchConfig) -> dict:
    """Run every path, check the logits, compute speed-ups; writes nothing (see :func:`write_report`)."""
    if cfg.dtype not in DTYPES:
        raise UsageError(f"--dtype must be one of {', '.join(DTYPES)}, got {cfg.dtype!r}")
    if cfg.device.startswith("cuda") and not torch.cuda.is_available():
        raise UsageError("--device cuda requested but no CUDA GPU is available; use --device cpu")
    if cfg.dtype == "fp16" and not cfg.device.startswith("cuda"):
        raise UsageError("--dtype fp16 is for CUDA (CPU fp16 is slow and not a target); use --dtype bf16 on CPU")
    if cfg.images < 1 or cfg.repeats < 1:
        raise UsageError("--images and --repeats must be >= 1")
    _apply_threads(cfg)
    specs = [("proxyseg", ("proxyseg", cfg.dtype, False)), ("reference", ("reference", "fp32", False))]
    if cfg.reference_sdpa:
        specs.append(("reference_sdpa", ("reference", "fp32", True)))
    if cfg.reference_dtype and cfg.reference_dtype != "fp32":
        specs.append((f"reference_{cfg.reference_dtype}", ("reference", cfg.reference_dtype, False)))
    if cfg.isolate:
        cache = Path(cfg.out) / "text_cache"
        paths = {name: _run_isolated(cfg, path, dtype, text_cache_dir=cache if path == "proxyseg" else None,
                                     fp32_check=path == "proxyseg" and cfg.dtype != "fp32", sdpa=sdpa)
                 for name, (path, dtype, sdpa) in specs}
    else:
        paths = run_interleaved(cfg, specs, fp32_check=cfg.dtype != "fp32")

    cmp = compare(paths["proxyseg"], paths["reference"])
    check = dict(atol=cfg.atol, min_agreement=cfg.min_agreement, **cmp)
    if cfg.dtype == "fp32":
        check["passed"] = cmp["max_abs_diff"] <= cfg.atol
        check["rule"] = f"fp32: max |logit diff| <= {cfg.atol}"
    else:
        fp32 = paths["proxyseg"].get("_fp32_logits")
        ref0 = paths["reference"]["_outputs"][0][0]
        check["fp32_max_abs_diff"] = float((fp32 - ref0).abs().max()) if fp32 is not None else None
        check["passed"] = (cmp["argmax_agreement"] >= cfg.min_agreement
                           and (check["fp32_max_abs_diff"] is None or check["fp32_max_abs_diff"] <= cfg.atol))
        check["rule"] = (f"{cfg.dtype}: argmax agreement with the fp32 reference >= {cfg.min_agreement}% and the "
                         f"fp32 path on image 0 within {cfg.atol}")
    for name, p in paths.items():
        if name != "reference" and name.startswith("reference"):
            c2 = compare(p, paths["reference"])
            p["agreement_vs_fp32_reference"] = c2
    speedups = {}
    fast = paths["proxyseg"]["images_per_s"]["median"]
    for name, p in paths.items():
        if name == "proxyseg":
            continue
        key = f"vs_{name}"
        if check["passed"]:
            speedups[key] = dict(images_per_s=fast / p["images_per_s"]["median"],
                                 e2e=paths["proxyseg"]["e2e_images_per_s"]["median"] / p["e2e_images_per_s"]["median"],
                                 peak_memory_ratio=_ratio(paths["proxyseg"]["memory"]["peak_mb"], p["memory"]["peak_mb"]))
        else:
            speedups[key] = None
    result = dict(
        meta=dict(date=datetime.datetime.now().isoformat(timespec="seconds"), command=cfg.command,
                  host=host_info(cfg.device)),
        config=dataclasses.asdict(cfg), templates=resolve_templates(cfg),
        changes_results=cfg.changes_results,
        check=check, speedup=speedups,
        refused_reason=None if check["passed"] else f"outputs differ ({check['rule']} failed): no speed-up reported",
        paths={k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")} for k, v in paths.items()},
    )
    result["flops"] = flops_summary(result, cfg)
    return result


def _ratio(a, b):
    return a / b if a and b else None


def flops_summary(result: dict, cfg: BenchConfig) -> Optional[dict]:
    """Achieved FLOP/s of each path and, on a known GPU, the fraction of its dense bf16 peak."""
    fl = result["paths"]["proxyseg"].get("flops")
    if not fl:
        return None
    per_image = fl["per_window"] * result["paths"]["proxyseg"]["windows_per_image"]
    gpu = result["meta"]["host"].get("gpu")
    peak = bf16_peak_tflops(gpu) if gpu else None
    out = dict(per_window=fl["per_window"], per_image=per_image, breakdown={k: fl[k] for k in ("clip", "vfm", "pam", "head")},
               formula=fl["formula"], bf16_peak_tflops=peak, device=gpu or result["meta"]["host"]["cpu"], paths={})
    for name, p in result["paths"].items():
        achieved = per_image * p["images_per_s"]["median"]
        out["paths"][name] = dict(achieved_tflops=achieved / 1e12,
                                  fraction_of_bf16_peak=achieved / (peak * 1e12) if peak else None)
    return out


def _fmt_stats(s: dict, nd: int = 3) -> str:
    return f"{s['median']:.{nd}f} [{s['min']:.{nd}f}, {s['max']:.{nd}f}]"


def markdown_table(result: dict) -> str:
    rows = ["| path | dtype | window batch | images/s median [min, max] | windows/s | logits s/img | postprocess s/img "
            "| e2e images/s | peak memory MiB (delta) | text start-up s |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name, p in result["paths"].items():
        mem = p["memory"]
        delta = f" ({mem['delta_mb']:.0f})" if mem.get("delta_mb") is not None else ""
        st = p["startup"]
        text = f"{st['text_s']:.2f} (re-encoded)" if "text_s" in st else f"{st.get('text_s_cached', 0):.2f} (cached)"
        dtype = p["dtype"]
        if p["path"] == "proxyseg" and dtype != "fp32":
            dtype += " (VFM+CLIP)" if p.get("amp_clip") else " (VFM; CLIP fp32)"
        if p["path"] == "reference":
            dtype += f", DINO {'SDPA' if p.get('dino_attention') == 'sdpa' else 'explicit'} attention"
        rows.append(f"| {name} | {dtype} | {p['window_batch']} | {_fmt_stats(p['images_per_s'])} | "
                    f"{p['windows_per_s']['median']:.3f} | {p['logits_s_per_image']:.3f} | "
                    f"{p['postprocess_s_per_image']:.3f} | {p['e2e_images_per_s']['median']:.3f} | "
                    f"{mem['peak_mb']:.0f}{delta} | {text} |")
    return "\n".join(rows)


def summary_lines(result: dict) -> List[str]:
    c = result["check"]
    lines = [f"check ({c['rule']}): max |logit diff| {c['max_abs_diff']:.3g}, argmax agreement "
             f"{c['argmax_agreement']:.3f}%" + (f", fp32 path max |diff| {c['fp32_max_abs_diff']:.3g}"
                                                if c.get("fp32_max_abs_diff") is not None else "")
             + (" -> PASS" if c["passed"] else " -> FAIL")]
    if not c["passed"]:
        lines.append(f"REFUSED: {result['refused_reason']}")
    for key, s in result["speedup"].items():
        if s:
            mem = f", peak memory x{s['peak_memory_ratio']:.2f}" if s.get("peak_memory_ratio") else ""
            lines.append(f"speed-up {key.replace('_', ' ')}: x{s['images_per_s']:.2f} images/s "
                         f"(end to end with postprocess x{s['e2e']:.2f}){mem}")
    fl = result.get("flops")
    if fl:
        for name, p in fl["paths"].items():
            frac = (f" = {100 * p['fraction_of_bf16_peak']:.1f}% of {fl['device']} dense bf16 peak "
                    f"({fl['bf16_peak_tflops']:.0f} TFLOP/s)") if p["fraction_of_bf16_peak"] is not None else ""
            lines.append(f"{name}: {p['achieved_tflops']:.3f} TFLOP/s achieved "
                         f"({fl['per_image'] / 1e9:.0f} GFLOP/image){frac}")
    if result.get("changes_results"):
        c = result["config"]
        lines.append(f"NOTE: window schedule crop {c['crop']} / stride {c['stride'] or c['crop'] // 3} is not the "
                     f"published one (336 / 112): a speed/accuracy trade-off that CHANGES RESULTS")
    return lines


def markdown_report(result: dict) -> str:
    cfg, host = result["config"], result["meta"]["host"]
    dev = host.get("gpu") or f"{host['cpu']} ({host['cpu_cores']} cores, {host['torch_threads']} torch threads)"
    lines = [f"# proxyseg benchmark ({result['meta']['date']})", "",
             f"- device: {cfg['device']}: {dev}", f"- torch {host['torch']}, python {host['python']}",
             f"- model: {cfg['model']}, images: {cfg['images']} x {cfg['size'][0]}x{cfg['size'][1]}, "
             f"crop {cfg['crop']}, stride {cfg['stride'] or cfg['crop'] // 3}, repeats {cfg['repeats']} (warm-up "
             f"{cfg['warmup']} excluded), templates {result['templates']}",
             f"- command: `{result['meta']['command']}`", "", markdown_table(result), ""]
    lines += [f"- {l}" for l in summary_lines(result)]
    return "\n".join(lines) + "\n"


def write_report(result: dict, out: os.PathLike, json_only: bool = False) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmark.json").write_text(json.dumps(result, indent=2, default=float))
    if not json_only:
        (out / "benchmark.md").write_text(markdown_report(result))
    return out


# ---- command line ---------------------------------------------------------------------------

def _size(text: str) -> Tuple[int, int]:
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size must be HxW (e.g. 336x448), got {text!r}") from None
    if h < 1 or w < 1:
        raise argparse.ArgumentTypeError("--size must be positive")
    return h, w


def parse_args(argv=None) -> BenchConfig:
    p = argparse.ArgumentParser(prog="tools/benchmark.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N")
    p.add_argument("--dtype", default="fp32", choices=list(DTYPES), help="proxyseg's autocast dtype")
    p.add_argument("--window-batch", default="auto", help="windows per forward, or 'auto'")
    p.add_argument("--images", type=int, default=2)
    p.add_argument("--size", type=_size, default=(336, 448), help="image size HxW")
    p.add_argument("--model", default="tiny", choices=["tiny", "vit-b", "real"],
                   help="tiny random (default), ViT-B/16 CLIP + DINO ViT-B/8 sized random, or real weights")
    p.add_argument("--clip", help="open_clip name (vit-b/real), default ViT-B-16")
    p.add_argument("--clip-pretrained", help="open_clip pretrained tag (real), default openai")
    p.add_argument("--vfm", help="VFM type (default dino)")
    p.add_argument("--vfm-arch", help="VFM arch (default b8)")
    p.add_argument("--classes", help="class file (default configs/_base_/class_names/coco_stuff.txt)")
    p.add_argument("--templates", help="openai_imagenet | a_photo | none (default: see docs/benchmarks.md)")
    p.add_argument("--crop", type=int, default=336, help="window size (336 published; others CHANGE RESULTS)")
    p.add_argument("--stride", type=int, help="window stride (default crop/3 = 112); others CHANGE RESULTS")
    p.add_argument("--compile", action="store_true", help="torch.compile proxyseg's window forward")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--amp-clip", action="store_true",
                   help="with --dtype bf16/fp16: autocast CLIP too (default: the VFM only; CLIP stays fp32)")
    p.add_argument("--reference-sdpa", action="store_true",
                   help="also time the reference loop with SDPA attention in DINO (loop overhead only)")
    p.add_argument("--reference-dtype", choices=["fp16", "bf16"],
                   help="also time upstream's .half()-style loop in this dtype (GPU)")
    p.add_argument("--in-process", action="store_true", help="run every path in this process (memory less clean)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--min-agreement", type=float, default=99.5, help="argmax agreement %% for bf16/fp16")
    p.add_argument("--out", default="work_dirs/benchmark")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="weights: a folder searched first for every model's weight files (--model real)")
    p.add_argument("--json-only", action="store_true", help="write benchmark.json only and print it")
    a = p.parse_args(argv)
    if a.window_batch != "auto":
        try:
            if int(a.window_batch) < 1:
                raise ValueError
        except ValueError:
            p.error("--window-batch must be 'auto' or a positive integer")
    if a.stride is not None and not 1 <= a.stride <= a.crop:
        p.error("--stride must be in [1, --crop]")
    cmd = "python tools/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv)
    return BenchConfig(device=a.device, dtype=a.dtype, window_batch=a.window_batch, images=a.images, size=a.size,
                       model=a.model, clip=a.clip, clip_pretrained=a.clip_pretrained, vfm=a.vfm, vfm_arch=a.vfm_arch,
                       classes=a.classes, templates=a.templates, crop=a.crop, stride=a.stride, compile=a.compile,
                       repeats=a.repeats, warmup=a.warmup, reference_dtype=a.reference_dtype,
                       amp_clip=a.amp_clip, reference_sdpa=a.reference_sdpa,
                       isolate=not a.in_process, seed=a.seed, threads=a.threads, atol=a.atol, min_agreement=a.min_agreement,
                       out=a.out, json_only=a.json_only, command=cmd.strip(),
                       checkpoint=a.checkpoint)


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return _worker(sys.argv[2], sys.argv[3])
    cfg = parse_args(argv)
    if cfg.model != "real":
        os.environ.setdefault("PROXYSEG_OFFLINE", "1")  # random weights: never touch the hub
    from ..weights import weights_dir

    with weights_dir(cfg.checkpoint):  # in-process paths; workers get cfg.checkpoint themselves
        result = run_benchmark(cfg)
    out = write_report(result, cfg.out, cfg.json_only)
    if cfg.json_only:
        print(json.dumps(result, indent=2, default=float))
    else:
        print(markdown_table(result))
        for line in summary_lines(result):
            print(line)
        print(f"wrote {out / 'benchmark.json'} and {out / 'benchmark.md'}")
    return 0 if result["check"]["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
