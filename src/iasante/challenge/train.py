"""Build the three demo challenges and fit their baselines, seeded, from ``/work/shared/data``.

For each demo the labelled set is split by its natural group (CT: patient, dermoscopy: lesion, karyotype:
metaphase cell) into a participant training part (labels public) and a small hidden test part. Written:

* ``demo/<slug>/challenge.yaml`` (spec), ``train.csv`` (id,file,label), ``test_ids.csv`` (id,file),
  ``truth.csv`` (id,label: the hidden truth, loaded encrypted into the database), ``baseline.csv``;
* ``weights/<slug>.npz`` (the fitted :class:`LinearBaseline`) and ``weights/metrics.json`` (baseline metrics
  on the hidden test part with 95% stratified bootstrap CIs, 1,000 resamples).

``file`` paths are relative to the data folder. Ids are opaque (a hash of the file path).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from iasante.challenge.baseline import LinearBaseline, extract
from iasante.challenge.metrics import get_metric
from iasante.challenge.ranking import bootstrap_indices
from iasante.core.config import PACKAGE_DIR, get_settings
from iasante.core.errors import ConfigError

DEMO_DIR = PACKAGE_DIR / "challenge" / "demo"
WEIGHTS_DIR = PACKAGE_DIR / "challenge" / "weights"
N_BOOTSTRAP = 1000


@dataclass(frozen=True)
class DemoDefinition:
    """How one demo challenge is cut from a data set."""

    slug: str
    folder: str
    feature: str
    task: str
    primary: str
    secondary: tuple[str, ...]
    group: str
    n_test_groups: int
    n_train_groups: int | None
    label: Callable[[pd.DataFrame], pd.Series]
    title: str
    description: str


DEMOS = (
    DemoDefinition(
        "covid-ct",
        "ct/covid_ct",
        "gray_histogram",
        "binary",
        "auc",
        ("pauc", "balanced_accuracy", "sens_at_spec90"),
        "patient_id",
        90,
        None,
        lambda t: (t["label"] == "COVID").astype(int).astype(str),
        "COVID-19 on chest CT slices",
        "Score each axial CT slice for COVID-19 (1) versus non-COVID (0, normal or other lung disease). "
        "Data: UCSD COVID-CT (Yang et al. 2020, arXiv:2003.13865), research use; split by patient.",
    ),
    DemoDefinition(
        "melanoma",
        "dermoscopy/ham10000",
        "color_statistics",
        "binary",
        "pauc",
        ("auc", "sens_at_spec90", "balanced_accuracy"),
        "lesion_id",
        450,
        1800,
        lambda t: (t["dx"] == "mel").astype(int).astype(str),
        "Melanoma in dermoscopic images (ISIC 2024 metric)",
        "Score each dermoscopic image for melanoma (1) versus any other diagnosis (0). Primary metric: "
        "partial AUC above 80% sensitivity as in ISIC 2024. Data: HAM10000 (Tschandl et al. 2018), "
        "CC BY-NC 4.0; split by lesion.",
    ),
    DemoDefinition(
        "karyotype",
        "karyotype/bioimlab",
        "chromosome_shape",
        "multiclass",
        "balanced_accuracy",
        ("accuracy", "kappa", "f1"),
        "cell",
        15,
        None,
        lambda t: t["chromosome"].astype(str),
        "Chromosome classification (24 classes)",
        "Name each Q-banded chromosome image (1-22, X, Y). Data: BioImLab (Poletti, Grisan, Ruggeri 2008), "
        "research use with citation; split by metaphase cell.",
    ),
)


def opaque_id(prefix: str, file: str) -> str:
    return f"{prefix}-{hashlib.sha256(file.encode()).hexdigest()[:10]}"


def model_heldout_groups(slug: str) -> set[str] | None:
    """Groups that the project's own model for this data kept out of its training and validation.

    Read from ``demo/<slug>/model_heldout.csv`` (written by ``demo/make_model_baselines.py heldout``);
    ``None`` when absent. The hidden test set is drawn only from them so that the model baseline row is fair.
    """
    path = DEMO_DIR / slug / "model_heldout.csv"
    return set(pd.read_csv(path, dtype=str)["group"].str.strip()) if path.exists() else None


def split_groups(table: pd.DataFrame, demo: DemoDefinition, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) with whole groups on one side; ``n_train_groups`` caps the training part's size.

    Test groups come from :func:`model_heldout_groups` when that list exists (at most ``n_test_groups``).
    """
    key = table[demo.group].astype(str).str.strip()
    order = np.random.default_rng(seed).permutation(np.array(sorted(key.unique())))
    heldout = model_heldout_groups(demo.slug)
    eligible = order if heldout is None else order[np.isin(order, sorted(heldout))]
    test_groups = set(eligible[: demo.n_test_groups])
    rest = order[~np.isin(order, sorted(test_groups))]
    train_groups = set(rest if demo.n_train_groups is None else rest[: demo.n_train_groups])
    return table[key.isin(train_groups)].copy(), table[key.isin(test_groups)].copy()


def bootstrap_ci(metric_name: str, y: np.ndarray, values: np.ndarray, seed: int) -> dict[str, object]:
    """Point value and 95% percentile CI over stratified bootstrap resamples of the test rows."""
    metric = get_metric(metric_name)
    boots = [metric.fn(y[i], values[i]) for i in bootstrap_indices(y, N_BOOTSTRAP, seed, stratified=True)]
    low, high = np.nanpercentile(boots, [2.5, 97.5])
    return {
        "value": round(float(metric.fn(y, values)), 4),
        "ci95": [round(float(low), 4), round(float(high), 4)],
    }


def build_demo(
    demo: DemoDefinition, data_dir: Path, seed: int, on_item: Callable[[], None] | None = None
) -> dict[str, object]:
    """Cut, fit and write one demo challenge; returns its measured baseline metrics."""
    table = pd.read_csv(data_dir / demo.folder / "labels.csv")
    table["label"] = demo.label(table)
    table["file"] = demo.folder + "/" + table["file"]
    table["id"] = [opaque_id(demo.slug.split("-")[0][:4], f) for f in table["file"]]
    train, test = split_groups(table, demo, seed)
    model = LinearBaseline(demo.feature, C=1.0, random_state=seed)
    model.fit(extract(demo.feature, [data_dir / f for f in train["file"]], on_item), train["label"].to_numpy())
    features = extract(demo.feature, [data_dir / f for f in test["file"]], on_item)
    folder = DEMO_DIR / demo.slug
    folder.mkdir(parents=True, exist_ok=True)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    model.save(WEIGHTS_DIR / f"{demo.slug}.npz")
    if demo.task == "binary":
        column, values = "score", model.predict_proba(features)[:, 1]
        y, scored = test["label"].astype(int).to_numpy(), values
        predictions = pd.DataFrame({"id": test["id"], "score": np.round(values, 6)})
    else:
        column, values = "prediction", model.predict(features)
        classes = sorted(table["label"].unique())
        y = np.searchsorted(classes, test["label"].to_numpy())
        scored = np.searchsorted(classes, values)
        predictions = pd.DataFrame({"id": test["id"], "prediction": values})
    predictions.to_csv(folder / "baseline.csv", index=False)
    train[["id", "file", "label"]].to_csv(folder / "train.csv", index=False)
    test[["id", "file"]].to_csv(folder / "test_ids.csv", index=False)
    test[["id", "label"]].to_csv(folder / "truth.csv", index=False)
    spec = {
        "slug": demo.slug,
        "title": demo.title,
        "description": demo.description,
        "task": demo.task,
        "primary_metric": demo.primary,
        "secondary_metrics": list(demo.secondary),
        "classes": sorted(table["label"].unique()) if demo.task == "multiclass" else [],
        "public_fraction": 0.5,
        "participant_data": f"train.csv: id,file,label ({len(train)} rows); test_ids.csv: id,file "
        f"({len(test)} rows); files are under the data folder {demo.folder}. "
        f"Submit id,{column}.",
        "phases": [
            {"name": "development", "subset": "public", "days": 60, "daily_quota": 10},
            {"name": "final", "subset": "private", "days": 7, "daily_quota": 2, "rule": "last"},
        ],
    }
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))
    metrics = {
        name: bootstrap_ci(
            name,
            y,
            scored if get_metric(name).needs != "label" or demo.task != "binary" else (scored >= 0.5).astype(np.int64),
            seed,
        )
        for name in (demo.primary, *demo.secondary)
    }
    return {
        "n_train": len(train),
        "n_test": len(test),
        "n_test_groups": int(test[demo.group].astype(str).str.strip().nunique()),
        "group": demo.group,
        "feature": demo.feature,
        "metrics": metrics,
    }


def build_all(seed: int = 0, on_item: Callable[[], None] | None = None) -> dict[str, object]:
    """Build every demo; writes ``weights/metrics.json`` and returns its content."""
    data_dir = get_settings().data_dir
    if data_dir is None or not data_dir.is_dir():
        raise ConfigError("data folder not found: set IASANTE_DATA_DIR to the shared data (../shared/data)")
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # one BLAS thread: shared CPUs, and bitwise-reproducible solver results
        results = {demo.slug: build_demo(demo, data_dir, seed, on_item) for demo in DEMOS}
    summary = {"seed": seed, "n_bootstrap": N_BOOTSTRAP, "challenges": results}
    (WEIGHTS_DIR / "metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def count_images(data_dir: Path, seed: int = 0) -> int:
    """How many images :func:`build_all` reads (for the progress bar)."""
    total = 0
    for demo in DEMOS:
        table = pd.read_csv(data_dir / demo.folder / "labels.csv")
        train, test = split_groups(table, demo, seed)
        total += len(train) + len(test)
    return total
