"""Grad-CAM heat-maps of the melanoma logit (Selvaraju et al. 2017) via ``monai.visualize.GradCAM``.

Needs PyTorch and the committed ``dermnet.pt`` (the ONNX copy has no gradients); imported only when a page
or command asks for a heat-map.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
from monai.visualize.class_activation_maps import GradCAM

from iasante.core.errors import ModelNotReadyError
from iasante.derm.model import DermNet, normalise, tta_views
from iasante.derm.predictor import CNN_NAME

_TARGET_LAYER = "features.4"


@lru_cache(maxsize=2)
def _load_net(weights_dir: Path) -> DermNet:
    file = weights_dir / CNN_NAME
    if not file.is_file():
        raise ModelNotReadyError(f"derm Grad-CAM weights missing: {file}; run `iasante derm train`")
    net = DermNet()
    net.load_state_dict(torch.load(file, map_location="cpu", weights_only=True))
    return net.eval()


def gradcam_melanoma(crop: np.ndarray, weights_dir: Path, class_index: int) -> np.ndarray:
    """Heat-map of the evidence for ``class_index`` on one network crop.

    Args:
        crop: uint8 (72, 96, 3) RGB network input (``Analysis.net_input``).
        weights_dir: folder holding ``dermnet.pt``.
        class_index: logit to explain (index of ``mel`` in the diagnoses).

    Returns:
        float32 (72, 96) in [0, 1], averaged over the four flip views (each flipped back).
    """
    torch.set_num_threads(1)
    # MONAI's default post-processing maps (min, max) to (1, 0), i.e. inverts the map; keep raw values instead
    cam = GradCAM(nn_module=_load_net(weights_dir), target_layers=_TARGET_LAYER, postprocessing=lambda x: x)
    views = tta_views(normalise(crop[None]))
    maps = [cam(x=view, class_idx=class_index)[0, 0] for view in views]
    maps[1], maps[2], maps[3] = maps[1].flip(-1), maps[2].flip(-2), maps[3].flip(-1).flip(-2)
    heat = torch.stack(maps).mean(0).detach().numpy()
    span = float(heat.max() - heat.min())
    return ((heat - heat.min()) / span if span > 0 else np.zeros_like(heat)).astype(np.float32)
