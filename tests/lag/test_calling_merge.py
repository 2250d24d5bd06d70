"""Merging caller calls with the real SURVIVOR: support counts, solo delly rule, translocations, final VCF."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pysam

from iasante.lag.workflow.iscn import Cytobands
from iasante.lag.workflow.merge import merge_calls, write_final_vcf
from iasante.lag.workflow.svcalls import SvCall, write_calls

A, B = "22_1_60000", "9"


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = random.Random(0)
    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{c}\n{''.join(rng.choice('ACGT') for _ in range(60_000))}\n" for c in (A, B)))
    pysam.faidx(str(fasta))
    contigs = tmp_path / "contigs.tsv"
    contigs.write_text(f"{A}\t22:1-60000\t60000\n{B}\t9\t60000\n")
    return fasta, Path(str(fasta) + ".fai"), contigs


def test_merge_publishes_supported_events_only(tmp_path: Path) -> None:
    fasta, fai, contigs = _setup(tmp_path)
    calls = {
        "delly": [SvCall(A, 10_000, 15_000, "DEL", "delly", "d1", gt="0/1", precise=True, reads=20),
                  SvCall(A, 30_000, 31_000, "DEL", "delly", "d2", gt="1/1", passed=False, reads=25),
                  SvCall(A, 20_000, 22_000, "INV", "delly", "d4", passed=False, reads=5),
                  SvCall(A, 40_000, 40_000, "BND", "delly", "d3", gt="0/1", precise=True, reads=12, chrom2=B,
                         pos2=20_000)],
        "lumpy": [SvCall(A, 10_004, 14_990, "DEL", "lumpy", "l1", reads=18),
                  SvCall(A, 50_000, 52_000, "DUP", "lumpy", "l2", reads=4)],
        "tiddit": [SvCall(A, 40_010, 40_010, "BND", "tiddit", "t1", gt="0/1", reads=9, chrom2=B, pos2=20_005)],
        "cnvkit": [SvCall(A, 9_001, 16_000, "DEL", "cnvkit", "c1", gt="0/1", reads=7, extra={"LOG2": "-1.0"})],
    }
    paths = {}
    for caller, items in calls.items():
        paths[caller] = tmp_path / f"{caller}.vcf"
        write_calls(items, fai, paths[caller], caller)
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{paths[c]}\n" for c in ("delly", "lumpy", "tiddit")))
    survivor = tmp_path / "survivor.vcf"
    subprocess.run(["SURVIVOR", "merge", str(listing), "1000", "1", "1", "0", "0", "50", str(survivor)], check=True,
                   capture_output=True)
    events = merge_calls(survivor, paths, min_support=2, solo_min_reads=10)
    found = {(e.call.svtype, e.call.pos): e for e in events}
    # the lumpy-only DUP (4 reads) and the weak delly-only INV (5 reads) are dropped
    assert set(found) == {("DEL", 10_000), ("DEL", 30_000), ("BND", 40_000)}
    assert found[("DEL", 10_000)].callers == {"delly", "lumpy", "cnvkit"}
    assert found[("DEL", 30_000)].callers == {"delly"}  # delly alone (LowQual) with >= 10 reads
    bands = Cytobands({"22": ([0], [100_000], ["p13"]), "9": ([0], [100_000], ["p24.3"])})
    out = tmp_path / "S.sv.vcf.gz"
    assert write_final_vcf(events, fasta, contigs, out, "S", "GRCh37", bands) == 3
    with pysam.VariantFile(str(out)) as vcf:
        records = list(vcf.fetch("22:1-60000"))
    deletion, homozygous, breakend = records
    assert deletion.info["SUPPORT"] == 3 and deletion.info["CALLERS"] == ("delly", "lumpy", "cnvkit")
    assert deletion.info["SVLEN"] == -5000 and deletion.stop == 15_000 and deletion.samples["S"]["GT"] == (0, 1)
    assert deletion.ref == fasta.read_text().split("\n")[1][9_999] and deletion.info["ISCN"] == "del(22)(p13p13)"
    assert homozygous.samples["S"]["GT"] == (1, 1)
    assert breakend.alts[0].endswith("[9:20000[") and breakend.info["CHR2"] == "9"
    assert breakend.info["ISCN"] == "t(9%3B22)(p24.3%3Bp13)"  # VCF forbids ";" in INFO values


def test_no_calls_still_give_a_valid_indexed_vcf(tmp_path: Path) -> None:
    fasta, _, contigs = _setup(tmp_path)
    out = tmp_path / "E.sv.vcf.gz"
    assert write_final_vcf([], fasta, contigs, out, "E") == 0
    with pysam.VariantFile(str(out)) as vcf:
        assert list(vcf.header.samples) == ["E"] and not list(vcf.fetch("22:1-60000"))


def _sam(contig: str, pos: int, cigar: str) -> str:
    return f"r\t0\t{contig}\t{pos}\t60\t{cigar}\t*\t0\t0\t*\t*"


def test_insertion_junctions_need_both_sides_and_a_long_clip() -> None:
    """Novel-sequence insertion: 3+ reads clipped at their end and 3+ at their start at one position."""
    from iasante.lag.workflow.insertions import clip_junctions, find_insertions

    insertion = [_sam(A, 1_000 - 100 + i, f"{100 - i}M{50 + i}S") for i in range(4)]  # end at 999, clip 50-53
    insertion += [_sam(A, 1_000 + (i % 2), f"{90 + i}S{60 - i}M") for i in range(3)]  # start at 1000 or 1001
    inversion = [_sam(A, 5_000 - 120, "120M25S")] * 3 + [_sam(A, 5_000, "25S120M")] * 3  # short clips only
    one_sided = [_sam(A, 8_000 - 100, "100M50S")] * 5  # a deletion's left junction
    calls = find_insertions(clip_junctions(insertion + inversion + one_sided))
    assert [(c.svtype, c.pos, c.reads, c.size_bp) for c in calls] == [("INS", 999, 7, 92)]


def test_merge_drops_insertion_junctions_near_other_calls(tmp_path: Path) -> None:
    _, fai, _ = _setup(tmp_path)
    delly = tmp_path / "delly.vcf"
    write_calls([SvCall(A, 10_000, 15_000, "DEL", "delly", "d1", precise=True, reads=20),
                 SvCall(A, 29_998, 30_000, "DEL", "delly", "d2", reads=3)], fai, delly, "delly")
    insertions = tmp_path / "softclip.vcf"
    found = [SvCall(A, p, p, "INS", "softclip", f"i{p}", precise=True, reads=9, extra={"INSLEN": "80"})
             for p in (15_400, 30_000)]
    write_calls(found, fai, insertions, "softclip")
    survivor = tmp_path / "survivor.vcf"
    (tmp_path / "list.txt").write_text(f"{delly}\n")
    subprocess.run(["SURVIVOR", "merge", str(tmp_path / "list.txt"), "1000", "1", "1", "0", "0", "50", str(survivor)],
                   check=True, capture_output=True)
    events = merge_calls(survivor, {"delly": delly}, insertions=insertions)
    assert [(e.call.svtype, e.call.pos, e.callers) for e in events] == [
        ("DEL", 10_000, {"delly"}), ("INS", 30_000, {"softclip"})]
