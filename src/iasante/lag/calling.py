"""Run the SV/CNV calling workflow for one sample: check inputs, run Snakemake, resume, publish atomically.

Why: the users are clinicians and biologists, not bioinformaticians. Every input problem is reported at once
before any compute starts; a failed or interrupted run keeps its work folder (``DIR/.lag_work/NAME``) so a
rerun resumes where it stopped, and the published files (``DIR/NAME.sv.vcf.gz`` + ``.tbi``,
``DIR/NAME.qc.html``) are replaced only after a complete, successful run.
"""

from __future__ import annotations

import fcntl
import gzip
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError, ExternalToolError, InputDataError, look_up_option
from iasante.lag.workflow import PROFILES_DIR, SNAKEFILE

__all__ = ["run_calling", "check_inputs", "run_job", "sample_name_from", "PUBLISHED_SUFFIXES"]

PUBLISHED_SUFFIXES = (".sv.vcf.gz", ".sv.vcf.gz.tbi", ".qc.html")
CALLERS = ("delly", "lumpy", "tiddit", "cnvkit")
BASE_TOOLS = ("bwa", "samtools", "SURVIVOR")
_SAMPLE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_STEPS = re.compile(r"(\d+) of (\d+) steps")
_FASTQ_CHECK_RECORDS = 20_000
# Larger FASTQ files (whole genomes) are checked on their first records only: a full Python scan of 100 GB
# would take longer than the alignment; bwa then stops on a truncated or unpaired tail (exit 6, its log named).
_FULL_SCAN_MAX_BYTES = 2 * 1024**3
ProgressCallback = Callable[[float, str], None]


def sample_name_from(fastq: Path) -> str:
    """Sample name from an R1 file name, e.g. ``P1_R1.fq.gz`` -> ``P1``."""
    name = Path(fastq).name
    name = re.sub(r"\.(fastq|fq)(\.gz)?$", "", name)
    name = re.sub(r"([._-]R?1)(_001)?$", "", name)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip("._-")
    return name or "sample"


def _open_text(path: Path) -> Any:
    with open(path, "rb") as handle:
        magic = handle.read(2)
    return gzip.open(path, "rt") if magic == b"\x1f\x8b" else open(path)


def _read_pair_names(path: Path) -> tuple[list[str], int]:
    """Names of the first records and the record count (-1: not counted, file too large to scan).

    Raises InputDataError on an empty, malformed, truncated or corrupt FASTQ.
    """
    names: list[str] = []
    count = 0
    full_scan = Path(path).stat().st_size <= _FULL_SCAN_MAX_BYTES
    try:
        with _open_text(path) as handle:
            while True:
                header = handle.readline()
                if not header:
                    break
                seq, plus, qual = handle.readline(), handle.readline(), handle.readline()
                if not header.startswith("@") or not plus.startswith("+"):
                    raise InputDataError(f"{path}: not a FASTQ file (record {count + 1} is malformed)")
                if not qual or len(seq.rstrip("\n")) != len(qual.rstrip("\n")):
                    raise InputDataError(f"{path}: truncated FASTQ (record {count + 1} is incomplete)")
                if count < _FASTQ_CHECK_RECORDS:
                    names.append(re.sub(r"/[12]$", "", header[1:].split()[0]))
                elif not full_scan:
                    return names, -1
                count += 1
    except (EOFError, OSError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise InputDataError(f"{path}: truncated or corrupt FASTQ ({exc})") from exc
    if count == 0:
        raise InputDataError(f"{path}: empty FASTQ (no reads)")
    return names, count


def _reference_contigs(reference: Path) -> list[str]:
    """Contig names of a (gzipped) FASTA (from its .fai when present); raise InputDataError if not FASTA."""
    fai = Path(str(reference) + ".fai")
    if fai.is_file() and fai.stat().st_mtime >= Path(reference).stat().st_mtime:
        with _open_text(reference) as handle:
            if not handle.readline().startswith(">"):
                raise InputDataError(f"{reference}: not a FASTA file (first line must start with '>')")
        return [line.split("\t")[0] for line in fai.read_text().splitlines() if line]
    names: list[str] = []
    try:
        with _open_text(reference) as handle:
            first = handle.readline()
            if not first.startswith(">"):
                raise InputDataError(f"{reference}: not a FASTA file (first line must start with '>')")
            names.append(first[1:].split()[0] if first[1:].strip() else "")
            for line in handle:
                if line.startswith(">"):
                    names.append(line[1:].split()[0])
    except (EOFError, OSError, UnicodeDecodeError, gzip.BadGzipFile) as exc:
        raise InputDataError(f"{reference}: truncated or corrupt FASTA ({exc})") from exc
    if "" in names:
        raise InputDataError(f"{reference}: a FASTA header has no contig name")
    return names


def _check_alignment(bam: Path, contigs: list[str]) -> list[str]:
    import pysam

    try:
        with pysam.AlignmentFile(str(bam), check_sq=False) as aln:
            names = list(aln.references)
    except (OSError, ValueError) as exc:
        return [f"{bam}: not a readable BAM/CRAM ({exc})"]
    unknown = [n for n in names if n not in set(contigs)]
    if not names:
        return [f"{bam}: no @SQ contigs in the header"]
    if unknown:
        hint = f" (reference has {', '.join(contigs[:3])}{'...' if len(contigs) > 3 else ''})"
        return [f"{bam}: contig names do not match the reference: {', '.join(unknown[:5])}{hint}"]
    return []


def check_inputs(
    reference: Path, fastq: Sequence[Path] | None = None, bam: Path | None = None, sample: str | None = None
) -> None:
    """Check every input and raise one InputDataError listing all problems (nothing runs before this)."""
    problems: list[str] = []
    if sample is not None and not _SAMPLE.match(sample):
        problems.append(f"sample name {sample!r}: use letters, digits, '_', '.', '-' (at most 64)")
    if bool(fastq) == bool(bam):
        problems.append("give either --fastq R1 R2 or --bam FILE")
    paths = [Path(reference), *(fastq or []), *([bam] if bam else [])]
    missing = [p for p in paths if not Path(p).is_file()]
    problems += [f"{p}: file not found" for p in missing]
    if missing:
        raise InputDataError("; ".join(problems))
    contigs: list[str] = []
    try:
        contigs = _reference_contigs(Path(reference))
    except InputDataError as exc:
        problems.append(str(exc))
    if fastq:
        if len(fastq) != 2:
            problems.append("--fastq needs exactly two files (R1 and R2)")
        else:
            found = []
            for path in fastq:
                try:
                    found.append(_read_pair_names(Path(path)))
                except InputDataError as exc:
                    problems.append(str(exc))
            if len(found) == 2:
                (names1, count1), (names2, count2) = found
                if min(count1, count2) >= 0 and count1 != count2:
                    problems.append(f"{fastq[0]}, {fastq[1]}: unpaired FASTQ ({count1} vs {count2} reads)")
                elif names1 != names2:
                    problems.append(f"{fastq[0]}, {fastq[1]}: unpaired FASTQ (read names differ between R1 and R2)")
    if bam and contigs:
        problems += _check_alignment(Path(bam), contigs)
    if problems:
        raise InputDataError("; ".join(problems))


def _check_tools(callers: Sequence[str]) -> None:
    needed = [*BASE_TOOLS, *({"lumpy": "lumpyexpress"}.get(c, c) for c in callers)]
    missing = [t for t in needed if shutil.which(t) is None]
    if missing:
        raise ExternalToolError(f"missing programs on PATH: {', '.join(missing)}")


@contextmanager
def _locked(work: Path) -> Iterator[None]:
    """Refuse two runs writing the same work folder at once (Snakemake's own lock is bypassed)."""
    work.mkdir(parents=True, exist_ok=True)
    with open(work / ".iasante.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise InputDataError(f"{work}: another run is already using this output folder") from exc
        yield


def _failure(work: Path, output: str) -> Exception:
    """Turn a failed Snakemake run into a clear error naming the rule and its log."""
    executor = re.search(r"argument --executor/-e: invalid choice: '([\w-]+)'", output)
    if executor:
        return ConfigError(
            f"profile: Snakemake executor {executor.group(1)!r} is not installed "
            f"(pip install snakemake-executor-plugin-{executor.group(1)})"
        )
    failed = re.findall(r"Error in rule (\w+)", output)
    rule = failed[0] if failed else "?"
    block = output[output.find("Error in rule") :] if failed else ""
    named = re.search(r"log: (logs/\S+?\.log)", block)  # Snakemake names the failed job's log
    logs = [work / named.group(1)] if named and (work / named.group(1)).is_file() else []
    tail = logs[0].read_text(errors="replace").strip().splitlines()[-3:] if logs else output.splitlines()[-3:]
    message = " | ".join(line.strip() for line in tail)
    if "do not match the reference" in message:  # the mapping-rate gate closing the alignment rule
        return InputDataError(f"reads: {next(p for p in message.split(' | ') if 'do not match' in p)}")
    if rule == "prepare_reference":
        return InputDataError(f"reference: could not index it ({message})")
    if "MissingInputException" in output or "WorkflowError" in output and rule == "?":
        return InputDataError(f"workflow configuration: {output.strip().splitlines()[-1]}")
    return ExternalToolError(f"rule {rule} failed ({message}); log: {logs[0] if logs else work / 'logs'}")


def _publish(work: Path, out_dir: Path, sample: str) -> dict[str, str]:
    """Copy results next to the user's folder under temporary names, then rename them into place."""
    staged = []
    for suffix in PUBLISHED_SUFFIXES:
        source = work / "results" / f"{sample}{suffix}"
        temp = out_dir / f".{sample}{suffix}.partial"
        shutil.copyfile(source, temp)
        staged.append((temp, out_dir / f"{sample}{suffix}"))
    for temp, final in staged:
        os.replace(temp, final)
    return {
        suffix.strip(".").replace(".", "_"): str(final)
        for suffix, (_, final) in zip(PUBLISHED_SUFFIXES, staged, strict=True)
    }


def _count_calls(vcf_gz: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with gzip.open(vcf_gz, "rt") as handle:
        for line in handle:
            if not line.startswith("#"):
                svtype = re.search(r"SVTYPE=([A-Z]+)", line)
                key = svtype.group(1) if svtype else "?"
                counts[key] = counts.get(key, 0) + 1
    return counts


def run_calling(
    reference: Path,
    out_dir: Path,
    fastq: Sequence[Path] | None = None,
    bam: Path | None = None,
    sample: str | None = None,
    cores: int = 2,
    callers: Sequence[str] = CALLERS,
    profile: str | None = None,
    genome_build: str = "GRCh37",
    on_progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """FASTQ (or BAM/CRAM) to ``out_dir/NAME.sv.vcf.gz`` (+ .tbi) and ``NAME.qc.html``.

    Args:
        reference: FASTA (plain or gzip) of the build named by ``genome_build``.
        out_dir: folder of the published files; the work folder ``.lag_work/NAME`` lives inside it.
        fastq: paired FASTQ files (R1, R2), or None with ``bam``.
        bam: aligned BAM/CRAM with the reference's contig names.
        sample: sample name (default from the R1 or BAM file name).
        cores: cores for Snakemake (local) or jobs in flight (cluster profiles).
        callers: subset of delly, lumpy, tiddit, cnvkit.
        profile: None (local), a shipped profile name (slurm, kubernetes, azure-batch) or a profile folder.
        on_progress: ``callback(fraction, message)``.

    Returns:
        paths of the published files, call counts per type, QC metrics and wall-clock seconds.
    """
    started = time.monotonic()
    for caller in callers:
        look_up_option(caller, CALLERS, "caller")
    if not [c for c in callers if c != "cnvkit"]:
        raise InputDataError("callers: at least one of delly, lumpy, tiddit is needed")
    source = fastq[0] if fastq else bam
    sample = sample or sample_name_from(Path(source)) if source else sample
    check_inputs(Path(reference), fastq, bam, sample)
    assert sample is not None
    _check_tools(callers)
    out_dir = Path(out_dir).resolve()
    work = out_dir / ".lag_work" / sample
    data_dir = get_settings().data_dir
    cytoband = ""
    if data_dir is not None and genome_build in {"GRCh37", "GRCh38"}:
        table = (
            data_dir / "genomics" / "cytoband" / f"chromosome.band.{'hg19' if genome_build == 'GRCh37' else 'hg38'}.txt"
        )
        cytoband = str(table) if table.is_file() else ""
    config: dict[str, Any] = {
        "sample": sample,
        "reference": str(Path(reference).resolve()),
        "genome_build": genome_build,
        "cytoband": cytoband,
        "callers": list(callers),
        "threads": max(1, cores),
        "python": sys.executable,
    }
    if fastq:
        config["fastq"] = [str(Path(p).resolve()) for p in fastq]
    else:
        config["bam"] = str(Path(bam).resolve())  # type: ignore[arg-type]
    with _locked(work):
        (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        output = _run_snakemake(work, cores, profile, on_progress)
        n_calls = _count_calls(work / "results" / f"{sample}.sv.vcf.gz")
        published = _publish(work, out_dir, sample)
    from iasante.lag.qc import summarise_qc

    genome_bp = sum(int(r.split("\t")[2]) for r in (work / "ref" / "contigs.tsv").read_text().splitlines() if r)
    qc = summarise_qc(work / "qc" / f"{sample}.stats.txt", work / "qc" / f"{sample}.flagstat.json", genome_bp)
    if on_progress:
        on_progress(1.0, "done")
    return {
        "sample": sample,
        **published,
        "calls": sum(n_calls.values()),
        "calls_by_type": n_calls,
        "qc": qc,
        "seconds": round(time.monotonic() - started, 1),
        "work_dir": str(work),
        "resumed": "Nothing to be done" in output,
    }


def _profile_args(profile: str | None, cores: int) -> list[str]:
    if profile is None:  # greedy: the default ILP scheduler starts a solver per round, costly on small runs
        return ["--cores", str(cores), "--scheduler", "greedy"]
    shipped = PROFILES_DIR / profile
    folder = shipped if shipped.is_dir() else Path(profile)
    if not (folder / "config.yaml").is_file():
        names = sorted(p.name for p in PROFILES_DIR.iterdir() if p.is_dir())
        raise InputDataError(f"profile {profile!r}: not found; shipped profiles: {', '.join(names)}")
    return ["--profile", str(folder.resolve())]


def _run_snakemake(work: Path, cores: int, profile: str | None, on_progress: ProgressCallback | None) -> str:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(SNAKEFILE),
        "--configfile",
        str(work / "config.yaml"),
        "--directory",
        str(work),
        "--rerun-incomplete",
        "--nolock",
        *_profile_args(profile, cores),
    ]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            lines.append(line)
            match = _STEPS.search(line)
            if match and on_progress:  # the callback may raise (job cancelled): Snakemake is stopped below
                done, total = int(match.group(1)), int(match.group(2))
                on_progress(0.02 + 0.97 * done / max(total, 1), f"{done}/{total} steps")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    output = "".join(lines)
    if proc.wait() != 0:
        raise _failure(work, output)
    return output


def run_job(ctx: Any, **params: Any) -> dict[str, Any]:
    """Job target (``iasante.lag.calling:run_job``) for the web/job runner; params as :func:`run_calling`."""
    fastq = params.pop("fastq", None)
    ctx.log(f"calling SVs for {params.get('sample') or 'sample'}")
    result = run_calling(
        reference=Path(params.pop("reference")),
        out_dir=Path(params.pop("out_dir")),
        fastq=[Path(p) for p in fastq] if fastq else None,
        bam=Path(params["bam"]) if params.get("bam") else None,
        sample=params.get("sample"),
        cores=int(params.get("cores", 2)),
        profile=params.get("profile"),
        on_progress=ctx.progress,
    )
    ctx.log(f"{result['calls']} events published to {result['sv_vcf_gz']}")
    return result
