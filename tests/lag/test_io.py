"""Reading VCF/BED inputs: formats, coordinate conventions and refusals."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from iasante.core.errors import InputDataError
from iasante.lag.io import check_genome, normalise_type, read_variants

VCF = """##fileformat=VCFv4.2
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
1\t6434482\tdel1\tG\t<CN0>\t100\tPASS\tSVTYPE=DEL;END=6445321
2\t1000\tdup1\tN\t<DUP>\t.\tPASS\tSVTYPE=DUP;END=5000
3\t4204667\tsmall\tACACCATTAT\tA\t.\tPASS\tSVTYPE=DEL;END=4204676
4\t3995268\talu\tN\t<INS:ME:ALU>\t.\t.\tSVTYPE=ALU;SVLEN=191
5\t100\tcnv\tN\t<CN0>,<CN3>\t.\t.\tSVTYPE=CNV;END=900
"""


def test_bed_with_header_aliases_and_errors(tmp_path: Path) -> None:
    bed = tmp_path / "x.bed"
    bed.write_text("chrom\tstart\tend\ttype\nchr22\t100\t200\tDEL\n7,5,50,gain\nchrQ\t1\t2\tDEL\nchr1\t9\t5\tDUP\n"
                   "chr2\t1\t10\tINV\n")
    read = read_variants(bed)
    assert read.variants[["chrom", "start", "end", "svtype"]].values.tolist() == [
        ["22", 100, 200, "DEL"], ["7", 5, 50, "DUP"]]
    assert read.variants["in_chrom"].tolist() == ["chr22", "7"]
    assert len(read.errors) == 3
    assert "chrQ" in read.errors[0] and "bad interval" in read.errors[1] and "INV" in read.errors[2]


def test_vcf_symbolic_sequence_and_multiallelic(tmp_path: Path) -> None:
    path = tmp_path / "x.vcf.gz"
    with gzip.open(path, "wt") as handle:
        handle.write(VCF)
    v = read_variants(path).variants
    assert v["svtype"].tolist() == ["DEL", "DUP", "DEL", "INS", "DEL"]
    # symbolic: POS is the padding base, so the event starts at POS (0-based) and ends at END (exclusive)
    assert v.loc[0, ["start", "end"]].tolist() == [6434482, 6445321]
    assert v.loc[2, ["start", "end"]].tolist() == [4204667, 4204676]
    assert v.loc[0, "in_start"] == "6434482" and v.loc[0, "var_id"] == "del1"


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\x00\x01\x02garbage\xff\xfe", b"#only a comment\n"])
def test_empty_or_corrupt_files_raise_naming_the_input(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.bed"
    path.write_bytes(content)
    with pytest.raises(InputDataError, match="bad.bed"):
        read_variants(path)


def test_missing_file_and_truncated_gzip(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file"):
        read_variants(tmp_path / "absent.vcf")
    trunc = tmp_path / "t.vcf.gz"
    trunc.write_bytes(gzip.compress(VCF.encode())[:30])
    with pytest.raises(InputDataError, match="t.vcf.gz"):
        read_variants(trunc)


def test_type_and_genome_names() -> None:
    assert [normalise_type(t) for t in ("loss", "<CN1>", "CN4", "<DUP:TANDEM>", "CN2", "weird")] == [
        "DEL", "DEL", "DUP", "DUP", None, None]
    assert check_genome("hg38") == "GRCh38"
    with pytest.raises(InputDataError, match="GRCh37"):
        check_genome("hg18")
