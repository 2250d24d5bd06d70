"""Inference: load the committed ensemble once, score the slices of a series, aggregate to a series call.

``p_abnormal`` is the calibrated probability of pathological lungs (stage 1); ``p_covid`` the calibrated
probability of COVID-19 pneumonia (stage 2, trained against every non-COVID class). For a series, slice
probabilities are aggregated by :func:`iasante.ct.metrics.aggregate_series`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from iasante.core.errors import ModelNotReadyError
from iasante.ct.io import CtSeries
from iasante.ct.metrics import aggregate_series
from iasante.ct.model import WEIGHTS_DIR, WEIGHTS_FILE, TriageConfig, decide, sigmoid, stack_covid
from iasante.ct.preprocess import lung_fraction, to_model_input, to_model_inputs
from iasante.ct.texture import TEXTURE_FILE, TextureModel, texture_features

_lock = threading.Lock()
_cache: dict[Path, CtTriage] = {}


@dataclass
class SeriesResult:
    """Outcome for one input.

    Attributes:
        input: the input as given; p_abnormal, p_covid: calibrated probabilities in [0, 1];
        prediction: ``normal`` / ``pathological`` / ``covid``; slice_p_abnormal, slice_p_covid: per slice;
        drivers: indices of the slices that drove the call, most abnormal first; slice_ids: per slice.
    """

    input: str
    p_abnormal: float
    p_covid: float
    prediction: str
    slice_ids: list[str]
    slice_p_abnormal: list[float]
    slice_p_covid: list[float]
    drivers: list[int] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        """The CLI contract row: ``input, p_abnormal, p_covid, prediction``."""
        return {
            "input": self.input,
            "p_abnormal": round(self.p_abnormal, 4),
            "p_covid": round(self.p_covid, 4),
            "prediction": self.prediction,
        }


class CtTriage:
    """The calibrated ensemble with its config; use :func:`load` to get the shared instance.

    Args:
        weights_dir: folder holding ``ct_triage.pt``, ``config.json`` and, when the config stacks a texture
            model, ``texture_lgbm.json``.
    """

    def __init__(self, weights_dir: Path = WEIGHTS_DIR):
        import torch

        from iasante.ct.model import build_ensemble

        weights, config = weights_dir / WEIGHTS_FILE, weights_dir / "config.json"
        if not weights.is_file() or not config.is_file():
            raise ModelNotReadyError(f"CT weights not found in {weights_dir}; run `iasante ct train`")
        self.config_ = TriageConfig.load(config)
        state = torch.load(weights, map_location="cpu", weights_only=True)
        self.net_ = build_ensemble(state, self.config_)
        texture = weights_dir / TEXTURE_FILE
        if self.config_.stack_coef and not texture.is_file():
            raise ModelNotReadyError(f"{texture} missing; run `iasante ct train`")
        self.texture_ = TextureModel.load(texture) if self.config_.stack_coef else None

    def input_of(self, slice_01: np.ndarray) -> np.ndarray:
        """Network input ``(C, S, S)`` float32 in [0, 1] of one lung-window slice ``(H, W)``: the body crop
        (C = 1), or the body and lung crops for a cascade (C = 2, :class:`~iasante.ct.model.CascadeNet`)."""
        size, harmonise = self.config_.input_size_px, self.config_.harmonise_window
        if self.config_.crop == "cascade":
            return to_model_inputs(slice_01, size, harmonise)
        return to_model_input(slice_01, size, harmonise=harmonise)

    def inputs(self, series: CtSeries) -> np.ndarray:
        """Network inputs ``(n_slices, C, S, S)`` float32 in [0, 1]."""
        return np.stack([self.input_of(s) for s in series.slices])

    def predict_proba(self, x: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """Calibrated ``(N, 2)`` probabilities (abnormal, covid) for inputs ``(N, C, S, S)`` float32.

        With a texture model, the COVID column stacks the CNN and the texture score of the lung crop.
        """
        import torch

        with torch.no_grad():
            logits = [self.net_(torch.from_numpy(x[b : b + batch_size])).numpy() for b in range(0, len(x), batch_size)]
        return sigmoid(stack_covid(np.concatenate(logits), self.texture_scores(x), self.config_))

    def texture_scores(self, x: np.ndarray) -> np.ndarray | None:
        """Texture log-odds ``(N,)`` of the lung crops (last channel of ``x`` ``(N, C, S, S)``, quantised to
        uint8 as in training), or ``None`` without a texture model."""
        if self.texture_ is None:
            return None
        return self.texture_.raw_score(texture_features(np.round(x[:, -1:] * 255).astype(np.uint8)))

    def predict_series(self, series: CtSeries) -> SeriesResult:
        """Score every slice and take the series call (a single slice is its own series)."""
        probs = self.predict_proba(self.inputs(series))
        if len(series.slices) == 1:
            p_abn, p_cov, drivers = float(probs[0, 0]), float(probs[0, 1]), [0]
        else:
            lung = np.array([lung_fraction(s) for s in series.slices])
            p_abn, p_cov, drivers = aggregate_series(probs[:, 0], probs[:, 1], lung, self.config_.series_top_frac)
        return SeriesResult(
            series.name,
            p_abn,
            p_cov,
            decide(p_abn, p_cov, self.config_),
            series.slice_ids,
            [round(float(p), 4) for p in probs[:, 0]],
            [round(float(p), 4) for p in probs[:, 1]],
            drivers,
        )


def load(weights_dir: Path = WEIGHTS_DIR) -> CtTriage:
    """The process-wide model for ``weights_dir`` (loaded once; thread-safe).

    PyTorch runs on one intra-op thread: a slice takes tens of milliseconds anyway, and on a shared 2-core
    host two spinning threads were measured 30x slower than one (benchmarks/bench_ct.py).
    """
    with _lock:
        if weights_dir not in _cache:
            import torch

            torch.set_num_threads(1)
            _cache[weights_dir] = CtTriage(weights_dir)
        return _cache[weights_dir]
