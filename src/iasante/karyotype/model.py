"""Chromosome network: one compact CNN, two heads (24 classes; p-arm polarity), on upright-aligned crops.

The principal-axis alignment in :mod:`.preprocess` removes most of the rotation; the network then only has to
name the chromosome and tell whether the p-arm is up (angle = alignment rotation + 0 or 180 degrees).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from iasante.core.errors import ModelNotReadyError
from iasante.karyotype.cellclass import BAND_MODEL_FILE, BandModel, classify_cell
from iasante.karyotype.io import CLASSES
from iasante.karyotype.preprocess import CANVAS_HW, align_chromosome, wrap_deg
from iasante.karyotype.splitting import CHOOSER_FILE, SplitChooser

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
WEIGHTS_FILE = "chromosome_net.pt"


def _block(c_in: int, c_out: int, convs: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers += [
            nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers)


class ChromosomeNet(nn.Module):
    """CNN for (B, 1, 112, 56) float32 crops in [0, 1] (bright-on-dark, long axis vertical).

    Returns:
        logits: (B, 25) class scores: the 24 of :data:`iasante.karyotype.io.CLASSES`, then "other" (a touching
            pair or a broken piece, used to arbitrate segmentation);
        polarity: (B,) logit that the p-arm is at the top of the crop.
    """

    def __init__(self, widths: tuple[int, ...] = (16, 32, 64, 128, 192), hidden: int = 256, dropout: float = 0.3):
        super().__init__()
        blocks: list[nn.Module] = []
        c_in = 1
        for i, width in enumerate(widths):
            blocks.append(_block(c_in, width, convs=2 if i == 3 else 1))
            if i < len(widths) - 1:
                blocks.append(nn.MaxPool2d(2))
            c_in = width
        self.features = nn.Sequential(*blocks)
        rows, cols = CANVAS_HW[0] // 2 ** (len(widths) - 1), CANVAS_HW[1] // 2 ** (len(widths) - 1)
        self.trunk = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(c_in * rows * cols, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
        )
        self.classes = nn.Linear(hidden, len(CLASSES) + 1)
        self.polarity = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(self.features(x))
        return self.classes(h), self.polarity(h).squeeze(1)


@dataclass
class Prediction:
    """Per-chromosome output: class probabilities (24,), the winning class and the upright angle."""

    proba: np.ndarray
    chromosome: str
    confidence: float
    angle_deg: float


class ChromosomeClassifier:
    """Classify single chromosomes and find the angle that makes them upright (p-arm up).

    The weights may hold several networks (an ensemble of seeds); their probabilities are averaged.

    Args:
        tta: also score each crop rotated by 180 degrees (two passes per network, polarity-consistent average).
        batch_size: crops per forward pass.

    Attributes:
        nets_: the loaded :class:`ChromosomeNet` ensemble members (eval mode), set by :meth:`load`.
        meta_: training metadata stored with the weights.
        split_chooser_: the :class:`SplitChooser` that decides cuts of touching objects in metaphases (None
            when the weights folder has none).
        band_model_: the :class:`~iasante.karyotype.cellclass.BandModel` used by :meth:`predict_cell` (None
            when the weights folder has none).

    Examples:
        >>> clf = ChromosomeClassifier().load()  # doctest: +SKIP
        >>> clf.predict_images([image])[0].chromosome  # doctest: +SKIP
        '7'
    """

    def __init__(self, tta: bool = True, batch_size: int = 128):
        self.tta = tta
        self.batch_size = batch_size

    def load(self, weights_dir: Path | None = None) -> ChromosomeClassifier:
        """Load committed weights; raises ModelNotReadyError when absent."""
        path = (weights_dir or WEIGHTS_DIR) / WEIGHTS_FILE
        if not path.is_file():
            raise ModelNotReadyError(f"karyotype weights missing at {path}: run `iasante karyotype train`")
        blob = torch.load(path, map_location="cpu", weights_only=False)
        self.nets_: list[ChromosomeNet] = []
        for state in blob.get("state_dicts") or [blob["state_dict"]]:
            net = ChromosomeNet(**blob["config"])
            net.load_state_dict({k: v.float() for k, v in state.items()})
            self.nets_.append(net.eval())
        self.meta_: dict[str, Any] = blob.get("meta", {})
        chooser_dir = weights_dir or WEIGHTS_DIR
        self.split_chooser_ = SplitChooser.load(chooser_dir) if (chooser_dir / CHOOSER_FILE).is_file() else None
        has_band = (chooser_dir / BAND_MODEL_FILE).is_file()
        self.band_model_ = BandModel.load(chooser_dir) if has_band else None
        return self

    def _check(self) -> list[ChromosomeNet]:
        if not hasattr(self, "nets_"):
            raise ModelNotReadyError("karyotype classifier not loaded: call load() first")
        return self.nets_

    @torch.no_grad()
    def predict_canvases(self, canvases: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Score aligned crops.

        Args:
            canvases: float32 (N, 112, 56) upright-aligned crops.

        Returns:
            proba: (N, 24) class probabilities given a single chromosome; p_up: (N,) probability that the
            p-arm is at the top; p_other: (N,) probability that the crop is not one whole chromosome.
        """
        nets = self._check()
        probas, ups = [], []
        for start in range(0, len(canvases), self.batch_size):
            x = torch.from_numpy(np.ascontiguousarray(canvases[start : start + self.batch_size]))[:, None].float()
            proba, p_up = torch.zeros(()), torch.zeros(())
            for net in nets:
                logits, pol = net(x)
                proba, p_up = proba + logits.softmax(1), p_up + torch.sigmoid(pol)
                if self.tta:
                    logits_r, pol_r = net(torch.flip(x, dims=(2, 3)))
                    proba, p_up = proba + logits_r.softmax(1), p_up + 1.0 - torch.sigmoid(pol_r)
            passes = len(nets) * (2 if self.tta else 1)
            probas.append((proba / passes).numpy())
            ups.append((p_up / passes).numpy())
        if not probas:
            return np.zeros((0, len(CLASSES)), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
        full = np.concatenate(probas)
        single = full[:, :-1] / np.clip(full[:, :-1].sum(1, keepdims=True), 1e-9, None)
        return single, np.concatenate(ups), full[:, -1]

    def score_images(
        self, images: list[np.ndarray], dark_on_light: bool | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Align and score (H, W) images.

        Returns:
            canvases (N, 112, 56), alignment rotations rho (N,) in degrees, proba (N, 24), p_up (N,), p_other (N,).
        """
        aligned = [align_chromosome(img, dark_on_light) for img in images]
        canvases = np.stack([a[0] for a in aligned])
        return canvases, np.array([a[1] for a in aligned]), *self.predict_canvases(canvases)

    @staticmethod
    def _predictions(proba: np.ndarray, labels: np.ndarray, rho: np.ndarray, p_up: np.ndarray) -> list[Prediction]:
        out = []
        for pr, k, r, up in zip(proba, labels, rho, p_up, strict=True):
            upright_rotation = r + (0.0 if up >= 0.5 else 180.0)
            out.append(Prediction(pr, CLASSES[k], float(pr[k]), float(wrap_deg(-upright_rotation))))
        return out

    def predict_images(self, images: list[np.ndarray], dark_on_light: bool | None = None) -> list[Prediction]:
        """Classify (H, W) single-chromosome images of any rotation and polarity, each on its own."""
        if not images:
            return []
        _, rho, proba, p_up, _ = self.score_images(images, dark_on_light)
        return self._predictions(proba, proba.argmax(1), rho, p_up)

    def predict_cell(self, images: list[np.ndarray], dark_on_light: bool | None = None) -> list[Prediction]:
        """Classify the (H, W) single-chromosome images of one whole cell together (about 46 images).

        Uses the cell's context (sizes relative to the cell, band model, about two of each autosome: see
        :mod:`.cellclass`); ``proba`` and ``confidence`` are the fused probabilities. Angles are as in
        :meth:`predict_images`.
        """
        if not images:
            return []
        canvases, rho, proba, p_up, p_other = self.score_images(images, dark_on_light)
        labels, fused = classify_cell(canvases, proba, p_up, p_other, self.band_model_)
        return self._predictions(fused, labels, rho, p_up)

    def predict_proba(self, images: list[np.ndarray]) -> np.ndarray:
        """(N, 24) class probabilities for (H, W) single-chromosome images."""
        return np.stack([p.proba for p in self.predict_images(images)])

    def predict(self, images: list[np.ndarray]) -> list[str]:
        """Chromosome names ("1".."22", "X", "Y") for (H, W) single-chromosome images."""
        return [p.chromosome for p in self.predict_images(images)]


def save_weights(nets: list[ChromosomeNet], config: dict[str, Any], meta: dict[str, Any], weights_dir: Path) -> Path:
    """Write half-precision weights of the ensemble plus metadata (``chromosome_net.pt``, ``.json``)."""
    weights_dir.mkdir(parents=True, exist_ok=True)
    path = weights_dir / WEIGHTS_FILE
    states = [{k: (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()} for net in nets]
    torch.save({"config": config, "state_dicts": states, "meta": meta}, path)
    (weights_dir / "chromosome_net.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def update_meta(weights_dir: Path, **extra: Any) -> dict[str, Any]:
    """Add entries (measured metrics, reference area) to the metadata stored with existing weights."""
    path = weights_dir / WEIGHTS_FILE
    blob = torch.load(path, map_location="cpu", weights_only=False)
    blob["meta"] = {**blob.get("meta", {}), **extra}
    torch.save(blob, path)
    (weights_dir / "chromosome_net.json").write_text(json.dumps(blob["meta"], indent=2) + "\n")
    return dict(blob["meta"])
