"""Read and validate truth and submission CSV files; every refusal names the file and says exactly why.

Truth files have columns ``id,label``; submissions ``id,score`` and/or ``id,prediction``. A submission must
hold every truth id exactly once, no other id, and values in range for the task:

* binary: truth labels 0/1; ``score`` a probability in [0, 1] (thresholded at 0.5 where a metric needs a
  class), ``prediction`` 0 or 1;
* multiclass: truth labels are class names; ``prediction`` one of the challenge's classes;
* regression / ranking: finite real numbers in ``label`` and in ``score``/``prediction``.

All problems of a file are gathered and raised together in one :class:`InputDataError`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from iasante.core.errors import InputDataError, look_up_option

TASKS = ("binary", "multiclass", "regression", "ranking")
_SHOW = 3  # offending values quoted per problem


@dataclass(frozen=True)
class TruthTable:
    """Hidden ground truth, encoded.

    Attributes:
        task: one of :data:`TASKS`.
        ids: object array of shape (n,), unique non-empty strings in file order.
        y: shape (n,): int64 0/1 (binary), int64 index into ``classes`` (multiclass), float64 (regression).
        classes: class names for multiclass (sorted), ``("0", "1")`` for binary, ``()`` otherwise.
    """

    task: str
    ids: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]


@dataclass(frozen=True)
class Predictions:
    """A validated submission aligned to the truth order.

    Attributes:
        score: float64 of shape (n,) or ``None``.
        prediction: shape (n,), coded like :attr:`TruthTable.y`, or ``None``.
    """

    score: np.ndarray | None
    prediction: np.ndarray | None


def _read_bytes(source: Path | bytes, name: str) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except FileNotFoundError as exc:
        raise InputDataError(f"{name}: file not found") from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise InputDataError(f"{name}: cannot read ({exc.strerror})") from exc


def read_table(source: Path | bytes, name: str, value_columns: tuple[str, ...]) -> pd.DataFrame:
    """Parse a CSV as strings and check its header: ``id`` plus at least one of ``value_columns``.

    Returns:
        DataFrame of str with stripped, lower-case column names and stripped cells; ids unique, non-empty.
    """
    data = _read_bytes(source, name)
    if not data.strip():
        raise InputDataError(f"{name}: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputDataError(f"{name}: not a UTF-8 CSV text file (byte {exc.start})") from exc
    if "\x00" in text:
        raise InputDataError(f"{name}: not a CSV text file (contains NUL bytes)")
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputDataError(f"{name}: not a valid CSV file ({str(exc).strip().splitlines()[0]})") from exc
    table.columns = [str(c).strip().lower() for c in table.columns]
    wanted = [c for c in value_columns if c in table.columns]
    if "id" not in table.columns or not wanted:
        need = " or ".join(repr(c) for c in value_columns)
        found = ", ".join(map(repr, table.columns))
        raise InputDataError(f"{name}: needs columns 'id' and {need}; found {found}")
    if table.empty:
        raise InputDataError(f"{name}: has a header but no rows")
    table = table[["id", *wanted]].apply(lambda column: column.str.strip())
    problems = []
    blank = np.flatnonzero(table["id"].to_numpy() == "")
    if blank.size:
        problems.append(f"{blank.size} empty id(s) (line {', '.join(str(i + 2) for i in blank[:_SHOW])})")
    duplicated = table["id"][table["id"].duplicated(keep=False) & (table["id"] != "")]
    if not duplicated.empty:
        firsts = list(dict.fromkeys(duplicated))[:_SHOW]
        problems.append(f"{duplicated.nunique()} duplicated id(s), e.g. {', '.join(map(repr, firsts))}")
    if problems:
        raise InputDataError(f"{name}: " + "; ".join(problems))
    return table


def _numbers(column: pd.Series, name: str, what: str, problems: list[str]) -> np.ndarray:
    """Float64 values of ``column``; non-numeric or non-finite cells are reported in ``problems``."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        shown = ", ".join(f"line {i + 2}: {column.iloc[i]!r}" for i in bad[:_SHOW])
        problems.append(f"{bad.size} {what} value(s) are not finite numbers ({shown})")
    return np.asarray(values, dtype=np.float64)


def infer_task(labels: pd.Series, metric_tasks: list[tuple[str, ...]]) -> str:
    """Guess the task from truth labels and the metrics asked for (used by ``iasante challenge score``)."""
    if all(any(t in ("regression", "ranking") for t in tasks) for tasks in metric_tasks):
        return "regression"
    if set(labels.unique()) <= {"0", "1", "0.0", "1.0"}:
        return "binary"
    return "multiclass"


def read_truth(source: Path | bytes, name: str, task: str, classes: tuple[str, ...] = ()) -> TruthTable:
    """Read ``id,label`` ground truth for ``task``; ``classes`` (multiclass) defaults to the labels seen."""
    look_up_option(task, TASKS, "task type")
    table = read_table(source, name, ("label",))
    problems: list[str] = []
    if task in ("regression", "ranking"):
        y = _numbers(table["label"], name, "label", problems)
        classes = ()
    elif task == "binary":
        y = _numbers(table["label"], name, "label", problems)
        off = np.flatnonzero(np.isfinite(y) & ~np.isin(y, (0.0, 1.0)))
        if off.size:
            shown = table["label"].iloc[off[0]]
            problems.append(f"binary labels must be 0 or 1 (line {off[0] + 2}: {shown!r})")
        if not problems and np.unique(y).size < 2:
            problems.append("binary truth needs both classes 0 and 1")
        y = np.nan_to_num(y).astype(np.int64)
        classes = ("0", "1")
    else:
        classes = tuple(sorted(set(classes) | set(table["label"]))) if not classes else tuple(classes)
        y = _class_codes(table["label"], classes, name, "label", problems)
    if problems:
        raise InputDataError(f"{name}: " + "; ".join(problems))
    return TruthTable(task, table["id"].to_numpy(dtype=object), y, classes)


def _class_codes(column: pd.Series, classes: tuple[str, ...], name: str, what: str, problems: list[str]) -> np.ndarray:
    codes = pd.Categorical(column, categories=list(classes)).codes.astype(np.int64)
    bad = np.flatnonzero(codes < 0)
    if bad.size:
        shown = ", ".join(f"line {i + 2}: {column.iloc[i]!r}" for i in bad[:_SHOW])
        problems.append(
            f"{bad.size} {what} value(s) are not valid classes ({shown}); valid: "
            f"{', '.join(classes[:30])}{' ...' if len(classes) > 30 else ''}"
        )
    return np.asarray(codes, dtype=np.int64)


def read_submission(source: Path | bytes, name: str, truth: TruthTable) -> Predictions:
    """Validate a submission against the truth ids and task; returns values aligned to ``truth.ids``."""
    table = read_table(source, name, ("score", "prediction"))
    problems: list[str] = []
    index = pd.Index(table["id"])
    missing = pd.Index(truth.ids).difference(index, sort=False)
    extra = index.difference(pd.Index(truth.ids), sort=False)
    if len(missing):
        problems.append(
            f"{len(missing)} id(s) of the test set are missing, e.g. {', '.join(map(repr, missing[:_SHOW]))}"
        )
    if len(extra):
        problems.append(f"{len(extra)} id(s) are not in the test set, e.g. {', '.join(map(repr, extra[:_SHOW]))}")
    score = prediction = None
    if truth.task == "multiclass" and "prediction" not in table.columns:
        problems.append("a multiclass submission needs a 'prediction' column (class name), not 'score'")
    elif "score" in table.columns and truth.task != "multiclass":
        score = _numbers(table["score"], name, "score", problems)
        if truth.task == "binary":
            off = np.flatnonzero((score < 0) | (score > 1))
            if off.size:
                problems.append(f"{off.size} score(s) outside [0, 1] (line {off[0] + 2}: {score[off[0]]!r})")
    if "prediction" in table.columns:
        if truth.task == "multiclass":
            prediction = _class_codes(table["prediction"], truth.classes, name, "prediction", problems)
        else:
            prediction = _numbers(table["prediction"], name, "prediction", problems)
            if truth.task == "binary":
                off = np.flatnonzero(np.isfinite(prediction) & ~np.isin(prediction, (0.0, 1.0)))
                if off.size:
                    problems.append(
                        f"binary predictions must be 0 or 1 (line {off[0] + 2}: {table['prediction'].iloc[off[0]]!r})"
                    )
                prediction = np.nan_to_num(prediction).astype(np.int64)
    if problems:
        raise InputDataError(f"{name}: " + "; ".join(problems))
    order = index.get_indexer(truth.ids)  # values were checked in file order, so messages give file lines
    return Predictions(None if score is None else score[order], None if prediction is None else prediction[order])
