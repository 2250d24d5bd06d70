"""The calling workflow end to end on a real 100 kb slice of chr22 (GRCh37) with planted SVs, and its CLI.

One simulated patient (30x, DEL + DUP + INV) runs through ``iasante lag run`` once per session; the tests then
check the published files, the resume, the job target, and that failed runs never overwrite results.
"""

from __future__ import annotations

import gzip
import shutil
import time
from pathlib import Path

import pysam
import pytest
import typer
from typer.testing import CliRunner

from iasante.core.config import get_settings
from iasante.core.errors import InputDataError
from iasante.core.models import JobStatus
from iasante.lag.calling import check_inputs, sample_name_from
from iasante.lag.simulate import PlantedSV, build_haplotypes, read_fasta, write_truth_vcf

SLICE = (100_000, 200_000)  # 0-based half-open inside the shipped 22:20000001-21000000 slice
CONTIG = "22:20100001-20200000"
EVENTS = [
    PlantedSV(CONTIG, 15_000, 18_000, "DEL", "0/1"),
    PlantedSV(CONTIG, 40_000, 42_500, "DUP", "0/1"),
    PlantedSV(CONTIG, 70_000, 74_000, "INV", "1/1"),
]


def _root() -> tuple[typer.Typer, list[str]]:
    """The root CLI with ``lag`` (part 2 merges these commands there), else this part's commands alone."""
    from iasante.cli import PlatformGroup, app
    from iasante.lag import cli as lag_cli
    from iasante.lag import cli_calling

    names = {c.name or (c.callback.__name__ if c.callback else "") for c in lag_cli.app.registered_commands}
    names |= {g.name for g in lag_cli.app.registered_groups if g.name}
    if "run" in names:
        return app, ["lag"]
    root = typer.Typer(cls=PlatformGroup)
    root.add_typer(cli_calling.app, name="lagcalling")
    return root, ["lagcalling"]


class Outcome:
    """Exit code and output of the root CLI (its error mapping raises click's Exit, seen as an exception)."""

    def __init__(self, args: list[str]) -> None:
        app, prefix = _root()
        result = CliRunner().invoke(app, prefix + args)
        self.output = result.output
        self.exit_code = result.exit_code
        if result.exception is not None and hasattr(result.exception, "exit_code"):
            self.exit_code = result.exception.exit_code


def invoke(args: list[str]) -> Outcome:
    return Outcome(args)


@pytest.fixture(scope="session")
def patient(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 100 kb reference slice, 30x reads with three planted SVs, and the truth VCF."""
    data_dir = get_settings().data_dir
    source = data_dir / "genomics" / "reference" / "hisat2_example_22_20-21M.GRCh37.fa.gz" if data_dir else None
    if source is None or not source.is_file():
        pytest.skip("shared genomics reference not available")
    root = tmp_path_factory.mktemp("lag_patient")
    genome = {CONTIG: next(iter(read_fasta(source).values()))[SLICE[0]:SLICE[1]]}
    ref = root / "ref.fa.gz"
    with gzip.open(ref, "wt") as handle:
        handle.write(f">{CONTIG}\n" + "\n".join(genome[CONTIG][i:i + 60] for i in range(0, 100_000, 60)) + "\n")
    import subprocess

    fastq = []
    for index, hap in enumerate(build_haplotypes(genome, EVENTS)):
        fasta = root / f"hap{index}.fa"
        fasta.write_text(f">{CONTIG}\n{hap[CONTIG]}\n")
        pairs = 15 * len(hap[CONTIG]) // 300
        r1, r2 = root / f"h{index}_1.fq", root / f"h{index}_2.fq"
        subprocess.run(["wgsim", "-e", "0.002", "-r", "0.001", "-d", "450", "-s", "50", "-N", str(pairs), "-1",
                        "150", "-2", "150", "-S", str(7 + index), str(fasta), str(r1), str(r2)],
                       check=True, capture_output=True)
        fastq.append((r1, r2))
    for mate in (0, 1):
        with gzip.open(root / f"P1_R{mate + 1}.fq.gz", "wt", compresslevel=1) as out:
            for index, pair in enumerate(fastq):
                for number, line in enumerate(pair[mate].read_text().splitlines(keepends=True)):
                    out.write(f"@h{index}_{line[1:]}" if number % 4 == 0 else line)
    truth = write_truth_vcf(EVENTS, genome, root / "truth.vcf.gz", "P1")
    return {"root": root, "ref": ref, "r1": root / "P1_R1.fq.gz", "r2": root / "P1_R2.fq.gz", "truth": truth}


@pytest.fixture(scope="session")
def called(patient: dict[str, Path]) -> dict[str, object]:
    """``iasante lag run`` on the patient (the only full workflow run of the session)."""
    out = patient["root"] / "out"
    started = time.monotonic()
    result = invoke(["run", "--fastq", str(patient["r1"]), str(patient["r2"]), "--reference", str(patient["ref"]),
                     "--out", str(out)])
    return {"result": result, "out": out, "seconds": time.monotonic() - started}


def test_run_publishes_indexed_vcf_and_qc(called: dict[str, object]) -> None:
    result, out = called["result"], Path(called["out"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "has no FASTA/BWA index; building one" in result.output  # type: ignore[attr-defined]
    vcf, tbi, html = out / "P1.sv.vcf.gz", out / "P1.sv.vcf.gz.tbi", out / "P1.qc.html"
    assert vcf.is_file() and tbi.is_file() and html.is_file()
    with pysam.VariantFile(str(vcf)) as handle:
        header = str(handle.header)
        records = list(handle.fetch(CONTIG))  # the index works with the original contig name
    assert "##fileformat=VCFv4.2" in header and f"##contig=<ID={CONTIG},length=100000>" in header
    for key in ("SVTYPE", "END", "SVLEN", "CIPOS", "CIEND", "SUPPORT", "CALLERS", "ISCN"):
        assert f"##INFO=<ID={key}," in header
    assert {r.info["SVTYPE"] for r in records} >= {"DEL", "DUP", "INV"}
    deletion = next(r for r in records if r.info["SVTYPE"] == "DEL")
    assert abs(deletion.pos - 15_000) <= 50 and abs(deletion.stop - 18_000) <= 50
    assert deletion.info["ISCN"] == "del(22)(q11.21q11.21)" and deletion.info["SUPPORT"] >= 2
    assert deletion.samples["P1"]["GT"] == (0, 1)
    page = html.read_text()
    assert "mapping rate" in page and "insert size mean (bp)" in page and "<svg" in page


def test_run_finds_the_planted_events(called: dict[str, object]) -> None:
    """Each planted event is called once, with the right type and breakpoints within 100 bp; nothing else."""
    with pysam.VariantFile(str(Path(called["out"]) / "P1.sv.vcf.gz")) as handle:  # type: ignore[arg-type]
        records = [(r.info["SVTYPE"], r.pos, r.stop) for r in handle]
    assert len(records) == len(EVENTS)
    for event in EVENTS:
        assert any(t == event.svtype and abs(p - event.start) <= 100 and abs(e - event.end) <= 100
                   for t, p, e in records), (event, records)


def test_job_target_runs_through_core_jobs(called: dict[str, object], patient: dict[str, Path],
                                           iasante_home: Path) -> None:
    """The job target reruns the same sample: Snakemake resumes (nothing recomputed, same published VCF)."""
    from iasante.core import jobs

    out = Path(called["out"])  # type: ignore[arg-type]
    before = (out / "P1.sv.vcf.gz").read_bytes()
    bam_mtime = (out / ".lag_work" / "P1" / "align" / "P1.bam").stat().st_mtime
    job = jobs.run_now("lag.calling", "iasante.lag.calling:run_job",
                       {"fastq": [str(patient["r1"]), str(patient["r2"])], "reference": str(patient["ref"]),
                        "out_dir": str(called["out"]), "sample": "P1"}, owner="tester")
    assert job.status == JobStatus.succeeded, job.error
    assert job.result["calls"] == len(EVENTS) and job.result["sv_vcf_gz"].endswith("P1.sv.vcf.gz")
    assert job.result["resumed"] is True
    assert (out / ".lag_work" / "P1" / "align" / "P1.bam").stat().st_mtime == bam_mtime
    assert (out / "P1.sv.vcf.gz").read_bytes() == before


def _fastq(path: Path, names: list[str], truncate: bool = False) -> Path:
    text = "".join(f"@{n}\nACGTACGTAC\n+\nIIIIIIIIII\n" for n in names)
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    if truncate:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    return path


def test_check_inputs_reports_every_problem(tmp_path: Path, patient: dict[str, Path]) -> None:
    r1 = _fastq(tmp_path / "a_R1.fq.gz", ["r1", "r2", "r3"])
    r2 = _fastq(tmp_path / "a_R2.fq.gz", ["r1", "r2"])
    with pytest.raises(InputDataError, match="unpaired FASTQ"):
        check_inputs(patient["ref"], [r1, r2])
    truncated = _fastq(tmp_path / "t_R2.fq.gz", [f"r{i}" for i in range(2000)], truncate=True)
    with pytest.raises(InputDataError, match="t_R2.fq.gz: truncated"):
        check_inputs(patient["ref"], [r1, truncated])
    empty = tmp_path / "e_R1.fq"
    empty.write_text("")
    not_fasta = tmp_path / "ref.txt"
    not_fasta.write_text("hello\n")
    with pytest.raises(InputDataError) as info:
        check_inputs(not_fasta, [empty, r2], sample="bad name!")
    message = str(info.value)
    assert "ref.txt: not a FASTA" in message and "e_R1.fq: empty FASTQ" in message and "sample name" in message


def test_check_inputs_rejects_bam_with_other_contig_names(tmp_path: Path, patient: dict[str, Path]) -> None:
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": "chr22", "LN": 100_000}]}
    bam = tmp_path / "x.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header):
        pass
    with pytest.raises(InputDataError, match="contig names do not match the reference: chr22"):
        check_inputs(patient["ref"], bam=bam)


def test_cli_bad_inputs_exit_2_naming_the_input(tmp_path: Path, patient: dict[str, Path]) -> None:
    r1 = _fastq(tmp_path / "b_R1.fq.gz", ["r1", "r2"])
    r2 = _fastq(tmp_path / "b_R2.fq.gz", ["r1", "r2"], truncate=True)
    result = invoke(["run", "--fastq", str(r1), str(r2), "--reference", str(patient["ref"]), "--out",
                     str(tmp_path / "o")])
    assert result.exit_code == 2 and "b_R2.fq.gz" in result.output
    assert not list((tmp_path / "o").glob("*.vcf.gz"))
    missing = invoke(["run", "--fastq", str(r1), str(tmp_path / "nope.fq"), "--reference", str(patient["ref"]),
                      "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "nope.fq: file not found" in missing.output


def test_sample_names_from_fastq_names() -> None:
    assert sample_name_from(Path("/x/P12_R1.fq.gz")) == "P12"
    assert sample_name_from(Path("HG002.R1.fastq")) == "HG002"
    assert sample_name_from(Path("S_1_001.fastq.gz")) == "S"


def test_simulate_and_evaluate_commands(tmp_path: Path, patient: dict[str, Path]) -> None:
    sim = invoke(["simulate", "--reference", str(patient["ref"]), "--out", str(tmp_path / "sim"), "--sample", "Q",
                  "--coverage", "2", "--del", "1", "--dup", "0", "--inv", "1", "--ins", "0", "--max-size", "3000"])
    assert sim.exit_code == 0, sim.output
    truth = tmp_path / "sim" / "Q.truth.vcf.gz"
    assert (tmp_path / "sim" / "Q_R1.fq.gz").is_file() and truth.is_file()
    shutil.copy(truth, tmp_path / "copy.vcf.gz")
    shutil.copy(str(truth) + ".tbi", tmp_path / "copy.vcf.gz.tbi")
    scored = invoke(["evaluate", "--calls", str(tmp_path / "copy.vcf.gz"), "--truth", str(truth), "--out",
                     str(tmp_path / "eval")])
    assert scored.exit_code == 0, scored.output
    assert '"recall": 1.0' in scored.output and '"precision": 1.0' in scored.output


def test_failed_run_keeps_the_earlier_result(called: dict[str, object], patient: dict[str, Path],
                                             tmp_path: Path) -> None:
    """Reads of another genome fail the mapping check (exit 2) and leave the published files untouched.

    Runs last: it leaves the shared work folder mid-way (as a real failed run would).
    """
    out = Path(called["out"])  # type: ignore[arg-type]
    before = {p.name: p.read_bytes() for p in out.glob("P1.*")}
    import random

    rng = random.Random(0)
    for mate in (1, 2):
        with gzip.open(tmp_path / f"X_R{mate}.fq.gz", "wt") as handle:
            for i in range(500):
                handle.write(f"@r{i}/{mate}\n{''.join(rng.choice('ACGT') for _ in range(100))}\n+\n{'I' * 100}\n")
    result = invoke(["run", "--fastq", str(tmp_path / "X_R1.fq.gz"), str(tmp_path / "X_R2.fq.gz"), "--reference",
                     str(patient["ref"]), "--out", str(out), "--sample", "P1"])
    assert result.exit_code == 2
    assert "do not match the reference" in result.output
    assert {p.name: p.read_bytes() for p in out.glob("P1.*")} == before
