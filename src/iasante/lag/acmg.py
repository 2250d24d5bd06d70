"""ACMG/ClinGen CNV classification by points (Riggs et al. 2020, Genet Med 22:245-257, PMID 31690835).

Sections 1-3 follow the standard's tables for copy-number loss (Table 1) and gain (Table 2); for losses, 2C-2E
(PVS1-based) also apply to genes where loss of function is a known disease mechanism without being an
established dominant HI gene (ClinGen HI score 30, DDG2P), as the ClinGen SVI PVS1 decision tree (Abou Tayoun
et al. 2018, PMID 30192042) does for any LOF-mechanism gene; a deleted whole gene of that kind scores PVS1
(0.90, full gene deletion; 2A stays for established HI genes). The shared exon source has no CDS bounds: a 5'
loss of the first exon and transcription start is presumed coding (2C-1), and a gene of unknown exon structure
losing >= half its span from one end is presumed to lose coding exons (2C-1/2D-4). Section 3 counts NCBI RefSeq
protein-coding genes (GRCh38), as the standard does. Gains score 2C (same gene
content as an established benign gain) besides 2D/2E/2G. Section 4 needs case data; automated proxies are
used and shown as such: 4O (overlap with common population variation, gnomAD-SV AF >= 1 %), 4L (the CNV
covers a same-type genomic-disorder locus of a published case series, 0.45 per study), and reported cases
from ClinVar (similar same-type CNVs: reciprocal overlap >= 50 % or the same protein-coding genes, as the
standard's "overlap with the same gene(s)"; 0.45 points each, 4A/4N), positive section 4 capped at 0.90.
Section 5 (inheritance) is left to the reviewing biologist. Classes: pathogenic >= 0.99, likely pathogenic
0.90-0.98, VUS -0.89-0.89, likely benign -0.90 to -0.98, benign <= -0.99.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from iasante.lag.annotate import Annotation, GeneHit

CLASSES = ("pathogenic", "likely_pathogenic", "vus", "likely_benign", "benign")
GD_COVER = 0.8  # fraction of an established region a CNV must cover to count as "complete overlap"
BENIGN_INSIDE = 0.95  # fraction of the CNV inside an established benign region for 2F (loss) / 2D (gain)
UNKNOWN_EXONS_COVER = 0.5  # share of a gene lost from one end that must hold coding exons (2C-1/2D-4)
CASE_POINTS = 0.45  # per similar ClinVar case (section 4 proxy; 4A's suggested maximum per proband)
SECTION4_CAP = 0.90


# Section 5 (family history / inheritance, Riggs et al. 2020 Table 1): the biologist adds these from case data.
SECTION5 = {
    "5A": (0.45, "de novo (confirmed), scored as the section 4 de novo categories"),
    "5B": (-0.30, "specific phenotype, no family history, inherited from an unaffected parent"),
    "5C": (-0.15, "nonspecific phenotype, no family history, inherited from an unaffected parent"),
    "5D": (0.45, "segregates with a consistent phenotype in the family"),
    "5E": (-0.45, "does not segregate with the phenotype in the family"),
    "5F": (0.0, "inheritance unavailable or uninformative"),
    "5G": (0.10, "inheritance unavailable; nonspecific but consistent phenotype"),
    "5H": (0.30, "inheritance unavailable; highly specific phenotype as in well-established cases"),
}


def with_section5(points: float, codes: list[str]) -> float:
    """Automatic points plus the biologist's section 5 criteria (rounded to 0.01)."""
    return round(points + sum(SECTION5[c][0] for c in codes), 2)


@dataclass
class Criterion:
    """One criterion met: code (e.g. ``2A``), points awarded and the evidence behind it."""

    code: str
    points: float
    evidence: str


@dataclass
class AcmgResult:
    """Total points (rounded to 0.01), class and every criterion met."""

    points: float
    acmg_class: str
    criteria: list[Criterion] = field(default_factory=list)


def class_of(points: float) -> str:
    """Five-tier class of a points total (thresholds of Riggs et al. 2020)."""
    p = round(points, 2)
    if p >= 0.99:
        return "pathogenic"
    if p >= 0.90:
        return "likely_pathogenic"
    if p <= -0.99:
        return "benign"
    if p <= -0.90:
        return "likely_benign"
    return "vus"


def _names(items: list[str], limit: int = 8) -> str:
    return ", ".join(items[:limit]) + (f" (+{len(items) - limit})" if len(items) > limit else "")


def _section1(ann: Annotation) -> Criterion:
    if ann.genes or ann.dosage_regions or ann.gd_loci:
        return Criterion("1A", 0.0, f"contains {len(ann.genes)} protein-coding gene(s) or dosage elements")
    return Criterion("1B", -0.60, "no protein-coding gene or known dosage-sensitive element")


def _established_regions(ann: Annotation, clinvar: bool = True) -> list[str]:
    """Established pathogenic regions completely overlapped: ClinGen 3 regions and genomic-disorder loci
    (>= GD_COVER covered), and, as AnnotSV does (Geoffroy et al. 2021), pathogenic same-type ClinVar CNVs
    lying entirely inside the variant (unless ``clinvar`` is False)."""
    regions = [n for n, c in ann.dosage_regions + ann.gd_loci if c >= GD_COVER]
    if clinvar and ann.clinvar_path_inside:
        regions.append(f"{ann.clinvar_path_inside} pathogenic ClinVar CNV(s) inside")
    return regions


def _benign_inside(ann: Annotation) -> list[str]:
    """Established benign regions holding the variant: ClinGen 40 regions, or one benign ClinVar CNV."""
    inside = [n for n, v in ann.benign_regions if v >= BENIGN_INSIDE]
    if ann.clinvar_benign_cover >= BENIGN_INSIDE:
        inside.append("benign ClinVar CNV")
    return inside


def _kind(h: GeneHit) -> str:
    return "HI gene" if h.established else f"LOF-mechanism gene [{h.mechanism}]"


def _section2_loss(ann: Annotation) -> list[Criterion]:
    found: list[Criterion] = []
    full = [h.gene for h in ann.hi_genes if h.full and h.established]
    regions = _established_regions(ann)
    if full or regions:
        found.append(Criterion("2A", 1.00, "complete overlap of established HI gene/region: " + _names(full + regions)))
    lof_full = [f"{h.gene} [{h.mechanism}]" for h in ann.hi_genes if h.full and not h.established]
    if lof_full:  # not an established HI gene, so not 2A: the PVS1 full-gene-deletion strength, as for 2C-2E
        found.append(
            Criterion("PVS1", 0.90, "whole LOF-mechanism gene deleted (full gene deletion): " + _names(lof_full))
        )
    for h in (h for h in ann.hi_genes if not h.full):
        intragenic = not h.five_prime and not h.three_prime
        if h.exons_hit < 0 and h.end_cover >= UNKNOWN_EXONS_COVER:
            found.append(
                Criterion(
                    "2C-1/2D-4",
                    0.90,
                    f"{h.end_cover:.0%} of {_kind(h)} {h.gene} deleted from one end (exon structure unknown: "
                    "coding exons presumed lost)",
                )
            )
        elif h.exons_hit < 0:
            found.append(Criterion("2B", 0.0, f"partial overlap of {_kind(h)} {h.gene}; exon structure unknown"))
        elif intragenic and h.exons_hit > 0:
            pts = 0.45 if h.last_exon_only else 0.90
            found.append(
                Criterion(
                    "2E",
                    pts,
                    f"intragenic deletion of {h.exons_hit}/{h.n_exons} exon(s) of "
                    f"{_kind(h)} {h.gene} (PVS1{'_Strong' if pts < 0.9 else ''})",
                )
            )
        elif h.five_prime and not h.three_prime:
            # the transcription start and first exon lost: coding sequence presumed involved (2C-1), as the
            # shared exon source has no CDS bounds to tell a 5' UTR-only loss (2C-2)
            coding = h.exons_hit >= 1
            found.append(
                Criterion(
                    "2C-1" if coding else "2C-2",
                    0.90 if coding else 0.0,
                    f"5' end of {_kind(h)} {h.gene} deleted ({h.exons_hit}/{h.n_exons} exons)",
                )
            )
        elif h.three_prime and not h.five_prime:
            pts, code = (0.30, "2D-3") if h.exons_hit <= 1 else (0.90, "2D-4")
            found.append(
                Criterion(code, pts, f"3' end of {_kind(h)} {h.gene} deleted ({h.exons_hit}/{h.n_exons} exons)")
            )
    best = max((c.points for c in found), default=0.0)
    kept = [c for c in found if c.points == best or c.points == 0.0] if best > 0 else found
    if best <= 0:
        inside = _benign_inside(ann)
        if inside:
            kept.append(Criterion("2F", -1.00, "contained in established benign region: " + _names(inside)))
        elif ann.benign_regions:
            kept.append(Criterion("2G", 0.0, "overlaps benign region but includes other material"))
        if ann.hi_predicted:
            kept.append(
                Criterion("2H", 0.15, "several HI predictors (pLI/LOEUF + HI index): " + _names(ann.hi_predicted))
            )
    return kept


def _section2_gain(ann: Annotation) -> list[Criterion]:
    found: list[Criterion] = []
    # an expert-curated benign gain with the same genes outranks the ClinVar-based 2A proxy
    regions = _established_regions(ann, clinvar=not ann.benign_same_genes)
    if ann.ts_genes_full or regions:
        found.append(
            Criterion(
                "2A",
                1.00,
                "complete overlap of established TS gene/region: " + _names(ann.ts_genes_full + regions),
            )
        )
    for h in ann.hi_genes:
        intragenic = not h.five_prime and not h.three_prime
        if h.full:
            found.append(Criterion("2H", 0.0, f"HI gene {h.gene} fully contained"))
        elif intragenic and h.exons_hit > 0:
            found.append(
                Criterion(
                    "2I",
                    0.45,
                    f"both breakpoints in {_kind(h)} {h.gene}, {h.exons_hit} exon(s) "
                    "duplicated (PVS1_Strong, tandem presumed)",
                )
            )
        elif h.established:
            found.append(Criterion("2J", 0.0, f"one breakpoint within HI gene {h.gene}"))
    best = max((c.points for c in found), default=0.0)
    if best <= 0:
        inside = _benign_inside(ann)
        if ann.benign_same_genes and not inside:
            found.append(
                Criterion("2C", -1.00, "same gene content as established benign gain: " + _names(ann.benign_same_genes))
            )
        elif inside and ann.genes_cut:  # 2E: smaller than a benign gain, a breakpoint may interrupt a gene
            found.append(Criterion("2E", 0.0, "inside a benign gain but cuts " + _names(ann.genes_cut)))
        elif inside:
            found.append(Criterion("2D", -1.00, "contained in established benign gain region: " + _names(inside)))
        elif ann.benign_regions:
            found.append(Criterion("2G", 0.0, "overlaps benign gain region but includes other material"))
    return found


def _section3(ann: Annotation) -> Criterion:
    """Protein-coding RefSeq genes wholly or partly included, as the standard counts them (the constraint gene
    table of :attr:`Annotation.genes` lacks genes without gnomAD metrics; it is the fallback)."""
    n = ann.n_refseq_genes if ann.n_refseq_genes >= 0 else len(ann.genes)
    cuts = (25, 35) if ann.svtype == "DEL" else (35, 50)
    code, pts = ("3A", 0.0) if n < cuts[0] else ("3B", 0.45) if n < cuts[1] else ("3C", 0.90)
    return Criterion(code, pts, f"{n} protein-coding RefSeq gene(s)")


def _section4(ann: Annotation) -> list[Criterion]:
    out: list[Criterion] = []
    if ann.common_cover >= 0.9 or (ann.pop_af >= 0.01 and ann.pop_ro >= 0.7):
        out.append(
            Criterion(
                "4O",
                -1.00,
                f"common population variation (gnomAD-SV AF {ann.pop_af:.3g}, "
                f"{ann.common_cover:.0%} of the CNV inside a common CNV)",
            )
        )
    room = SECTION4_CAP  # reported cases and case-control studies together add at most SECTION4_CAP
    studies = sorted({study for study, _, cover in ann.gd_studies if cover >= GD_COVER})
    if studies:
        pts = min(CASE_POINTS * len(studies), room)
        room -= pts
        out.append(
            Criterion("4L", pts, "same-type genomic-disorder locus covered, published series: " + _names(studies))
        )
    if ann.clinvar_path and room > 0:
        pts = min(CASE_POINTS * ann.clinvar_path, room)
        out.append(Criterion("4A", pts, f"{ann.clinvar_path} similar pathogenic ClinVar CNV(s) (reported cases)"))
    if ann.clinvar_benign:
        pts = -min(CASE_POINTS * ann.clinvar_benign, SECTION4_CAP)
        out.append(Criterion("4N", pts, f"{ann.clinvar_benign} similar benign ClinVar CNV(s)"))
    return out


def classify(ann: Annotation) -> AcmgResult:
    """Score one annotated CNV; non-CNV types (INS/INV/BND) are outside the standard and stay VUS at 0.

    Example:
        >>> from iasante.lag.annotate import Annotation, GeneHit
        >>> classify(Annotation(svtype="DEL", size_bp=5000)).acmg_class
        'vus'
    """
    if ann.svtype not in ("DEL", "DUP"):
        return AcmgResult(0.0, "vus", [Criterion("NA", 0.0, f"{ann.svtype}: ACMG CNV standard not applicable")])
    criteria = [_section1(ann)]
    criteria += _section2_loss(ann) if ann.svtype == "DEL" else _section2_gain(ann)
    criteria.append(_section3(ann))
    criteria += _section4(ann)
    points = round(sum(c.points for c in criteria), 2)
    return AcmgResult(points, class_of(points), criteria)
