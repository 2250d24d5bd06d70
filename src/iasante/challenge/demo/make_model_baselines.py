"""Build-time tool: the demo challenges' second baseline row, "IA Santé model (<system> vX)".

Run from the repository root, in this order (seeded, one CPU thread)::

    .venv/bin/python src/iasante/challenge/demo/make_model_baselines.py heldout
    .venv/bin/iasante challenge train
    .venv/bin/python src/iasante/challenge/demo/make_model_baselines.py score

Why three steps: the CT, dermoscopy and karyotype models were trained on the same public data sets as the
demo challenges. ``heldout`` asks each system, in a child process, which groups (UCSD patients, HAM10000
lesions, BioImLab cells) its own seed-0 split kept out of training and validation, and writes them to
``<slug>/model_heldout.csv``; ``iasante challenge train`` then draws each challenge's hidden test set only
from those groups (:func:`iasante.challenge.train.split_groups`), so the model row is scored on images the
model never saw. ``score`` runs the systems' own CLIs (``iasante ct predict``, ``iasante derm predict``,
``iasante karyotype classify``) on the hidden test images, checks again that every scored image belongs to a
held-out group, and writes ``<slug>/baseline_<system>.csv`` (binary: id,score,prediction, the prediction
being the system's own 0/1 call at its validation-chosen threshold; multiclass: id,prediction) and
``<slug>/model_baseline.json`` (row label, provenance and metrics with 95% bootstrap CIs), which
:func:`iasante.challenge.service.load_demo` submits as a baseline row.

This file is not imported by the package: the challenge system never imports another system, it talks to
them only through processes here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from iasante.challenge.metrics import get_metric
from iasante.challenge.train import DEMO_DIR, DEMOS, bootstrap_ci
from iasante.core.config import PACKAGE_DIR, get_settings

HELDOUT_FILE = "model_heldout.csv"
SUMMARY_FILE = "model_baseline.json"


@dataclass(frozen=True)
class ModelSource:
    """How one challenge asks a system for its held-out groups and its predictions."""

    slug: str
    system: str
    command: tuple[str, ...]  # the CLI sub-command after ``iasante``
    column: str  # the CLI's output column submitted as the challenge value
    positive: str  # binary: the CLI's ``prediction`` meaning class 1 (its own operating point); else ""
    heldout_code: str  # Python run in a child process; prints one held-out group per line


SOURCES = (
    ModelSource(
        "covid-ct",
        "ct",
        ("ct", "predict"),
        "p_covid",
        "covid",
        "from iasante.ct.data import build_catalogue, split_test_groups\n"
        "t = build_catalogue().table; m = split_test_groups(t, seed=0)\n"
        "print('\\n'.join(sorted(g.split(':', 1)[1] for g in set(t.group[m]) if g.startswith('ucsd:'))))",
    ),
    ModelSource(
        "melanoma",
        "derm",
        ("derm", "predict"),
        "p_melanoma",
        "melanoma",
        "from iasante.derm.data import load_ham_labels, split_by_lesion\n"
        "f = load_ham_labels(); s = split_by_lesion(f, 0)\n"
        "print('\\n'.join(sorted(set(f.lesion_id[s == 'test']))))",
    ),
    ModelSource(
        "karyotype",
        "karyotype",
        ("karyotype", "classify"),
        "chromosome",
        "",
        "import json\nfrom iasante.core.config import PACKAGE_DIR\n"
        "split = json.loads((PACKAGE_DIR / 'karyotype/weights/single_metrics.json').read_text())['split']\n"
        "print('\\n'.join(str(c) for c in sorted(split['test'])))",
    ),
)


def _child_env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def model_version(system: str) -> str:
    """The ``version`` of the system's committed model card front matter."""
    text = (PACKAGE_DIR / system / "weights" / "MODEL_CARD.md").read_text()
    return str(yaml.safe_load(text.split("---")[1])["version"])


def write_heldout(source: ModelSource) -> int:
    """Write ``<slug>/model_heldout.csv`` (column ``group``); returns the number of groups."""
    out = subprocess.run(
        [sys.executable, "-c", source.heldout_code], capture_output=True, text=True, check=True, env=_child_env()
    ).stdout
    groups = sorted({line.strip() for line in out.splitlines() if line.strip()})
    pd.DataFrame({"group": groups}).to_csv(DEMO_DIR / source.slug / HELDOUT_FILE, index=False)
    return len(groups)


def _check_unseen(source: ModelSource, files: pd.Series, data_dir: Path) -> None:
    """Refuse to score when any test image's group is not one of the model's held-out groups."""
    demo = next(d for d in DEMOS if d.slug == source.slug)
    table = pd.read_csv(data_dir / demo.folder / "labels.csv")
    group_of = dict(zip(demo.folder + "/" + table["file"], table[demo.group].astype(str).str.strip(), strict=True))
    heldout = set(pd.read_csv(DEMO_DIR / source.slug / HELDOUT_FILE, dtype=str)["group"].str.strip())
    leaked = sorted({group_of[f] for f in files} - heldout)
    if leaked:
        raise SystemExit(
            f"{source.slug}: {len(leaked)} test group(s) seen by the model, e.g. {leaked[:3]}; "
            "rerun `heldout` then `iasante challenge train`"
        )


def score(source: ModelSource, seed: int = 0) -> dict[str, object]:
    """Run the system's CLI on the hidden test images; write the baseline CSV and its summary JSON."""
    data_dir = get_settings().data_dir
    if data_dir is None:
        raise SystemExit("no shared data folder: set IASANTE_DATA_DIR")
    folder = DEMO_DIR / source.slug
    test = pd.read_csv(folder / "test_ids.csv", dtype=str)
    _check_unseen(source, test["file"], data_dir)
    paths = [str(data_dir / f) for f in test["file"]]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "preds.csv"
        iasante = Path(sys.executable).parent / "iasante"
        subprocess.run([str(iasante), *source.command, *paths, "--out", str(out)], check=True, env=_child_env())
        preds = pd.read_csv(out, dtype={source.column: str, "prediction": str})
    value = dict(zip(preds["input"], preds[source.column], strict=True))
    call = dict(zip(preds["input"], preds["prediction"], strict=True)) if source.positive else {}
    spec = yaml.safe_load((folder / "challenge.yaml").read_text())
    truth = pd.read_csv(folder / "truth.csv", dtype=str).set_index("id").loc[test["id"], "label"]
    if spec["task"] == "binary":
        kind, values = "score", np.array([float(value[p]) for p in paths])
        labels = np.array([int(call[p] == source.positive) for p in paths], dtype=np.int64)
        y, scored = truth.astype(int).to_numpy(), values
        frame = pd.DataFrame({"id": test["id"], "score": np.round(values, 6), "prediction": labels})
    else:
        kind, values = "prediction", np.array([value[p] for p in paths], dtype=str)
        classes = spec["classes"]
        y, scored = np.searchsorted(classes, truth.to_numpy()), np.searchsorted(classes, values)
        frame = pd.DataFrame({"id": test["id"], "prediction": values})
    name = f"baseline_{source.system}.csv"
    frame.to_csv(folder / name, index=False)
    metrics = {
        m: bootstrap_ci(m, y, labels if kind == "score" and get_metric(m).needs == "label" else scored, seed)
        for m in (spec["primary_metric"], *spec["secondary_metrics"])
    }
    version = model_version(source.system)
    summary: dict[str, object] = {
        "label": f"IA Santé model ({source.system} v{version})",
        "file": name,
        "system": source.system,
        "version": version,
        "command": f"iasante {' '.join(source.command)} PATH... --out preds.csv (column {source.column})",
        "label_metrics_use": "the model's own call (its validation-chosen threshold)"
        if kind == "score"
        else "the predicted class",
        "n_scored": len(frame),
        "n_heldout_groups": len(pd.read_csv(folder / HELDOUT_FILE)),
        "scored_ids": "every hidden test id: the test set is drawn only from the model's held-out groups",
        "metrics": metrics,
    }
    (folder / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return summary


def main(argv: list[str]) -> None:
    step = argv[1] if len(argv) > 1 else ""
    wanted = set(argv[2:]) or {s.slug for s in SOURCES}
    for source in (s for s in SOURCES if s.slug in wanted):
        if step == "heldout":
            print(f"{source.slug}: {write_heldout(source)} held-out group(s) of {source.system}")
        elif step == "score":
            print(json.dumps({source.slug: score(source)}, indent=2, ensure_ascii=False))
        else:
            raise SystemExit("usage: make_model_baselines.py heldout|score [slug...]")


if __name__ == "__main__":
    main(sys.argv)
