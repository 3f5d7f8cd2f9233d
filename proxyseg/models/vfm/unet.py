"""A segmentation UNet (the Pytorch-UNet/Carvana layout) as a VFM: decoder features, pooled.

The network is written here to the published Carvana checkpoints' key layout
(``inc.double_conv.{0,1,3,4}``, ``down{1..4}.maxpool_conv.1.double_conv.*``, ``up{1..4}.up``,
``up{1..4}.conv.double_conv.*``, ``outc.conv``) so their state dicts load strictly.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ... import weights as W
from ...errors import ConfigError
from .base import VFM, register_vfm
from .base import as_size

UNET_SOURCE = "https://github.com/milesial/Pytorch-UNet/releases"
UP_LAYERS = ("up1", "up2", "up3", "up4")


class DoubleConv(nn.Module):
    """``(conv3x3 no bias -> BN -> ReLU) x 2``: ``(B, in, H, W) -> (B, out, H, W)``."""

    def __init__(self, in_ch: int, out_ch: int, mid_ch: Optional[int] = None):
        super().__init__()
        mid_ch = mid_ch or out_ch
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_ch, mid_ch, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_ch),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_ch, out_ch, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_ch),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.double_conv(x)


class Down(nn.Module):
    """Max-pool 2 then :class:`DoubleConv`: ``(B, in, H, W) -> (B, out, H // 2, W // 2)``."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_ch, out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.maxpool_conv(x)


class Up(nn.Module):
    """Upsample x2, pad to the skip's size, concatenate ``[skip, up]``, :class:`DoubleConv`.

    ``bilinear=False``: ``ConvTranspose2d(in, in // 2, 2, stride 2)``, then ``DoubleConv(in, out)``;
    ``bilinear=True``: parameter-free bilinear upsampling (``align_corners=True``), then
    ``DoubleConv(in, out, mid=in // 2)``.
    """

    def __init__(self, in_ch: int, out_ch: int, bilinear: bool = False):
        super().__init__()
        if bilinear:
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
            self.conv = DoubleConv(in_ch, out_ch, in_ch // 2)
        else:
            self.up = nn.ConvTranspose2d(in_ch, in_ch // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_ch, out_ch)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        """``x: (B, c, h, w)``, ``skip: (B, c', H', W')`` with ``H' in {2h, 2h + 1}`` -> ``(B, out, H', W')``."""
        x = self.up(x)
        dy, dx = skip.shape[-2] - x.shape[-2], skip.shape[-1] - x.shape[-1]
        x = F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        return self.conv(torch.cat([skip, x], dim=1))


class OutConv(nn.Module):
    """1x1 conv to class logits: ``(B, in, H, W) -> (B, n_classes, H, W)``."""

    def __init__(self, in_ch: int, n_classes: int):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, n_classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class UNet(nn.Module):
    """The 4-level UNet: channels ``c, 2c, 4c, 8c, 16c`` (``16c // 2`` and halved decoder widths when
    ``bilinear``), ``c = base_channels`` (64 in the Carvana checkpoints), ``n_classes`` logits."""

    def __init__(self, n_channels: int = 3, n_classes: int = 2, *, bilinear: bool = False, base_channels: int = 64):
        super().__init__()
        c, f = int(base_channels), (2 if bilinear else 1)
        self.n_channels, self.n_classes, self.bilinear = n_channels, n_classes, bilinear
        self.inc = DoubleConv(n_channels, c)
        self.down1 = Down(c, 2 * c)
        self.down2 = Down(2 * c, 4 * c)
        self.down3 = Down(4 * c, 8 * c)
        self.down4 = Down(8 * c, 16 * c // f)
        self.up1 = Up(16 * c, 8 * c // f, bilinear)
        self.up2 = Up(8 * c, 4 * c // f, bilinear)
        self.up3 = Up(4 * c, 2 * c // f, bilinear)
        self.up4 = Up(2 * c, c, bilinear)
        self.outc = OutConv(c, n_classes)

    def up_channels(self, layer: str) -> int:
        """Output width of up block ``layer`` (``'up1'`` .. ``'up4'``)."""
        return getattr(self, layer).conv.double_conv[3].out_channels

    def decode(self, x: torch.Tensor, layer: str = "up4") -> torch.Tensor:
        """``(B, 3, H, W) -> `` the output of up block ``layer``: ``(B, C, H_k, W_k)`` where
        ``H_k = H // 2**(4 - k)`` for ``up{k}`` (floors taken level by level, as the skips are)."""
        skips = [self.inc(x)]  # (B, c, H, W)
        for down in (self.down1, self.down2, self.down3, self.down4):
            skips.append(down(skips[-1]))
        y = skips.pop()  # bottleneck, 1/16
        for name in UP_LAYERS:
            y = getattr(self, name)(y, skips.pop())
            if name == layer:
                return y
        raise ConfigError(f"unknown UNet layer {layer!r}; valid: {', '.join(UP_LAYERS)}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` -> logits ``(B, n_classes, H, W)``."""
        return self.outc(self.decode(x, "up4"))


@register_vfm("unet")
class UNetVFM(VFM):
    """Features of a Carvana-trained UNet decoder block, average-pooled to a ``stride`` grid.

    ``forward(pixels (B, 3, H, W)) -> (B, C, H // stride, W // stride)``: ``pixels`` go in as they
    are (RGB in [0, 1], no mean/std, as the Carvana model was trained), the network runs up to up
    block ``layer`` (its upsampled input concatenated with the skip, after its double conv), and
    the map is ``adaptive_avg_pool2d``-ed to the grid. Any window size works: the up blocks pad.

    Args:
        arch: ``'carvana'`` (``unet_carvana_scale1.0_epoch2.pth``) or ``'carvana_0.5'``
            (``unet_carvana_scale0.5_epoch2.pth``); local files only (no hub).
        layer: ``'up1'`` .. ``'up4'`` (1/8 .. 1/1 resolution); default ``'up3'``, the
            second-to-last up block (128 channels at 1/2 resolution for ``base_channels=64``).
        stride: output grid step in pixels (``patch_size``); default 8 (42x42 for a 336 window).
            A ``stride`` below the layer's own reduction repeats cells (adaptive pooling).
        bilinear: bilinear upsampling instead of transposed convs (not the Carvana layout).
        base_channels: first-level width (64 for the Carvana checkpoints; tests use 8).
        n_classes: output classes of ``outc`` (2 for Carvana; only matters for loading).
        input_size: optional ``(H, W)`` to resize every window to; ``None`` (default): as is.
    """

    LOCAL_ONLY = True
    ARCHS = {
        "carvana": "unet_carvana_scale1.0_epoch2.pth",
        "carvana_0.5": "unet_carvana_scale0.5_epoch2.pth",
    }

    def __init__(self, model: UNet, *, layer: str = "up3", stride: int = 8,
                 input_size: Optional[Tuple[int, int]] = None, arch: str = ""):
        if layer not in UP_LAYERS:
            raise ConfigError(f"unknown UNet layer {layer!r}; valid: {', '.join(UP_LAYERS)}")
        if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1:
            raise ConfigError(f"UNet stride must be a positive integer, got {stride!r}")
        super().__init__(model, int(stride), model.up_channels(layer), mean=None, std=None,
                         input_size=as_size(input_size), arch=arch)
        self.layer = layer

    @classmethod
    def weight_source(cls, arch: str) -> str:
        return UNET_SOURCE

    @classmethod
    def build(cls, arch: str = "carvana", *, pretrained: bool = True, checkpoint: Optional[str] = None,
              layer: str = "up3", stride: int = 8, bilinear: bool = False, base_channels: int = 64,
              n_classes: int = 2, input_size: Optional[Tuple[int, int]] = None,
              model_kwargs: Optional[dict] = None) -> "UNetVFM":
        """``model_kwargs`` (optional) override ``UNet(**...)`` arguments, like the timm VFMs'."""
        fname = cls.resolve_arch(arch)
        kwargs = dict(n_classes=n_classes, bilinear=bilinear, base_channels=base_channels, **(model_kwargs or {}))
        net = UNet(**kwargs)
        if pretrained:
            load_unet_weights(net, fname, checkpoint, name=f"UNet {arch!r}")
        return cls(net.eval(), layer=layer, stride=stride, input_size=input_size, arch=arch)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` -> ``(B, C, H // stride, W // stride)``."""
        grid = (x.shape[-2] // self.patch_size, x.shape[-1] // self.patch_size)
        return F.adaptive_avg_pool2d(self.model.decode(x, self.layer), grid)


def load_unet_weights(net: UNet, fname: str, checkpoint: Optional[str], *, name: str) -> None:
    """Strictly load ``fname`` (explicit ``checkpoint`` > ``$PROXYSEG_WEIGHTS`` > cache) into ``net``.

    Non-tensor entries (``mask_values``) are dropped; ``num_batches_tracked`` buffers absent from
    older files are kept from ``net``. Raises ``WeightsNotFoundError``/``CheckpointError``.
    """
    path = W.find_weights([fname], checkpoint)
    if path is None:
        raise W.missing(name, [fname], UNET_SOURCE, reason="the UNet is loaded from a local file only")
    sd = W.load_state_dict(path)
    own = net.state_dict()
    for k, v in own.items():
        if k.endswith("num_batches_tracked") and k not in sd and k.rsplit(".", 1)[0] + ".weight" in sd:
            sd[k] = v
    W.load_into(net, sd, name, path)
