"""The classify CLI contract on real annotation data and committed weights (columns, order, exit codes)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from iasante.cli import app
from tests.lag.part2_fixtures import DEMO_BED, genomics_ready  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("genomics_ready")

COLUMNS = ["chrom", "start", "end", "svtype", "acmg_points", "acmg_class", "rank_score", "genes"]
runner = CliRunner()


def _classify(path: Path, out: Path, genome: str = "GRCh37") -> tuple[int, str]:
    result = runner.invoke(app, ["lag", "classify", str(path), "--genome", genome, "--out", str(out)])
    # the root CLI's error mapping raises click's Exit, which CliRunner reports as the exception
    return int(getattr(result.exception, "exit_code", result.exit_code)), result.output


def test_demo_bed_rows_in_input_order(tmp_path: Path) -> None:
    out = tmp_path / "out.tsv"
    code, output = _classify(DEMO_BED, out)
    assert code == 0, output
    table = pd.read_csv(out, sep="\t", dtype={"chrom": str, "start": str, "end": str})
    bed = pd.read_csv(DEMO_BED, sep="\t", comment="#", dtype=str)
    assert list(table.columns) == COLUMNS
    assert table[["chrom", "start", "end"]].values.tolist() == bed[["chrom", "start", "end"]].values.tolist()
    assert set(table["acmg_class"]) <= {"pathogenic", "likely_pathogenic", "vus", "likely_benign", "benign"}
    assert table["rank_score"].between(0, 1).all()
    first = table.iloc[0]  # 22q11.2 deletion
    assert first["acmg_class"] == "pathogenic" and first["rank_score"] > 0.9 and "TBX1" in first["genes"]
    intergenic = table[table["start"] == "1000"].iloc[0]
    assert intergenic["rank_score"] < 0.5 and intergenic["acmg_points"] < 0


def test_vcf_grch38_and_bad_records(tmp_path: Path) -> None:
    vcf = tmp_path / "calls.vcf.gz"
    with gzip.open(vcf, "wt") as handle:  # 22q11.2 region lifted to GRCh38, an insertion, a bad record
        handle.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                     "chr22\t18912231\td1\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=21111383\n"
                     "chr3\t500000\ti1\tN\t<INS>\t.\tPASS\tSVTYPE=INS;SVLEN=300\n"
                     "chr4\tabc\tx\tN\t<DEL>\t.\tPASS\tSVTYPE=DEL;END=10\n")
    out = tmp_path / "out.tsv"
    code, output = _classify(vcf, out, "GRCh38")
    assert code == 2 and "line 5" in output and "calls.vcf.gz" in output
    table = pd.read_csv(out, sep="\t")
    assert table["svtype"].tolist() == ["DEL", "INS"]
    assert table.loc[0, "acmg_class"] == "pathogenic" and table.loc[1, "acmg_class"] == "vus"


def test_bad_inputs_exit_2_naming_the_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bed"
    empty.write_text("")
    code, output = _classify(empty, tmp_path / "o.tsv")
    assert code == 2 and "empty.bed" in output
    code, output = _classify(tmp_path / "missing.vcf", tmp_path / "o.tsv")
    assert code == 2 and "missing.vcf" in output
    code, output = _classify(DEMO_BED, tmp_path / "o.tsv", genome="hg18")
    assert code == 2 and "GRCh38" in output
    binary = tmp_path / "image.bed"
    binary.write_bytes(bytes(range(256)) * 4)
    code, output = _classify(binary, tmp_path / "o.tsv")
    assert code == 2 and "image.bed" in output


def test_case_commands_and_part1_merge(tmp_path: Path, iasante_home: Path) -> None:
    result = runner.invoke(app, ["lag", "case-add", str(DEMO_BED), "--genome", "GRCh37", "--patient", "IPP-7"])
    assert result.exit_code == 0, result.output
    case_id = result.output.split()[1].rstrip(":")
    listing = runner.invoke(app, ["lag", "cases"])
    assert listing.exit_code == 0 and "demo_cnvs.bed" in listing.output and "IPP-7" not in listing.output
    for suffix, head in ((".pdf", b"%PDF"), (".vcf", b"##fileformat=VCFv4.2"), (".tsv", b"chrom\tstart")):
        out = tmp_path / f"case{suffix}"
        done = runner.invoke(app, ["lag", "report", case_id, "--out", str(out)])
        assert done.exit_code == 0, done.output
        assert out.read_bytes().startswith(head)
    wrong = runner.invoke(app, ["lag", "report", case_id, "--out", str(tmp_path / "x.docx")])
    assert int(getattr(wrong.exception, "exit_code", wrong.exit_code)) == 2
    from iasante.lag import cli as lag_cli

    names = {c.name for c in lag_cli.app.registered_commands}
    assert {"classify", "train", "run", "simulate", "evaluate"} <= names
