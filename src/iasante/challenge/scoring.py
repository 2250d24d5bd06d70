"""Score a validated submission: pick each metric's input column, compute, return plain floats."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from iasante.challenge.io import Predictions, TruthTable, infer_task, read_submission, read_table, read_truth
from iasante.challenge.metrics import Metric, get_metric
from iasante.core.errors import InputDataError

BINARY_THRESHOLD = 0.5  # a binary score >= 0.5 counts as a positive prediction for class metrics


def check_metrics(names: list[str], task: str) -> list[Metric]:
    """Resolve metric names and refuse those that do not apply to ``task`` (naming the valid ones)."""
    if not names:
        raise InputDataError("metric: give at least one --metric")
    metrics = [get_metric(name) for name in names]
    for metric in metrics:
        if task not in metric.tasks:
            raise InputDataError(
                f"metric {metric.name!r} does not apply to a {task} task (it needs {' or '.join(metric.tasks)})"
            )
    return metrics


def metric_input(metric: Metric, truth: TruthTable, predictions: Predictions) -> np.ndarray:
    """The submission column a metric reads, shape (n,): scores, class codes or real values."""
    score, prediction = predictions.score, predictions.prediction
    if metric.needs == "score":
        if score is not None:
            return score
        if prediction is not None and truth.task == "binary":
            return prediction.astype(np.float64)
    elif metric.needs == "label":
        if prediction is not None:
            return prediction
        if score is not None and truth.task == "binary":
            return (score >= BINARY_THRESHOLD).astype(np.int64)
    else:
        chosen = prediction if prediction is not None else score
        if chosen is not None:
            return chosen.astype(np.float64)
    raise InputDataError(
        f"metric {metric.name!r}: the submission lacks the column it needs "
        f"({'score' if metric.needs == 'score' else 'prediction'})"
    )


def score_arrays(truth: TruthTable, predictions: Predictions, metrics: list[Metric]) -> dict[str, float]:
    """``{metric name: value}`` (``nan`` where the metric is undefined on this truth)."""
    return {m.name: float(m.fn(truth.y, metric_input(m, truth, predictions))) for m in metrics}


def score_files(
    truth_path: Path, submission_path: Path, metric_names: list[str], task: str | None = None
) -> dict[str, float | None]:
    """What ``iasante challenge score`` does: read, validate, score; ``None`` stands for undefined (nan).

    Args:
        task: the task type; inferred from the truth labels and metrics when ``None`` (0/1 labels -> binary,
            regression metrics -> regression, other labels -> multiclass).
    """
    metrics = [get_metric(name) for name in metric_names]
    if task is None:
        labels = read_table(truth_path, truth_path.name, ("label",))["label"]
        task = infer_task(labels, [m.tasks for m in metrics])
    metrics = check_metrics(metric_names, task)
    truth = read_truth(truth_path, truth_path.name, task)
    predictions = read_submission(submission_path, submission_path.name, truth)
    values = score_arrays(truth, predictions, metrics)
    return {name: (None if math.isnan(value) else value) for name, value in values.items()}
