"""Annotate -> ACMG points -> AI rank score for a table of variants (shared by the CLI, jobs and web)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from iasante.lag.acmg import AcmgResult, classify
from iasante.lag.annotate import Annotation, annotate
from iasante.lag.io import check_genome, read_variants
from iasante.lag.ranker import FEATURES, CnvRanker, feature_matrix
from iasante.lag.resources import load_resources

TSV_COLUMNS = ["chrom", "start", "end", "svtype", "acmg_points", "acmg_class", "rank_score", "genes"]
Progress = Callable[[float, str], None]


@dataclass
class ClassifiedVariant:
    """One input variant (raw input coordinates kept) with its annotation, ACMG result and AI score."""

    in_chrom: str
    in_start: str
    in_end: str
    chrom: str
    start: int  # 0-based, on the case's genome build
    end: int  # exclusive
    svtype: str
    var_id: str
    annotation: Annotation
    acmg: AcmgResult
    rank_score: float  # calibrated P(pathogenic/likely pathogenic), 0-1
    contributions: dict[str, float] = field(default_factory=dict)  # feature -> log-odds contribution

    def tsv_row(self) -> list[object]:
        """Values of :data:`TSV_COLUMNS` (input coordinates echoed as given)."""
        return [
            self.in_chrom,
            self.in_start,
            self.in_end,
            self.svtype,
            f"{self.acmg.points:.2f}",
            self.acmg.acmg_class,
            f"{self.rank_score:.4f}",
            ",".join(dict.fromkeys(self.annotation.genes)),
        ]


@lru_cache(maxsize=1)
def get_ranker() -> CnvRanker:
    """The committed ranker (loaded once per process)."""
    return CnvRanker.load()


def classify_table(
    variants: pd.DataFrame, genome: str, progress: Progress | None = None, explain_top: int = 0
) -> list[ClassifiedVariant]:
    """Annotate, score and rank a :func:`iasante.lag.io.read_variants` table (input order kept).

    Args:
        explain_top: compute SHAP contributions for this many highest-scoring variants (TreeSHAP costs
            ~4 ms per variant, the rest of the pipeline ~1 ms; the CLI table does not need them).
    """
    genome = check_genome(genome)
    ranker = get_ranker()
    res = load_resources()
    anns = annotate(res, variants, genome, progress=(lambda f, m: progress(0.9 * f, m)) if progress else None)
    results = [classify(a) for a in anns]
    x = feature_matrix(anns, results)
    scores = ranker.predict_proba(x) if len(x) else np.empty(0)
    explained = np.argsort(-scores, kind="stable")[:explain_top]
    contrib = dict(zip(explained.tolist(), ranker.contributions(x[explained]), strict=True)) if len(explained) else {}
    out = []
    for i, (row, ann, acmg) in enumerate(zip(variants.to_dict("records"), anns, results, strict=True)):
        c = contrib.get(i)
        top = (
            {}
            if c is None
            else {FEATURES[k]: round(float(c[k]), 3) for k in np.argsort(-np.abs(c))[:6] if abs(c[k]) >= 0.01}
        )
        out.append(
            ClassifiedVariant(
                str(row["in_chrom"]),
                str(row["in_start"]),
                str(row["in_end"]),
                str(row["chrom"]),
                int(row["start"]),
                int(row["end"]),
                str(row["svtype"]),
                str(row["var_id"]),
                ann,
                acmg,
                float(scores[i]),
                top,
            )
        )
    if progress:
        progress(1.0, "classified")
    return out


def classify_file(
    path: Path, genome: str, progress: Progress | None = None, explain_top: int = 0
) -> tuple[list[ClassifiedVariant], list[str]]:
    """Read then classify a VCF/BED; returns the results and one error line per rejected record."""
    genome = check_genome(genome)
    read = read_variants(path)
    return classify_table(read.variants, genome, progress, explain_top), read.errors


def write_tsv(results: list[ClassifiedVariant], out: Path) -> None:
    """The CLI contract's table: tab-separated, header :data:`TSV_COLUMNS`, one row per variant in order."""
    frame = pd.DataFrame([r.tsv_row() for r in results], columns=TSV_COLUMNS)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, sep="\t", index=False)
