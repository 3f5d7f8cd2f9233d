"""Stable Diffusion (1.5 / 2.1) denoising-UNet decoder features as a VFM, via ``diffusers``.

One pass, no sampling loop: ``window -> VAE latent -> noised to step t -> UNet up to up_blocks[level]``.
``diffusers`` is an optional dependency (``pip install "proxyseg[diffusion]"``); this module
imports it only when a diffusion VFM is built.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn as nn

from ... import weights as W
from ...errors import CheckpointError, ConfigError, WeightsNotFoundError
from .base import VFM, register_vfm
from .base import as_size

log = logging.getLogger(__name__)

HUB_IDS = {"sd15": "stable-diffusion-v1-5/stable-diffusion-v1-5", "sd21": "stabilityai/stable-diffusion-2-1"}

# diffusers configs of the published models (random-weight builds, benchmarks); the rest are
# UNet2DConditionModel / AutoencoderKL defaults, which are SD's
SD_UNET = {
    "sd15": dict(sample_size=64, cross_attention_dim=768),
    "sd21": dict(sample_size=96, cross_attention_dim=1024, attention_head_dim=(5, 10, 20, 20),
                 use_linear_projection=True),
}
SD_VAE = dict(block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
              up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, latent_channels=4,
              sample_size=512, scaling_factor=0.18215)
# DDPM schedule of SD 1.x/2.x training (used when the weights dir has no scheduler/ config)
SD_SCHEDULE = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
PROMPT_LEN = 77


def _diffusers():
    """The ``diffusers`` module, or a ConfigError naming the extra that installs it."""
    try:
        import diffusers
    except ImportError:
        raise ConfigError('the diffusion VFM needs the optional package diffusers: '
                          'pip install "proxyseg[diffusion]" (or pip install diffusers)') from None
    return diffusers


def find_diffusers_dir(arch: str, dirname: str, checkpoint: Optional[str]) -> Union[Path, str]:
    """A local diffusers pipeline directory (``unet/``, ``vae/``), or the hub id when online.

    Order: ``checkpoint`` (a directory) > ``$PROXYSEG_WEIGHTS/<dirname>`` > ``~/.cache/proxyseg/<dirname>``
    > the Hugging Face hub (skipped offline). Raises :class:`WeightsNotFoundError` saying where to put it.
    """
    def ok(p: Path) -> bool:
        return (p / "unet").is_dir() and (p / "vae").is_dir()

    if checkpoint:
        p = Path(checkpoint).expanduser()
        if not ok(p):
            raise WeightsNotFoundError(
                f"checkpoint {checkpoint!r} for the diffusion VFM must be a diffusers pipeline directory with "
                f"unet/ and vae/ subdirectories (e.g. a download of {HUB_IDS[arch]})")
        return p
    for d in W.search_dirs():
        if ok(d / dirname):
            return d / dirname
    if not W.offline():
        return HUB_IDS[arch]
    raise missing_dir(arch, dirname)


def missing_dir(arch: str, dirname: str, reason: str = "") -> WeightsNotFoundError:
    dirs = ", ".join(str(d) for d in W.search_dirs())
    target = W.search_dirs()[0] / dirname
    return WeightsNotFoundError(
        f"weights for Stable Diffusion {arch!r} not found: looked for a diffusers directory {dirname}/ "
        f"(with unet/ and vae/) in {dirs}{' (hub download skipped: offline)' if W.offline() else ''}"
        f"{'; ' + reason if reason else ''}. Download https://huggingface.co/{HUB_IDS[arch]} "
        f"(unet/, vae/, scheduler/, and text_encoder/ + tokenizer/ for the empty-prompt embedding) to {target}, "
        f"or pass --checkpoint DIR (config: checkpoint=...) or set PROXYSEG_WEIGHTS=DIR.")


def load_prompt_embeds(path: str, dim: int) -> torch.Tensor:
    """``(1, L, dim)`` from a file with a ``(L, dim)``/``(1, L, dim)`` tensor (torch or safetensors;
    a dict holding one tensor or a ``'prompt_embeds'`` entry)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise ConfigError(f"prompt_embeds file {path!r} does not exist")
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj = load_file(str(p))
        else:
            obj = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as e:
        raise CheckpointError(f"prompt_embeds file {p} cannot be read ({type(e).__name__}: {e})") from None
    if isinstance(obj, dict):
        obj = obj.get("prompt_embeds", next(iter(obj.values())) if len(obj) == 1 else None)
    if not isinstance(obj, torch.Tensor) or obj.dim() not in (2, 3) or obj.shape[-1] != dim:
        raise ConfigError(f"prompt_embeds in {p} must be a (L, {dim}) or (1, L, {dim}) tensor "
                          f"(or a dict with 'prompt_embeds'), got {getattr(obj, 'shape', type(obj).__name__)}")
    return obj.reshape(1, -1, dim).float()


def empty_prompt_embeds(src: Union[Path, str], dim: int) -> Optional[torch.Tensor]:
    """The pipeline's own ``""`` prompt embedding ``(1, 77, dim)`` from its ``text_encoder/`` and
    ``tokenizer/`` (needs ``transformers``), or ``None`` when either is unavailable."""
    if isinstance(src, Path) and not ((src / "text_encoder").is_dir() and (src / "tokenizer").is_dir()):
        return None
    try:
        from transformers import CLIPTextModel, CLIPTokenizer
    except ImportError:
        return None
    try:
        tok = CLIPTokenizer.from_pretrained(str(src), subfolder="tokenizer")
        enc = CLIPTextModel.from_pretrained(str(src), subfolder="text_encoder").eval()
    except Exception as e:
        if isinstance(src, str):  # hub: not downloadable now
            return None
        raise CheckpointError(f"text encoder/tokenizer in {src} cannot be loaded ({type(e).__name__}: {e})") from None
    ids = tok([""], padding="max_length", max_length=tok.model_max_length, truncation=True,
              return_tensors="pt").input_ids
    with torch.no_grad():
        emb = enc(ids)[0].float()  # (1, 77, dim): last hidden state, as the SD pipelines use
    if emb.shape[-1] != dim:
        raise CheckpointError(f"text encoder in {src} gives {emb.shape[-1]}-d embeddings, the UNet wants {dim}")
    return emb


@register_vfm("diffusion")
class DiffusionVFM(VFM):
    """Decoder features of a Stable Diffusion UNet at one noise level.

    Call graph of ``forward(pixels (B, 3, H, W) in [0, 1])``::

        prepare(): x = 2 * pixels - 1, resized bilinearly to input_size (S_h, S_w)
        features(): z = vae.encode(x).latent_dist.mean * scaling_factor   (B, 4, S_h/8, S_w/8)
                    z_t = sqrt(abar_t) z + sqrt(1 - abar_t) eps             eps: fixed seed, same per window
                    unet parts (time embedding, conv_in, down_blocks, mid_block,
                    up_blocks[0..level]) with prompt_embeds as cross-attention context
                 -> (B, C, S_h / patch_size, S_w / patch_size)

    For SD 1.5/2.1 at ``level=1``: ``C = 1280``, ``patch_size = 16`` (32x32 for 512x512).
    The noise is the same for every window and every call (batch-invariant, deterministic).

    Args:
        arch: ``'sd15'`` (dir ``stable-diffusion-v1-5``) or ``'sd21'`` (``stable-diffusion-2-1``);
            ``checkpoint``: a diffusers pipeline directory (``unet/``, ``vae/``, optional
            ``scheduler/``, ``text_encoder/``, ``tokenizer/``).
        t: diffusion timestep in ``[0, num_train_timesteps)``; default 261 (DIFT's choice for
            semantic features with ``level=1``).
        level: index of the UNet up block whose output is returned (default 1).
        input_size: ``(H, W)`` every window is resized to, a multiple of the model's size
            multiple (64 for SD); default ``(512, 512)``.
        seed: seed of the noise ``eps``.
        prompt_embeds: a file with the ``(77, D)`` text context. Default: the pipeline's empty-prompt
            embedding computed with its ``text_encoder``/``tokenizer`` when present and
            ``transformers`` is installed; otherwise zeros (a logged warning: the real empty-prompt
            embedding needs the pipeline's CLIP text encoder).
        model_kwargs: random-weight builds only: ``dict(unet=dict(...), vae=dict(...))`` overriding
            the ``UNet2DConditionModel``/``AutoencoderKL`` configs (tests build tiny ones).
    """

    ARCHS = {"sd15": "stable-diffusion-v1-5", "sd21": "stable-diffusion-2-1"}

    @classmethod
    def weight_stems(cls, arch: str):
        return None  # a diffusers folder, resolved (with its own clear error) when the model is built

    def __init__(self, unet: nn.Module, vae: nn.Module, alphas_cumprod: torch.Tensor, prompt_embeds: torch.Tensor, *,
                 t: int = 261, level: int = 1, input_size=(512, 512), seed: int = 0, arch: str = ""):
        for attr in ("class_embedding", "add_embedding", "encoder_hid_proj"):
            if getattr(unet, attr, None) is not None:
                raise ConfigError(f"diffusion VFM: UNets with {attr} (SDXL-style conditioning) are not supported")
        n_down = sum(getattr(b, "downsamplers", None) is not None for b in unet.down_blocks)
        n_up = len(unet.up_blocks)
        if not 0 <= int(level) < n_up:
            raise ConfigError(f"diffusion VFM level must be in [0, {n_up - 1}], got {level!r}")
        if not 0 <= int(t) < len(alphas_cumprod):
            raise ConfigError(f"diffusion VFM timestep t must be in [0, {len(alphas_cumprod) - 1}], got {t!r}")
        n_up_level = sum(getattr(b, "upsamplers", None) is not None for b in unet.up_blocks[:int(level) + 1])
        vae_factor = 2 ** (len(vae.config.block_out_channels) - 1)
        multiple = vae_factor * 2 ** n_down
        input_size = as_size(input_size)
        if input_size is None or any(s % multiple for s in input_size):
            raise ConfigError(f"diffusion VFM input_size must be (H, W) multiples of {multiple}, got {input_size!r}")
        stride = multiple // 2 ** n_up_level
        channels = unet.up_blocks[int(level)].resnets[-1].out_channels
        super().__init__(nn.ModuleDict({"unet": unet, "vae": vae}), max(stride, 1), channels, mean=(0.5, 0.5, 0.5),
                         std=(0.5, 0.5, 0.5), input_size=input_size, arch=arch)
        self.t, self.level, self.seed = int(t), int(level), int(seed)
        self.size_multiple = multiple  # input_size must be a multiple of it
        self.scaling_factor = float(vae.config.scaling_factor)
        self.register_buffer("alphas_cumprod", alphas_cumprod.float(), persistent=False)
        self.register_buffer("prompt_embeds", prompt_embeds.float(), persistent=False)

    @classmethod
    def build(cls, arch: str = "sd15", *, pretrained: bool = True, checkpoint: Optional[str] = None, t: int = 261,
              level: int = 1, input_size=(512, 512), seed: int = 0, prompt_embeds: Optional[str] = None,
              model_kwargs: Optional[Dict[str, dict]] = None) -> "DiffusionVFM":
        dirname = cls.resolve_arch(arch)
        diffusers = _diffusers()
        if pretrained:
            if model_kwargs:
                raise ConfigError("diffusion VFM: model_kwargs only apply to random-weight builds "
                                  "(pretrained=False); the weights directory holds the configs")
            src = find_diffusers_dir(arch, dirname, checkpoint)
            try:
                unet = diffusers.UNet2DConditionModel.from_pretrained(str(src), subfolder="unet")
                vae = diffusers.AutoencoderKL.from_pretrained(str(src), subfolder="vae")
            except Exception as e:  # hub/IO/config errors come in many types
                if isinstance(src, str):  # hub download failed
                    raise missing_dir(arch, dirname, reason=f"download failed: {type(e).__name__}") from None
                raise CheckpointError(f"diffusers weights in {src} cannot be loaded "
                                      f"({type(e).__name__}: {e})") from None
            try:
                sched = diffusers.DDPMScheduler.from_pretrained(str(src), subfolder="scheduler")
            except Exception:  # no scheduler/ config: SD's training schedule
                sched = diffusers.DDPMScheduler(**SD_SCHEDULE)
        else:
            kw = dict(model_kwargs or {})
            bad = set(kw) - {"unet", "vae"}
            if bad:
                raise ConfigError(f"diffusion VFM model_kwargs takes 'unet' and 'vae' dicts, got {sorted(bad)}")
            unet = diffusers.UNet2DConditionModel(**{**SD_UNET[arch], **kw.get("unet", {})})
            vae = diffusers.AutoencoderKL(**{**SD_VAE, **kw.get("vae", {})})
            sched = diffusers.DDPMScheduler(**SD_SCHEDULE)
            src = None
        dim = unet.config.cross_attention_dim
        if not isinstance(dim, int):
            raise ConfigError(f"diffusion VFM: per-block cross_attention_dim {dim!r} is not supported")
        ctx = None
        if prompt_embeds is not None:
            ctx = load_prompt_embeds(prompt_embeds, dim)
        elif src is not None:
            ctx = empty_prompt_embeds(src, dim)
            if ctx is None:
                log.warning("diffusion VFM: no text_encoder/ + tokenizer/ in %s (or transformers missing): using "
                            "an all-zero prompt context instead of the real empty-prompt embedding; pass "
                            "prompt_embeds=FILE for the real one", src)
        if ctx is None:
            ctx = torch.zeros(1, PROMPT_LEN, dim)
        return cls(unet.eval(), vae.eval(), sched.alphas_cumprod, ctx, t=t, level=level, input_size=input_size,
                   seed=seed, arch=arch)

    def out_grid(self, height: int, width: int) -> Tuple[int, int]:
        """``input_size // patch_size`` whatever the window (every window is resized)."""
        h, w = self.input_size
        return h // self.patch_size, w // self.patch_size

    def noise(self, latents: torch.Tensor) -> torch.Tensor:
        """``eps (B, c, h, w)``: one draw from ``seed`` (on the CPU, device-independent), shared by the batch."""
        g = torch.Generator(device="cpu").manual_seed(self.seed)
        eps = torch.randn((1, *latents.shape[1:]), generator=g)
        return eps.to(latents.device, latents.dtype).expand_as(latents)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, S_h, S_w)`` in [-1, 1] -> ``(B, C, S_h / patch_size, S_w / patch_size)``."""
        unet, vae = self.model["unet"], self.model["vae"]
        z = vae.encode(x).latent_dist.mean * self.scaling_factor  # (B, 4, S_h/8, S_w/8)
        abar = self.alphas_cumprod[self.t].to(z.dtype)
        z = abar.sqrt() * z + (1 - abar).sqrt() * self.noise(z)
        ctx = self.prompt_embeds.to(z.dtype).expand(z.shape[0], -1, -1)
        return self.decode_to_level(unet, z, ctx)

    def decode_to_level(self, unet: nn.Module, sample: torch.Tensor, ctx: torch.Tensor) -> torch.Tensor:
        """The UNet's forward (time embedding, down, mid, up blocks) up to ``up_blocks[level]``.

        ``sample: (B, 4, h, w)``, ``ctx: (B, L, D)`` -> ``(B, C, h', w')``. Mirrors
        ``UNet2DConditionModel.forward`` for SD-style UNets (no class/added embeddings).
        """
        steps = torch.full((sample.shape[0],), self.t, device=sample.device, dtype=torch.long)
        emb = unet.time_embedding(unet.time_proj(steps).to(sample.dtype))
        if unet.time_embed_act is not None:
            emb = unet.time_embed_act(emb)

        def run(block, h, **kw):
            if getattr(block, "has_cross_attention", False):
                kw["encoder_hidden_states"] = ctx
            return block(hidden_states=h, temb=emb, **kw)

        h = unet.conv_in(sample)
        skips = (h,)
        for block in unet.down_blocks:
            h, res = run(block, h)
            skips += res
        if unet.mid_block is not None:
            h = run(unet.mid_block, h)
        for i, block in enumerate(unet.up_blocks):
            n = len(block.resnets)
            res, skips = skips[-n:], skips[:-n]
            h = run(block, h, res_hidden_states_tuple=res, upsample_size=skips[-1].shape[2:] if skips else None)
            if i == self.level:
                return h
        raise AssertionError("unreachable: level is checked at build")
