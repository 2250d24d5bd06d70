"""The dermoscopy network: a compact residual CNN built from MONAI blocks, and its batch augmentations.

Input: float32 tensor (B, 3, 72, 96), RGB, channel-first, normalised by :func:`normalise` (ImageNet-style
mean/std of the uint8 0-255 crops). Output: logits (B, 7) over :data:`iasante.derm.data.DIAGNOSES`.
"""

from __future__ import annotations

import numpy as np
import torch
from monai.networks.blocks.convolutions import Convolution, ResidualUnit
from torch import nn

__all__ = ["DermNet", "normalise", "augment"]

_MEAN = torch.tensor([0.60, 0.55, 0.55]).view(1, 3, 1, 1)
_STD = torch.tensor([0.20, 0.20, 0.20]).view(1, 3, 1, 1)


def normalise(batch: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 crops (B, 72, 96, 3) RGB 0-255 -> float32 (B, 3, 72, 96) centred, roughly unit variance."""
    tensor = torch.as_tensor(np.array(batch, copy=True)).permute(0, 3, 1, 2).float() / 255.0
    return (tensor - _MEAN) / _STD


class DermNet(nn.Module):
    """Residual CNN (about 1.4 M parameters, ~70 M multiply-adds per 72x96 image).

    Args:
        n_classes: number of output logits (7 HAM10000 diagnoses).
        channels: widths of the stem and of the four residual stages.
        dropout: dropout before the linear head.

    Example:
        >>> DermNet()(torch.zeros(2, 3, 72, 96)).shape
        torch.Size([2, 7])
    """

    def __init__(self, n_classes: int = 7, channels: tuple[int, ...] = (32, 48, 96, 192, 256),
                 dropout: float = 0.2) -> None:
        super().__init__()
        self.n_classes = n_classes
        layers: list[nn.Module] = [Convolution(2, 3, channels[0], strides=2, kernel_size=3, act="relu",
                                               norm="batch")]
        strides = (2, 2, 2, 1)
        for c_in, c_out, stride in zip(channels[:-1], channels[1:], strides, strict=True):
            layers.append(ResidualUnit(2, c_in, c_out, strides=stride, kernel_size=3, subunits=2, act="relu",
                                       norm="batch"))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(channels[-1], n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, H, W) normalised -> logits (B, n_classes)."""
        logits: torch.Tensor = self.head(self.features(x))
        return logits


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random flips, small shifts and colour jitter on a normalised batch (B, 3, H, W); returns a new tensor.

    Dermoscopy has no canonical orientation, so flips are label-preserving; colour jitter mimics the residual
    camera differences left after Shades of Gray.
    """
    size = batch.shape[0]
    out = batch.clone()
    flip_w = torch.rand(size, generator=generator) < 0.5
    flip_h = torch.rand(size, generator=generator) < 0.5
    out[flip_w] = out[flip_w].flip(-1)
    out[flip_h] = out[flip_h].flip(-2)
    pad = 6
    padded = nn.functional.pad(out, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (size,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (size,), generator=generator)
    height, width = out.shape[-2:]
    out = torch.stack([padded[i, :, dy[i]: dy[i] + height, dx[i]: dx[i] + width] for i in range(size)])
    gain = 1 + 0.15 * (torch.rand(size, 3, 1, 1, generator=generator) - 0.5)
    offset = 0.3 * (torch.rand(size, 1, 1, 1, generator=generator) - 0.5)
    return out * gain + offset


def tta_views(batch: torch.Tensor) -> list[torch.Tensor]:
    """The four flip views used for test-time augmentation of a (B, 3, H, W) batch."""
    return [batch, batch.flip(-1), batch.flip(-2), batch.flip(-1).flip(-2)]
