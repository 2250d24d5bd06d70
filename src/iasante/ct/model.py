"""The two-stage triage network and its calibrated ensemble.

:class:`CovidTriageNet` is a compact residual CNN built from MONAI blocks with two logits per slice:
stage 1 ``abnormal`` (pathological vs normal lungs) and stage 2 ``covid`` (COVID-19 vs anything else).
The cascade decision is taken on calibrated probabilities: ``normal`` if ``p_abnormal < t_abn``, else
``covid`` if ``p_covid >= t_covid``, else ``pathological``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from monai.networks.blocks import Convolution, ResidualUnit
from torch import nn

HEADS = ("abnormal", "covid")
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "ct_triage.pt"


class CovidTriageNet(nn.Module):
    """Residual CNN for one lung-window CT slice.

    Args:
        channels: feature maps per stage; each stage halves the resolution.
        dropout: dropout before the linear heads.

    Shapes:
        input ``(N, 1, S, S)`` float32 in ``[0, 1]`` (S = 128 in the shipped weights; any multiple of 16);
        output ``(N, 2)`` logits, columns in :data:`HEADS` order.

    Example:
        >>> net = CovidTriageNet()
        >>> net(torch.zeros(2, 1, 128, 128)).shape
        torch.Size([2, 2])
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64, 128), dropout: float = 0.3):
        super().__init__()
        layers: list[nn.Module] = [Convolution(2, 1, channels[0], strides=2, kernel_size=5, norm="batch", act="relu")]
        for c_in, c_out in zip(channels[:-1], channels[1:], strict=True):
            layers.append(ResidualUnit(2, c_in, c_out, strides=2, subunits=2, norm="batch", act="relu"))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(channels[-1], len(HEADS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(torch.flatten(self.pool(self.features(x)), 1)))  # type: ignore[no-any-return]


class EnsembleNet(nn.Module):
    """Mean of member logits then per-head affine (Platt) calibration; output ``(N, 2)`` calibrated logits."""

    def __init__(self, members: list[CovidTriageNet], scale: torch.Tensor, bias: torch.Tensor):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.register_buffer("scale", scale.float().reshape(1, -1))
        self.register_buffer("bias", bias.float().reshape(1, -1))

    scale: torch.Tensor
    bias: torch.Tensor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.stack([m(x) for m in self.members], 0).mean(0)
        return logits * self.scale + self.bias


class CascadeNet(nn.Module):
    """The two stages from two views of the slice: stage 1 (abnormal) from the body-crop ensemble, stage 2
    (COVID-19) from the lung-crop ensemble, the crop each head scored best with out of fold.

    Shapes: input ``(N, 2, S, S)`` float32 in [0, 1], channel 0 the body crop and channel 1 the lung crop
    (:func:`iasante.ct.preprocess.to_model_input`); output ``(N, 2)`` calibrated logits (HEADS order).
    """

    def __init__(self, body: EnsembleNet, lung: EnsembleNet):
        super().__init__()
        self.body = body
        self.lung = lung

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.body(x[:, :1])[:, :1], self.lung(x[:, 1:])[:, 1:]], 1)


def head_members(net: nn.Module, head: str) -> tuple[list[CovidTriageNet], int]:
    """The members whose logit ``head`` is, and the input channel they read (for Grad-CAM)."""
    if isinstance(net, CascadeNet):
        view, channel = (net.body, 0) if head == "abnormal" else (net.lung, 1)
        return list(view.members), channel  # type: ignore[arg-type]
    return list(net.members), 0  # type: ignore[arg-type]


def cascade_of(
    body: list[CovidTriageNet], lung: list[CovidTriageNet], scale: list[float], bias: list[float]
) -> CascadeNet:
    """A :class:`CascadeNet` from fold members and per-head Platt ``scale``/``bias``, in eval mode."""
    s, b = torch.tensor(scale), torch.tensor(bias)
    return CascadeNet(EnsembleNet(body, s, b), EnsembleNet(lung, s, b)).eval()


@dataclass
class TriageConfig:
    """What ``config.json`` beside the weights holds: architecture, calibration, decision thresholds."""

    channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    input_size_px: int = 128
    n_members: int = 5
    platt_scale: list[float] = field(default_factory=lambda: [1.0, 1.0])
    platt_bias: list[float] = field(default_factory=lambda: [0.0, 0.0])
    threshold_abnormal: float = 0.5
    threshold_covid: float = 0.5
    series_top_frac: float = 0.25
    crop: str = "body"  # "body": one body-crop ensemble (1.0.0); "cascade": CascadeNet (body + lung crops)
    stack_coef: list[float] = field(default_factory=list)
    stack_bias: float = 0.0
    harmonise_window: bool = False  # preprocess.harmonise_window on the body crop (1.2.0 on)
    version: str = "1.1.0"

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> TriageConfig:
        return cls(**json.loads(path.read_text()))


def build_ensemble(state: dict[str, torch.Tensor], config: TriageConfig) -> nn.Module:
    """Rebuild the network from a flat state dict in eval mode: a :class:`CascadeNet` (``body.…``, ``lung.…``)
    when ``config.crop == "cascade"``, else one :class:`EnsembleNet` (``members.<i>.…``, ``scale``, ``bias``)."""

    def members() -> list[CovidTriageNet]:
        return [CovidTriageNet(tuple(config.channels)) for _ in range(config.n_members)]

    if config.crop == "cascade":
        net: nn.Module = cascade_of(members(), members(), config.platt_scale, config.platt_bias)
    else:
        net = EnsembleNet(members(), torch.tensor(config.platt_scale), torch.tensor(config.platt_bias))
    net.load_state_dict(state)
    return net.eval()


def stack_covid(logits: np.ndarray, texture_score: np.ndarray | None, config: TriageConfig) -> np.ndarray:
    """Calibrated logits ``(N, 2)`` with the COVID column replaced by the stacked CNN + texture logit.

    ``stack_coef`` (CNN calibrated COVID logit, texture log-odds) and ``stack_bias`` come from a logistic
    regression on out-of-fold predictions; without them (or without a texture score) ``logits`` is returned.
    """
    if texture_score is None or not config.stack_coef:
        return logits
    out = np.array(logits, dtype=np.float64)
    out[:, 1] = config.stack_coef[0] * logits[:, 1] + config.stack_coef[1] * texture_score + config.stack_bias
    return out


def decide(p_abnormal: float, p_covid: float, config: TriageConfig) -> str:
    """The cascade: ``normal`` / ``pathological`` / ``covid`` from calibrated probabilities."""
    if p_abnormal < config.threshold_abnormal:
        return "normal"
    return "covid" if p_covid >= config.threshold_covid else "pathological"


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function (any shape)."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)
