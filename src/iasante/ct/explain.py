"""Grad-CAM heat-maps (MONAI) over a slice, averaged over the ensemble members, and their PNG rendering."""

from __future__ import annotations

import io

import numpy as np

from iasante.ct.model import HEADS, head_members
from iasante.ct.predict import CtTriage

TARGET_LAYER = "features.3"  # last residual stage, 8 x 8 at 128 px input


def gradcam(model: CtTriage, x: np.ndarray, head: str = "covid") -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM of one head for one input ``(C, S, S)`` float32.

    Each member's map (MONAI :class:`~monai.visualize.GradCAM` on its last residual stage, upsampled to the
    input size) is computed on that member's own logit, then the maps are averaged and rescaled to [0, 1].

    Returns:
        ``(heat (S, S) float32 in [0, 1], view (1, S, S))``: the map and the crop the head's members read.
    """
    import torch
    from monai.visualize import GradCAM

    head_index = HEADS.index(head)
    members, channel = head_members(model.net_, head)
    view = x[channel : channel + 1]
    batch = torch.from_numpy(view[None].astype(np.float32))
    maps = []
    for member in members:
        cam = GradCAM(nn_module=member, target_layers=TARGET_LAYER)
        maps.append(cam(batch, class_idx=head_index)[0, 0].detach().numpy())
    heat = np.mean(maps, axis=0)
    heat = heat - heat.min()
    return (heat / heat.max() if heat.max() > 0 else heat).astype(np.float32), view


def render_overlay(x: np.ndarray, heat: np.ndarray, title: str = "", size_px: int = 320) -> bytes:
    """PNG bytes: the network input ``(1, S, S)`` in grey with the heat-map ``(S, S)`` as a jet overlay."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(size_px / 100, size_px / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1 if not title else 0.92))
    ax.imshow(x[0], cmap="gray", vmin=0, vmax=1)
    ax.imshow(heat, cmap="jet", alpha=0.35, vmin=0, vmax=1)
    ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=8, y=0.99)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def render_slice_profile(p_abnormal: list[float], p_covid: list[float], drivers: list[int]) -> bytes:
    """PNG line plot of slice probabilities in series order; driver slices marked with dots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 2.4), dpi=100)
    z = np.arange(len(p_abnormal))
    ax.plot(z, p_abnormal, label="p_abnormal", color="tab:orange", marker="." if len(z) < 40 else None)
    ax.plot(z, p_covid, label="p_covid", color="tab:red", marker="." if len(z) < 40 else None)
    ax.scatter(
        drivers,
        [p_abnormal[i] for i in drivers],
        s=40,
        facecolors="none",
        edgecolors="k",
        label="driver slices",
        zorder=3,
    )
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("slice (series order)")
    ax.set_ylabel("probability")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
