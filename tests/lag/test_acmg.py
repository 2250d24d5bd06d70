"""ACMG/ClinGen points on hand-built annotations (Riggs et al. 2020 tables) and on real loci."""

from __future__ import annotations

import pandas as pd
import pytest

from iasante.lag.acmg import class_of, classify
from iasante.lag.annotate import Annotation, GeneHit, annotate
from tests.lag.part2_fixtures import genomics_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("genomics_ready")


@pytest.mark.parametrize(("points", "expected"), [
    (0.99, "pathogenic"), (1.5, "pathogenic"), (0.90, "likely_pathogenic"), (0.98, "likely_pathogenic"),
    (0.89, "vus"), (-0.89, "vus"), (-0.90, "likely_benign"), (-0.98, "likely_benign"), (-0.99, "benign")])
def test_class_thresholds(points: float, expected: str) -> None:
    assert class_of(points) == expected


def _codes(ann: Annotation) -> dict[str, float]:
    return {c.code: c.points for c in classify(ann).criteria}


def test_loss_sections() -> None:
    empty = Annotation(svtype="DEL", size_bp=2000)
    assert _codes(empty) == {"1B": -0.60, "3A": 0.0}
    hi_full = Annotation(svtype="DEL", size_bp=10**6, genes=["TBX1"],
                         hi_genes=[GeneHit("TBX1", True, True, True, 9, 9, False)])
    assert _codes(hi_full)["2A"] == 1.0 and classify(hi_full).acmg_class == "pathogenic"
    intragenic = Annotation(svtype="DEL", size_bp=5000, genes=["NF1"],
                            hi_genes=[GeneHit("NF1", False, False, False, 2, 58, False)])
    assert _codes(intragenic)["2E"] == 0.90
    last_exon = Annotation(svtype="DEL", size_bp=5000, genes=["NF1"],
                           hi_genes=[GeneHit("NF1", False, False, True, 1, 58, True)])
    assert _codes(last_exon)["2D-3"] == 0.30
    many = Annotation(svtype="DEL", size_bp=5 * 10**6, genes=[f"G{i}" for i in range(40)])
    assert _codes(many)["3C"] == 0.90
    common = Annotation(svtype="DEL", size_bp=3000, genes=["X"], pop_af=0.2, pop_ro=0.9, common_cover=1.0)
    assert _codes(common)["4O"] == -1.0 and classify(common).acmg_class == "benign"


def test_gain_sections_and_non_cnv() -> None:
    gain = Annotation(svtype="DUP", size_bp=10**6, genes=[f"G{i}" for i in range(40)])
    assert _codes(gain)["3B"] == 0.45  # gains need 35-49 genes for 3B, losses 25-34
    ts = Annotation(svtype="DUP", size_bp=10**6, genes=["MECP2"], ts_genes_full=["MECP2"])
    assert _codes(ts)["2A"] == 1.0
    benign_region = Annotation(svtype="DUP", size_bp=10**4, genes=["A"], benign_regions=[("region", 1.0)])
    assert _codes(benign_region)["2D"] == -1.0
    cutting = Annotation(svtype="DUP", size_bp=10**4, genes=["A"], genes_cut=["A"], benign_regions=[("r", 1.0)])
    assert _codes(cutting)["2E"] == 0.0 and "2D" not in _codes(cutting)
    inv = classify(Annotation(svtype="INV", size_bp=10**5, genes=["A"]))
    assert (inv.points, inv.acmg_class, inv.criteria[0].code) == (0.0, "vus", "NA")


def test_real_loci() -> None:
    """22q11.2 deletion and CMT1A duplication are pathogenic; a gene-free intergenic 500 bp loss is not."""
    from iasante.lag.resources import load_resources

    variants = pd.DataFrame({"chrom": ["22", "17", "5"], "start": [18900000, 14100000, 1000],
                             "end": [21500000, 15400000, 1500], "svtype": ["DEL", "DUP", "DEL"]})
    anns = annotate(load_resources(), variants, "GRCh37")
    results = [classify(a) for a in anns]
    assert [r.acmg_class for r in results[:2]] == ["pathogenic", "pathogenic"]
    assert "TBX1" in anns[0].genes and "PMP22" in anns[1].genes
    assert results[2].points < 0
    assert anns[0].iscn.startswith("seq[GRCh37] 22q11.") and anns[0].iscn.endswith("(18900001_21500000)x1")


def test_same_cnv_on_both_builds_gets_the_same_answer() -> None:
    """A CNV given on GRCh38 is lifted to GRCh37 for the GRCh37 sources (and vice versa): same genes, class."""
    from iasante.lag.resources import load_resources

    res = load_resources()
    v37 = pd.DataFrame({"chrom": ["17", "7"], "start": [14100000, 117100000], "end": [15400000, 117300000],
                        "svtype": ["DUP", "DEL"]})
    c, s, e = res.lift_37_to_38.lift_intervals(v37["chrom"].to_numpy(object), v37["start"].to_numpy(),
                                               v37["end"].to_numpy())
    v38 = pd.DataFrame({"chrom": c, "start": s, "end": e, "svtype": v37["svtype"]})
    a37, a38 = annotate(res, v37, "GRCh37"), annotate(res, v38, "GRCh38")
    for x, y in zip(a37, a38, strict=True):
        assert set(x.genes) == set(y.genes) and classify(x).acmg_class == classify(y).acmg_class
        assert x.iscn.startswith("seq[GRCh37]") and y.iscn.startswith("seq[GRCh38]")
    assert "CFTR" in a37[1].genes


def test_riggs_criteria_added_in_1_1() -> None:
    """2C (gain, same genes as a benign gain), 4L (published GD series), presumed-coding 5'/unknown-exon losses."""
    gain = Annotation(svtype="DUP", size_bp=10**5, genes=["A", "B"], benign_same_genes=["benign gain"])
    assert _codes(gain)["2C"] == -1.0 and classify(gain).acmg_class == "benign"
    studies = [("Li_2020_GD", "a", 0.9), ("Girirajan_2012_GD", "b", 0.85), ("Kaminsky_2011_GD", "c", 0.5)]
    series = Annotation(svtype="DUP", size_bp=10**6, genes=["A"], gd_studies=studies)
    assert _codes(series)["4L"] == 0.90  # two studies covered >= 80 %, the third only half
    capped = Annotation(svtype="DEL", size_bp=10**6, genes=["A"], gd_studies=studies[:1], clinvar_path=3)
    assert (_codes(capped)["4L"], _codes(capped)["4A"]) == (0.45, 0.45)  # section 4 cases capped at 0.90
    unknown = GeneHit("SCN1A", False, True, False, -1, -1, False, end_cover=0.6)
    assert _codes(Annotation(svtype="DEL", size_bp=10**5, genes=["SCN1A"], hi_genes=[unknown]))["2C-1/2D-4"] == 0.9
    inside = GeneHit("SCN1A", False, False, False, -1, -1, False)
    assert _codes(Annotation(svtype="DEL", size_bp=10**4, genes=["SCN1A"], hi_genes=[inside]))["2B"] == 0.0
    first_exon = GeneHit("NF1", False, True, False, 1, 58, False)
    assert _codes(Annotation(svtype="DEL", size_bp=10**4, genes=["NF1"], hi_genes=[first_exon]))["2C-1"] == 0.9


def test_similar_cases_share_gene_content() -> None:
    """A ClinVar CNV with the same genes counts as a similar reported case even at low reciprocal overlap."""
    from iasante.lag.resources import load_resources

    res = load_resources()
    cv, genes = res.clinvar37.df, res.genes37.df
    path = cv[(cv["label"] == 1) & (cv["svtype"] == "DEL") & (cv["end"] - cv["start"] > 10_000)]
    for rec in path.itertuples():
        host = genes[(genes["chrom"] == rec.chrom) & (genes["start"] < rec.start) & (genes["end"] > rec.end)]
        if len(host) == 1 and rec.gene_key == host["gene"].iat[0]:
            break
    else:
        pytest.fail("no intragenic pathogenic ClinVar deletion found")
    length = rec.end - rec.start
    inner = pd.DataFrame({"chrom": [rec.chrom], "start": [rec.start + int(0.3 * length)],
                          "end": [rec.start + int(0.7 * length)], "svtype": ["DEL"]})
    assert annotate(res, inner, "GRCh37")[0].clinvar_path >= 1
    hidden = (cv["chrom"] == rec.chrom).to_numpy()
    assert annotate(res, inner, "GRCh37", exclude_clinvar=hidden)[0].clinvar_path == 0
    assert set(res.gd37.df["source"]) >= {"DECIPHER", "rCNV2 lit", "Dittwald_2013_GD", "UKBB_GD.Owen_2018"}


def test_refseq_count_and_renamed_gene_exons() -> None:
    """Section 3 counts RefSeq genes when given; genes under an old symbol find their exons (SEPN1 -> SELENON)."""
    from iasante.lag.resources import load_resources

    counted = Annotation(svtype="DUP", size_bp=5 * 10**6, genes=[f"G{i}" for i in range(30)], n_refseq_genes=52)
    assert _codes(counted)["3C"] == 0.90
    res = load_resources()
    assert res.exons38["SEPN1"] is res.exons38["SELENON"]


def test_whole_lof_gene_deletion_is_pvs1_not_2a() -> None:
    """A deleted whole gene with a curated LOF mechanism (not ClinGen HI 3) scores PVS1 0.90, an HI 3 gene 2A."""
    lof = GeneHit("CEP290", True, True, True, 54, 54, False, established=False, mechanism="ClinGen HI 30 (recessive)")
    codes = _codes(Annotation(svtype="DEL", size_bp=10**5, genes=["CEP290"], hi_genes=[lof]))
    assert codes["PVS1"] == 0.90 and "2A" not in codes
    hi = GeneHit("TBX1", True, True, True, 9, 9, False)
    both = _codes(Annotation(svtype="DEL", size_bp=10**6, genes=["TBX1", "CEP290"], hi_genes=[hi, lof]))
    assert both["2A"] == 1.0 and "PVS1" not in both  # only the strongest section 2 evidence is kept


def test_curated_benign_gain_outranks_the_clinvar_2a_proxy() -> None:
    """15q11.2 BP1-BP2 duplication: the genes of ClinGen's benign gain region, so no ClinVar-based 2A."""
    from iasante.lag.resources import load_resources

    dup = pd.DataFrame({"chrom": ["15"], "start": [22750000], "end": [23250000], "svtype": ["DUP"]})
    codes = _codes(annotate(load_resources(), dup, "GRCh37")[0])
    assert "2A" not in codes and -1.0 in (codes.get("2C"), codes.get("2D"))
