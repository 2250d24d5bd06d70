"""Forest plot of a leaderboard: each row's metric with its 95% bootstrap CI, baselines highlighted."""

from __future__ import annotations

import io

from iasante.challenge.schemas import BoardPublic


def board_svg(board: BoardPublic) -> bytes:
    """SVG bytes; rows top to bottom in rank order, x = metric value (units of the metric)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = [r for r in board.rows if r.value is not None][:40]
    height = 1.2 + 0.35 * max(len(rows), 1)
    figure, axes = plt.subplots(figsize=(7.5, height))
    try:
        for position, row in enumerate(rows):
            value = float(row.value or 0.0)  # rows without a value were filtered out above
            low = row.ci_low if row.ci_low is not None else value
            high = row.ci_high if row.ci_high is not None else value
            axes.errorbar(
                value,
                position,
                xerr=[[value - low], [high - value]],
                capsize=3,
                fmt="s" if row.is_baseline else "o",
                color="#0b5cad" if row.is_baseline else "#1b2430",
            )
        axes.set_yticks(range(len(rows)), [f"{r.rank}. {r.name[:40]}" for r in rows], fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel(f"{board.title} (95% bootstrap CI)")
        axes.grid(axis="x", alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="svg")
        return buffer.getvalue()
    finally:
        plt.close(figure)
