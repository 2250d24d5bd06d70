"""Annotate SVs/CNVs: genes, exons, ClinGen dosage, genomic disorders, gnomAD-SV, ClinVar, cytobands, ISCN.

Input and output coordinates are 0-based half-open on the build the caller names; each variant is lifted to
the other build (UCSC chain) so that every source is queried in its native build (see
:mod:`iasante.lag.resources`).
Every query goes through :class:`~iasante.lag.intervals.IntervalIndex` (no per-variant scan of a whole table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from iasante.lag.intervals import overlap_bp, reciprocal_overlap
from iasante.lag.resources import Resources, gene_key_of

COMMON_AF = 0.01  # gnomAD-SV allele frequency above which a CNV is "common population variation"
CLINVAR_RO = 0.5  # reciprocal overlap for a ClinVar CNV to count as a similar reported case (or same genes)
ESTABLISHED_GD = ("DECIPHER", "rCNV2 lit")  # curated genomic-disorder lists (2A); other sources are studies
POP_RO = 0.5  # reciprocal overlap for the population-frequency match


@dataclass
class GeneHit:
    """An established dosage-sensitive (ClinGen score 3) gene touched by the variant.

    ``exons_hit`` counts exons (GRCh38, CNVoyant canonical transcript) overlapped;
    ``five_prime``/``three_prime`` say whether the variant covers the transcript start/end; -1 exon counts
    mean the exon structure is unknown.
    """

    gene: str
    full: bool
    five_prime: bool
    three_prime: bool
    exons_hit: int
    n_exons: int
    last_exon_only: bool
    established: bool = True  # ClinGen HI 3; False: another gene where loss of function causes disease
    mechanism: str = "ClinGen HI 3"  # the evidence that loss of function is a disease mechanism
    end_cover: float = 0.0  # share of the gene span (GRCh37) lost when the CNV holds one gene end, else 0


@dataclass
class Annotation:
    """Everything known about one variant; lists hold names for display, numbers feed ACMG and the ranker."""

    svtype: str
    size_bp: int
    genes: list[str] = field(default_factory=list)
    genes_cut: list[str] = field(default_factory=list)  # genes with a breakpoint inside (partly covered)
    n_refseq_genes: int = -1  # NCBI RefSeq protein-coding genes hit (GRCh38); -1 where the liftover failed
    ddg2p: list[str] = field(default_factory=list)
    hi_genes: list[GeneHit] = field(default_factory=list)  # HI 3 genes overlapped; LOF genes cut by the CNV
    ts_genes_full: list[str] = field(default_factory=list)  # ClinGen TS 3 genes fully contained
    hi_predicted: list[str] = field(default_factory=list)  # pLI >= 0.9 or LOEUF < 0.35, and HI top decile
    dosage_regions: list[tuple[str, float]] = field(default_factory=list)  # (name, fraction of region covered)
    gd_loci: list[tuple[str, float]] = field(default_factory=list)  # same-type established genomic disorders
    gd_studies: list[tuple[str, str, float]] = field(default_factory=list)  # (study, locus, fraction covered)
    benign_regions: list[tuple[str, float]] = field(default_factory=list)  # (name, fraction of variant inside)
    benign_same_genes: list[str] = field(default_factory=list)  # benign regions with the variant's gene content
    max_pli: float = 0.0
    min_loeuf: float = 2.0
    max_hi: float = 0.0
    pop_af: float = 0.0  # AF of the best same-type gnomAD-SV match (reciprocal overlap >= POP_RO)
    pop_ro: float = 0.0  # reciprocal overlap of that match
    common_cover: float = 0.0  # largest fraction of the variant inside one common same-type gnomAD-SV
    clinvar_path: int = 0  # similar ClinVar pathogenic/likely pathogenic CNVs (same type; RO >= 50 % or same genes)
    clinvar_benign: int = 0
    clinvar_path_inside: int = 0  # pathogenic same-type ClinVar CNVs lying entirely inside the variant
    clinvar_benign_cover: float = 0.0  # largest fraction of the variant inside one benign same-type ClinVar CNV
    cyto_start: str = ""
    cyto_end: str = ""
    iscn: str = ""


def lift_both(res: Resources, variants: pd.DataFrame, genome: str) -> pd.DataFrame:
    """Add ``chrom37/start37/end37`` and ``chrom38/start38/end38`` (None/-1 where the liftover fails)."""
    out = variants.copy()
    chrom, start, end = (out[c].to_numpy() for c in ("chrom", "start", "end"))
    here, other = ("37", "38") if genome == "GRCh37" else ("38", "37")
    lifter = res.lift_37_to_38 if genome == "GRCh37" else res.lift_38_to_37
    out[f"chrom{here}"], out[f"start{here}"], out[f"end{here}"] = chrom, start, end
    c, s, e = lifter.lift_intervals(chrom, start, end)
    out[f"chrom{other}"], out[f"start{other}"], out[f"end{other}"] = c, s, e
    return out


_BANDS: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}


def band_at(cyto: pd.DataFrame, chrom: str, pos: int) -> str:
    """Cytoband name (e.g. ``q11.21``) holding 0-based ``pos``; '' for an unknown chromosome."""
    table = _BANDS.get(id(cyto))
    if table is None:
        table = {str(c): (sub["end"].to_numpy(), sub["band"].to_numpy()) for c, sub in cyto.groupby("chrom")}
        _BANDS[id(cyto)] = table
    if chrom not in table:
        return ""
    ends, names = table[chrom]
    return str(names[min(int(np.searchsorted(ends, pos, side="right")), len(ends) - 1)])


def iscn(genome: str, chrom: str, start: int, end: int, svtype: str, band1: str, band2: str) -> str:
    """ISCN 2020 nomenclature: ``seq[GRCh37] 22q11.21q11.23(18912232_21465672)x1`` (1-based inclusive).

    Losses are written x1 and gains x3 (heterozygous copy number assumed); other SV types use the
    ``seq[...] inv(1)(p36.1p35)`` style with the bands at the breakpoints.
    """
    bands = band1 if band1 == band2 else f"{band1}{band2}"
    if svtype in ("DEL", "DUP"):
        copies = "x1" if svtype == "DEL" else "x3"
        return f"seq[{genome}] {chrom}{bands}({start + 1}_{end}){copies}"
    word = {"INV": "inv", "INS": "ins", "BND": "t"}.get(svtype, svtype.lower())
    return f"seq[{genome}] {word}({chrom})({bands})"


def _gene_hit(res: Resources, gene: str, full: bool, c38: str | None, s38: int, e38: int, established: bool) -> GeneHit:
    info = res.exons38.get(gene)
    if info is None or c38 is None or info[0] != c38:
        return GeneHit(gene, full, full, full, -1, -1, False, established)
    _, strand, starts, ends = info
    if strand == "-":
        starts, ends = starts[::-1], ends[::-1]
    hit = overlap_bp(s38, e38, starts, ends) > 0
    g_start, g_end = int(min(starts.min(), ends.min())), int(ends.max())
    tx_start, tx_end = (g_start, g_end - 1) if strand == "+" else (g_end - 1, g_start)
    five = full or s38 <= tx_start < e38
    three = full or s38 <= tx_end < e38
    last_only = bool(hit.sum() == 1 and hit[-1] and len(hit) > 1)
    return GeneHit(gene, full, five, three, int(hit.sum()), len(hit), last_only, established)


def _end_cover(s37: int, e37: int, g_start: int, g_end: int) -> float:
    """Share of gene ``[g_start, g_end)`` inside the CNV when the CNV holds one end of it (0 if intragenic)."""
    if s37 > g_start and e37 < g_end:
        return 0.0
    return max(0, min(e37, g_end) - max(s37, g_start)) / max(g_end - g_start, 1)


def annotate_one(
    res: Resources,
    row: dict[str, Any],
    genome: str,
    exclude_clinvar: np.ndarray | None = None,
    leave_self_out: bool = False,
) -> Annotation:
    """Annotate one lifted variant (a row of :func:`lift_both`).

    Args:
        exclude_clinvar: boolean mask over ``res.clinvar37`` rows to ignore (chromosome hold-out evaluation).
        leave_self_out: ignore ClinVar records with the variant's exact coordinates (evaluating on ClinVar).
    """
    svtype = str(row["svtype"])
    ann = Annotation(svtype=svtype, size_bp=int(row["end"] - row["start"]))
    cyto = res.cyto[genome]
    ann.cyto_start = band_at(cyto, row["chrom"], int(row["start"]))
    ann.cyto_end = band_at(cyto, row["chrom"], max(int(row["end"]) - 1, int(row["start"])))
    ann.iscn = iscn(genome, row["chrom"], int(row["start"]), int(row["end"]), svtype, ann.cyto_start, ann.cyto_end)
    c37, s37, e37 = row["chrom37"], int(row["start37"]), int(row["end37"])
    c38, s38, e38 = row["chrom38"], int(row["start38"]), int(row["end38"])
    cnv = svtype in ("DEL", "DUP")  # dosage sources describe copy-number changes only
    if c37 is not None:
        seen = _annotate_genes(res, ann, c37, s37, e37, c38, s38, e38, exclude_clinvar, leave_self_out)
        if cnv:
            _annotate_dosage(res, ann, seen, c37, s37, e37, c38, s38, e38)
            _annotate_clinvar(res, ann, c37, s37, e37, exclude_clinvar, leave_self_out)
    if c38 is not None:
        ann.n_refseq_genes = len(res.refseq38.index.overlapping(c38, s38, e38))
        if cnv:
            _annotate_population(res, ann, c38, s38, e38)
    return ann


def _lof_mechanism(
    res: Resources, row: int, c37: str, s37: int, e37: int, hide: np.ndarray | None, leave_self_out: bool
) -> str:
    """Why loss of function of gene ``row`` (genes37) is a disease mechanism, or '' if nothing says so.

    Sources: ClinGen HI 30 (recessive), DDG2P, or a pathogenic ClinVar CNV lying inside the gene (an
    intragenic deletion or duplication reported pathogenic; the variant itself excluded when ``leave_self_out``).
    """
    g = res.genes37.cols
    if g["hi_score"][row] == 30:
        return "ClinGen HI 30 (recessive)"
    if g["ddg2p"][row]:
        return "DDG2P"
    cv = res.clinvar37.cols
    rows = res.clinvar37.index.overlapping(c37, int(g["start"][row]), int(g["end"][row]))
    if hide is not None:
        rows = rows[~hide[rows]]
    starts, ends = cv["start"][rows], cv["end"][rows]
    keep = cv["label"][rows] == 1
    keep &= (starts >= g["start"][row]) & (ends <= g["end"][row])
    if leave_self_out:
        keep &= ~((starts == s37) & (ends == e37))
    return f"{int(keep.sum())} intragenic pathogenic ClinVar CNV(s)" if keep.any() else ""


def _annotate_genes(
    res: Resources,
    ann: Annotation,
    c37: str,
    s37: int,
    e37: int,
    c38: str | None,
    s38: int,
    e38: int,
    hide: np.ndarray | None,
    leave_self_out: bool,
) -> set[str]:
    """Genes, constraint, DDG2P; LOF-mechanism genes cut by the CNV (returns their names)."""
    svtype = ann.svtype
    g = res.genes37.cols
    rows = res.genes37.index.overlapping(c37, s37, e37)
    seen: set[str] = set()
    if len(rows):
        names = g["gene"][rows]
        ann.genes = names.tolist()
        partial = overlap_bp(s37, e37, g["start"][rows], g["end"][rows]) < g["end"][rows] - g["start"][rows]
        ann.genes_cut = names[partial].tolist()
        ann.ddg2p = names[g["ddg2p"][rows]].tolist()
        pli, loeuf, hi = g["pLI"][rows], g["LOEUF"][rows], g["HI"][rows]
        ann.max_pli = float(np.nan_to_num(np.nanmax(pli), nan=0.0)) if np.isfinite(pli).any() else 0.0
        ann.min_loeuf = float(np.nanmin(loeuf)) if np.isfinite(loeuf).any() else 2.0
        ann.max_hi = float(np.nanmax(hi)) if np.isfinite(hi).any() else 0.0
        ann.hi_predicted = names[((pli >= 0.9) | (loeuf < 0.35)) & (hi >= res.hi_threshold)].tolist()
        if svtype in ("DEL", "DUP"):  # genes cut by a CNV where LOF causes disease (PVS1: 2C-2E, 2I)
            for row in rows[partial & (g["hi_score"][rows] != 3)]:
                why = _lof_mechanism(res, int(row), c37, s37, e37, hide, leave_self_out)
                if why:
                    hit = _gene_hit(res, str(g["gene"][row]), False, c38, s38, e38, established=False)
                    hit.mechanism = why
                    hit.end_cover = _end_cover(s37, e37, int(g["start"][row]), int(g["end"][row]))
                    ann.hi_genes.append(hit)
                    seen.add(hit.gene)
        if svtype == "DEL":  # whole genes with a curated LOF mechanism (PVS1: full gene deletion)
            hi_score = g["hi_score"][rows]
            for row in rows[~partial & (hi_score != 3) & ((hi_score == 30) | g["ddg2p"][rows])]:
                hit = _gene_hit(res, str(g["gene"][row]), True, c38, s38, e38, established=False)
                hit.mechanism = "ClinGen HI 30 (recessive)" if g["hi_score"][row] == 30 else "DDG2P"
                ann.hi_genes.append(hit)
                seen.add(hit.gene)
    return seen


def _genes_in(res: Resources, chrom: str, start: int, end: int) -> str:
    """Gene key (:func:`~iasante.lag.resources.gene_key_of`) of a GRCh37 interval."""
    return gene_key_of(res.genes37.cols["gene"][res.genes37.index.overlapping(chrom, start, end)])


def _annotate_dosage(
    res: Resources,
    ann: Annotation,
    seen: set[str],
    c37: str,
    s37: int,
    e37: int,
    c38: str | None,
    s38: int,
    e38: int,
) -> None:
    """ClinGen genes/regions (HI or TS by type), established benign regions, genomic-disorder loci."""
    svtype = ann.svtype
    cg = res.clingen37.cols
    rows = res.clingen37.index.overlapping(c37, s37, e37)
    if len(rows):
        ov = overlap_bp(s37, e37, cg["start"][rows], cg["end"][rows])
        feat_cover = ov / np.maximum(cg["end"][rows] - cg["start"][rows], 1)
        var_cover = ov / max(e37 - s37, 1)
        score = cg["hi_score" if svtype == "DEL" else "ts_score"][rows]
        for r, fc, vc, sc in zip(rows, feat_cover, var_cover, score, strict=True):
            kind, name = cg["kind"][r], str(cg["name"][r])
            if kind == "G" and cg["hi_score"][r] == 3 and name not in seen:
                hit = _gene_hit(res, name, fc >= 0.999, c38, s38, e38, established=True)
                hit.end_cover = _end_cover(s37, e37, int(cg["start"][r]), int(cg["end"][r]))
                ann.hi_genes.append(hit)
                seen.add(name)
            if sc == 3 and kind == "G" and svtype == "DUP" and fc >= 0.999:
                ann.ts_genes_full.append(name)
            elif sc == 3 and kind == "R":
                ann.dosage_regions.append((name, float(fc)))
            elif sc == 40:
                ann.benign_regions.append((name, float(vc)))
                if ann.genes and _genes_in(res, c37, int(cg["start"][r]), int(cg["end"][r])) == gene_key_of(ann.genes):
                    ann.benign_same_genes.append(name)
    gd = res.gd37.cols
    rows = res.gd37.index.overlapping(c37, s37, e37)
    rows = rows[gd["svtype"][rows] == svtype]
    if len(rows):
        cover = overlap_bp(s37, e37, gd["start"][rows], gd["end"][rows]) / np.maximum(
            gd["end"][rows] - gd["start"][rows], 1
        )
        for r, c in zip(rows, cover, strict=True):
            source, name = str(gd["source"][r]), str(gd["name"][r])
            if source in ESTABLISHED_GD:
                ann.gd_loci.append((f"{name} ({source})", float(c)))
            else:
                ann.gd_studies.append((source, name, float(c)))


def _annotate_clinvar(
    res: Resources,
    ann: Annotation,
    c37: str,
    s37: int,
    e37: int,
    exclude_clinvar: np.ndarray | None,
    leave_self_out: bool,
) -> None:
    """Similar same-type ClinVar CNVs, pathogenic and benign.

    Similar as in Riggs et al. 2020 section 4: reciprocal overlap >= CLINVAR_RO, or the same (non-empty) set
    of protein-coding genes ("overlap with the same gene(s)").
    """
    svtype = ann.svtype
    cv = res.clinvar37.cols
    rows = res.clinvar37.index.overlapping(c37, s37, e37)
    if exclude_clinvar is not None:
        rows = rows[~exclude_clinvar[rows]]
    rows = rows[cv["svtype"][rows] == svtype]
    if len(rows):
        starts, ends = cv["start"][rows], cv["end"][rows]
        similar = reciprocal_overlap(s37, e37, starts, ends) >= CLINVAR_RO
        if ann.genes:
            similar |= cv["gene_key"][rows] == gene_key_of(ann.genes)
        if leave_self_out:
            similar &= ~((starts == s37) & (ends == e37))
        path = cv["label"][rows] == 1
        ann.clinvar_path = int((similar & path).sum())
        ann.clinvar_benign = int((similar & ~path).sum())
        ov = overlap_bp(s37, e37, starts, ends)
        other = ~((starts == s37) & (ends == e37)) if leave_self_out else np.ones(len(rows), dtype=bool)
        ann.clinvar_path_inside = int((other & path & (ov >= 0.99 * (ends - starts))).sum())
        benign_cover = (ov / max(e37 - s37, 1))[other & ~path]
        ann.clinvar_benign_cover = float(benign_cover.max()) if len(benign_cover) else 0.0


def _annotate_population(res: Resources, ann: Annotation, c38: str, s38: int, e38: int) -> None:
    pop = res.population38.cols
    rows = res.population38.index.overlapping(c38, s38, e38)
    rows = rows[pop["svtype"][rows] == ann.svtype]
    if not len(rows):
        return
    starts, ends, af = pop["start"][rows], pop["end"][rows], pop["af"][rows]
    ro = reciprocal_overlap(s38, e38, starts, ends)
    match = ro >= POP_RO
    if match.any():
        best = int(np.argmax(np.where(match, af, -1.0)))
        ann.pop_af, ann.pop_ro = float(af[best]), float(ro[best])
    common = af >= COMMON_AF
    if common.any():
        ann.common_cover = float((overlap_bp(s38, e38, starts, ends)[common] / max(e38 - s38, 1)).max())


def annotate(
    res: Resources,
    variants: pd.DataFrame,
    genome: str,
    exclude_clinvar: np.ndarray | None = None,
    leave_self_out: bool = False,
    progress: object | None = None,
) -> list[Annotation]:
    """Annotate every variant of a :func:`iasante.lag.io.read_variants` table, in order.

    Args:
        variants: (n, ...) table with ``chrom``, ``start``, ``end`` (0-based half-open on ``genome``) and
            ``svtype``.
        exclude_clinvar, leave_self_out: see :func:`annotate_one` (evaluation on ClinVar itself).
        progress: optional callable ``(fraction, message)``.
    """
    lifted = lift_both(res, variants, genome)
    out = []
    step = max(len(lifted) // 50, 1)
    for i, row in enumerate(lifted.to_dict("records")):
        out.append(annotate_one(res, row, genome, exclude_clinvar, leave_self_out))
        if progress is not None and i % step == 0:
            progress(i / len(lifted), "annotating")  # type: ignore[operator]
    return out
