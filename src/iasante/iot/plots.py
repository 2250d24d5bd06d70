"""The patient page's picture: heart rate, SpO2, temperature and steps with the personal baseline band and
alert markers, drawn by matplotlib (Agg) as SVG."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

PANELS = (
    ("hr_bpm", "Heart rate (bpm)", "#b3261e"),
    ("spo2_pct", "SpO2 (%)", "#0b5cad"),
    ("temp_c", "Temperature (°C)", "#b06000"),
    ("steps", "Steps", "#137333"),
)
ALERT_COLOURS = {"presymptomatic": "#7b1fa2", "news2": "#d93025"}


def render_patient_svg(
    series: dict[str, list[tuple[datetime, float]]],
    bands: dict[str, list[tuple[datetime, float, float, float]]],
    alerts: list[Any],
    title: str = "",
) -> bytes:
    """SVG bytes of the four panels.

    Args:
        series: metric → [(time UTC, value)] readings.
        bands: metric → [(day UTC, baseline median, low, high)] (median ± 2 robust SD).
        alerts: objects with ``ts`` and ``kind`` (vertical markers on every panel).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    shown = [p for p in PANELS if series.get(p[0])] or list(PANELS[:1])
    fig, axes = plt.subplots(len(shown), 1, figsize=(9, 1.9 * len(shown) + 0.6), sharex=True, squeeze=False)
    for ax, (metric, label, colour) in zip(axes[:, 0], shown, strict=True):
        band = bands.get(metric, [])
        if band:
            days = [b[0] for b in band]
            ax.fill_between(
                days,
                [b[2] for b in band],
                [b[3] for b in band],
                color=colour,
                alpha=0.12,
                step="mid",
                label="personal baseline ±2 SD",
            )
            ax.plot(days, [b[1] for b in band], color=colour, alpha=0.4, lw=1, ls="--", drawstyle="steps-mid")
        points = series.get(metric, [])
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], color=colour, lw=1.2, marker=".", ms=3)
        for alert in alerts:
            ax.axvline(alert.ts, color=ALERT_COLOURS.get(alert.kind, "#555"), lw=1, alpha=0.7)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.2)
    axes[-1, 0].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d\n%H:%M"))
    if title:
        axes[0, 0].set_title(title, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()
