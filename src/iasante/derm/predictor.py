"""Inference: pre-processing, CNN (ONNX Runtime), descriptor model (LightGBM), blend and calibration.

Images enter in the analysis frame of :mod:`iasante.derm.io` (float32 (150, 200, 3) RGB in [0, 1]); results
are calibrated probabilities over :data:`iasante.derm.data.DIAGNOSES`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import softmax

from iasante.core.errors import ModelNotReadyError
from iasante.derm.features import compute_abcd, compute_descriptors
from iasante.derm.metrics import apply_vector_scaling
from iasante.derm.preprocess import prepare

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
CNN_NAME, ONNX_NAME, LGB_NAME, CONFIG_NAME = "dermnet.pt", "dermnet.onnx", "descriptors_lgb.txt", "config.json"
_MEAN = np.array([0.60, 0.55, 0.55], np.float32).reshape(1, 3, 1, 1)
_STD = np.array([0.20, 0.20, 0.20], np.float32).reshape(1, 3, 1, 1)


@dataclass
class Analysis:
    """Everything shown for one image: calibrated probabilities, decision, ABCD values and the masks."""

    probabilities: dict[str, float]
    p_melanoma: float
    prediction: str
    abcd: dict[str, float]
    lesion_found: bool
    clean: np.ndarray = field(repr=False)  # float32 (150, 200, 3) colour-corrected, hair-free
    mask: np.ndarray = field(repr=False)  # bool (150, 200) lesion
    net_input: np.ndarray = field(repr=False)  # uint8 (72, 96, 3) crop fed to the CNN


class MelanomaClassifier:
    """Melanoma vs benign and 7-diagnosis classifier over HAM10000 classes.

    Args:
        weights_dir: folder with ``dermnet.onnx``, ``descriptors_lgb.txt`` and ``config.json``.

    Attributes (set by :meth:`load`): ``config_`` (dict), ``session_`` (ONNX Runtime), ``booster_`` (LightGBM).
    """

    def __init__(self, weights_dir: Path = WEIGHTS_DIR) -> None:
        self.weights_dir = weights_dir

    def load(self) -> MelanomaClassifier:
        """Read the weights; raises :class:`ModelNotReadyError` when any file is missing or unreadable."""
        import lightgbm as lgb
        import onnxruntime as ort

        files = [self.weights_dir / name for name in (ONNX_NAME, LGB_NAME, CONFIG_NAME)]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise ModelNotReadyError(f"derm weights missing in {self.weights_dir}: {', '.join(missing)}; "
                                     "run `iasante derm train`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self.config_: dict[str, Any] = json.loads(files[2].read_text())
            self.session_ = ort.InferenceSession(str(files[0]), options, providers=["CPUExecutionProvider"])
            self.booster_ = lgb.Booster(model_file=str(files[1]))
        except Exception as exc:  # corrupt weights are a deployment problem, not a user input problem
            raise ModelNotReadyError(f"derm weights in {self.weights_dir} cannot be loaded: {exc}") from exc
        return self

    def _check_loaded(self) -> None:
        if not hasattr(self, "session_"):
            raise ModelNotReadyError("MelanomaClassifier used before load()")

    @property
    def diagnoses(self) -> list[str]:
        self._check_loaded()
        return list(self.config_["diagnoses"])

    @property
    def threshold(self) -> float:
        """Melanoma decision threshold on the calibrated p_melanoma (chosen on validation data)."""
        self._check_loaded()
        return float(self.config_["threshold_melanoma"])

    def _cnn_log_probs(self, crops: np.ndarray) -> np.ndarray:
        """uint8 (N, 72, 96, 3) -> log of the mean softmax over the flip views, (N, 7)."""
        batch = (crops.transpose(0, 3, 1, 2).astype(np.float32) / 255.0 - _MEAN) / _STD
        views = [batch, batch[..., ::-1], batch[..., ::-1, :], batch[..., ::-1, ::-1]]
        views = views if self.config_["tta"] else views[:1]
        stacked = np.ascontiguousarray(np.concatenate(views))
        logits = self.session_.run(["logits"], {"image": stacked})[0]
        probs = softmax(logits.astype(np.float64), axis=1).reshape(len(views), len(crops), -1).mean(0)
        log_probs: np.ndarray = np.log(probs + 1e-9)
        return log_probs

    def predict_prepared(self, crops: np.ndarray, descriptors: np.ndarray) -> np.ndarray:
        """Calibrated probabilities (N, 7) from network crops (N, 72, 96, 3) uint8 and descriptors (N, D)."""
        self._check_loaded()
        log_cnn = self._cnn_log_probs(crops)
        log_lgb = np.log(np.asarray(self.booster_.predict(descriptors, num_threads=1), np.float64) + 1e-9)
        weight = float(self.config_["blend_weight_cnn"])
        blended = weight * log_cnn + (1 - weight) * log_lgb
        return apply_vector_scaling(blended, float(self.config_["temperature"]), np.asarray(self.config_["biases"]))

    def analyse(self, image: np.ndarray) -> Analysis:
        """Pre-process, classify and describe one analysis-frame image (150, 200, 3) float32 in [0, 1]."""
        self._check_loaded()
        prepared = prepare(image)
        clean, mask = prepared["clean"], prepared["mask"]
        abcd = compute_abcd(clean, mask)  # type: ignore[arg-type]
        descriptors = compute_descriptors(clean, mask, abcd)[None]  # type: ignore[arg-type]
        probs = self.predict_prepared(prepared["net"][None], descriptors)[0]  # type: ignore[index]
        p_mel = float(probs[self.diagnoses.index("mel")])
        return Analysis(
            probabilities={d: float(p) for d, p in zip(self.diagnoses, probs, strict=True)},
            p_melanoma=p_mel,
            prediction="melanoma" if p_mel >= self.threshold else "benign",
            abcd=abcd,
            lesion_found=bool(prepared["lesion_found"]),
            clean=clean, mask=mask, net_input=prepared["net"],  # type: ignore[arg-type]
        )
