"""Simulation kit, ISCN descriptions, caller harmonisation and truvari scoring (fast, synthetic inputs)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pysam
import pytest

from iasante.core.errors import InputDataError
from iasante.lag.simulate import (
    PlantedSV,
    build_haplotypes,
    plan_events,
    read_fasta,
    score_calls,
    simulate_patient,
    write_truth_vcf,
)
from iasante.lag.workflow.iscn import Cytobands, describe_event, locate_contig
from iasante.lag.workflow.svcalls import _bnd_to_intra, read_caller


def _genome(lengths: dict[str, int], seed: int = 1) -> dict[str, str]:
    rng = random.Random(seed)
    return {name: "".join(rng.choice("ACGT") for _ in range(n)) for name, n in lengths.items()}


def test_plan_events_are_reproducible_disjoint_and_sized() -> None:
    genome = _genome({"c1": 400_000})
    counts = {"DEL": 3, "DUP": 3, "INV": 3, "INS": 2}
    events = plan_events(genome, counts, min_size_bp=1000, max_size_bp=20_000, seed=5)
    assert events == plan_events(genome, counts, min_size_bp=1000, max_size_bp=20_000, seed=5)
    assert sorted(e.svtype for e in events) == sorted(t for t, n in counts.items() for _ in range(n))
    spans = sorted((e.start, max(e.end, e.start + 1)) for e in events)
    assert all(b[0] - a[1] >= 5000 for a, b in zip(spans, spans[1:], strict=False))
    assert all(1000 <= e.size_bp <= 20_000 for e in events if e.svtype in {"DEL", "DUP", "INV"})
    assert all(100 <= e.size_bp <= 400 and len(e.seq) == e.size_bp for e in events if e.svtype == "INS")


def test_plan_events_refuses_translocation_on_one_contig() -> None:
    with pytest.raises(InputDataError, match="two contigs"):
        plan_events(_genome({"c1": 50_000}), {"TRA": 1})


def test_haplotypes_apply_each_event_type() -> None:
    genome = _genome({"a": 30_000, "b": 20_000})
    ref = genome["a"]
    events = [
        PlantedSV("a", 1000, 2000, "DEL", "1/1"),
        PlantedSV("a", 5000, 5500, "DUP", "0/1"),
        PlantedSV("a", 9000, 9300, "INV", "1/1"),
        PlantedSV("a", 12000, 12000, "INS", "1/1", seq="ACGTACGTAA"),
        PlantedSV("a", 20000, 20000, "TRA", "0/1", chrom2="b", start2=8000),
    ]
    hap1, hap2 = build_haplotypes(genome, events)
    # haplotype 2 carries only the homozygous DEL, INV and INS
    expected2 = ref[:1000] + ref[2000:9000] + ref[9000:9300].translate(str.maketrans("ACGT", "TGCA"))[::-1]
    expected2 += ref[9300:12000] + "ACGTACGTAA" + ref[12000:]
    assert hap2["a"] == expected2
    assert hap2["b"] == genome["b"]
    # haplotype 1 also has the tandem duplication and the reciprocal translocation (tails exchanged)
    assert ref[5000:5500] * 2 in hap1["a"]
    assert hap1["a"].endswith(genome["b"][8000:]) and hap1["b"].endswith(ref[20000:])
    assert len(hap1["a"]) + len(hap1["b"]) == len(ref) + len(genome["b"]) - 1000 + 500 + 10


def test_truth_vcf_follows_vcf_conventions(tmp_path: Path) -> None:
    genome = _genome({"c1": 10_000})
    events = [PlantedSV("c1", 1000, 3000, "DEL", "0/1"), PlantedSV("c1", 5000, 5000, "INS", "1/1", seq="A" * 60)]
    path = write_truth_vcf(events, genome, tmp_path / "t.vcf.gz", "S")
    records = list(pysam.VariantFile(str(path)))
    assert (records[0].pos, records[0].stop, records[0].info["SVLEN"]) == (1000, 3000, -2000)
    assert records[0].ref == genome["c1"][999] and records[0].samples["S"]["GT"] == (0, 1)
    assert records[1].alts[0] == genome["c1"][4999] + "A" * 60
    assert (tmp_path / "t.vcf.gz.tbi").exists()


def test_simulate_patient_writes_paired_fastq_and_truth(tmp_path: Path) -> None:
    ref = tmp_path / "ref.fa"
    ref.write_text(">c1\n" + _genome({"c1": 60_000})["c1"] + "\n")
    out = simulate_patient(ref, tmp_path / "sim", "P1", {"DEL": 1, "INV": 1}, coverage=4, seed=3,
                           min_size_bp=1000, max_size_bp=3000)
    r1, r2 = (Path(p) for p in out["fastq"])  # type: ignore[union-attr]
    with gzip.open(r1, "rt") as h1, gzip.open(r2, "rt") as h2:
        lines1, lines2 = h1.read().splitlines(), h2.read().splitlines()
    assert len(lines1) == len(lines2) and len(lines1) % 4 == 0
    assert len(lines1) // 4 == pytest.approx(4 * 60_000 / 300, rel=0.1)
    assert lines1[0].split("/")[0] == lines2[0].split("/")[0]
    assert len(list(pysam.VariantFile(str(out["truth_vcf"])))) == 2


def test_read_fasta_rejects_non_fasta(tmp_path: Path) -> None:
    bad = tmp_path / "x.fa"
    bad.write_text("ACGT\n")
    with pytest.raises(InputDataError, match="x.fa"):
        read_fasta(bad)


def test_iscn_descriptions() -> None:
    bands = Cytobands.from_ucsc(Path(__file__).parent / "data" / "cytoband_chr22_chr9.txt")
    assert locate_contig("22:20000001-21000000") == ("22", 20_000_000)
    assert describe_event(bands, "22:20000001-21000000", 34725, 37354, "DEL") == "del(22)(q11.21q11.21)"
    assert describe_event(bands, "chr22", 21_000_000, 23_000_000, "DUP") == "dup(22)(q11.21q11.22)"
    assert describe_event(bands, "22", 22_500_000, 22_500_000, "BND", "9", 133_600_000) == "t(9;22)(q34.12;q11.22)"
    assert describe_event(None, "chrUn", 10, 20, "INV") == "inv(Un)(??)"


@pytest.mark.parametrize(
    ("alt", "expected"),
    [("N[c:5000[", ("DEL", 4999)), ("]c:5000]N", ("DUP", 5000)), ("N]c:5000]", ("INV", 5000)),
     ("[c:5000[N", ("INV", 5000)), ("N[c:500[", None)],
)
def test_intra_contig_breakends_become_events(alt: str, expected: tuple[str, int] | None) -> None:
    assert _bnd_to_intra(1000, alt) == expected


def test_cnvkit_segments_become_calls(tmp_path: Path) -> None:
    cns = tmp_path / "s.cns"
    cns.write_text("chromosome\tstart\tend\tgene\tlog2\tdepth\tprobes\tweight\n"
                   "c1\t0\t50000\t-\t0.01\t30\t50\t1\nc1\t50000\t60000\t-\t-1.02\t15\t10\t1\n"
                   "c1\t60000\t70000\t-\t0.6\t45\t10\t1\nc1\t70000\t71000\t-\t-5\t0\t1\t1\n")
    calls = read_caller("cnvkit", cns)
    assert [(c.svtype, c.pos, c.end, c.gt) for c in calls] == [("DEL", 50001, 60000, "0/1"),
                                                                ("DUP", 60001, 70000, "0/1")]


def test_score_calls_counts_matches(tmp_path: Path) -> None:
    genome = _genome({"c1": 200_000})
    truth = [PlantedSV("c1", 10_000, 15_000, "DEL", "0/1"), PlantedSV("c1", 50_000, 70_000, "INV", "0/1"),
             PlantedSV("c1", 100_000, 100_000, "INS", "0/1", seq="A" * 100)]
    called = [PlantedSV("c1", 10_030, 15_010, "DEL", "0/1"), PlantedSV("c1", 150_000, 152_000, "DUP", "0/1")]
    base = write_truth_vcf(truth, genome, tmp_path / "truth.vcf.gz", "S")
    comp = write_truth_vcf(called, genome, tmp_path / "calls.vcf.gz", "S")
    summary = score_calls(comp, base, tmp_path / "eval")
    assert summary["DEL"]["precision"] == 1.0 and summary["DEL"]["recall"] == 1.0
    assert summary["DEL_DUP_INV"]["TP"] == 1 and summary["DEL_DUP_INV"]["FP"] == 1
    assert summary["DEL_DUP_INV"]["FN"] == 1 and summary["INS"]["recall"] == 0.0
    assert (tmp_path / "eval" / "summary.json").exists()


def test_score_calls_matches_translocations(tmp_path: Path) -> None:
    genome = _genome({"a": 50_000, "b": 50_000})
    truth = write_truth_vcf([PlantedSV("a", 20_000, 20_000, "TRA", "0/1", chrom2="b", start2=30_000)], genome,
                            tmp_path / "truth.vcf.gz", "S")
    near = write_truth_vcf([PlantedSV("a", 20_100, 20_100, "TRA", "0/1", chrom2="b", start2=29_950)], genome,
                           tmp_path / "near.vcf.gz", "S")
    far = write_truth_vcf([PlantedSV("a", 25_000, 25_000, "TRA", "0/1", chrom2="b", start2=30_000)], genome,
                          tmp_path / "far.vcf.gz", "S")
    assert score_calls(near, truth, tmp_path / "e1")["TRA"]["recall"] == 1.0
    missed = score_calls(far, truth, tmp_path / "e2")["TRA"]
    assert (missed["recall"], missed["FP"]) == (0.0, 1)
