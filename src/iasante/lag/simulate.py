"""Simulation kit: plant structural variants into a reference, simulate paired reads, score calls.

Why: the calling workflow needs a truth set to be tuned and benchmarked on, and real truth sets for short-read
SV calling at 1-100 kb are scarce. Planting events into a real reference slice keeps the sequence context real
(repeats, GC) while the truth is exact.

Coordinates: :class:`PlantedSV` positions are 0-based half-open on the input reference (whatever build it is,
GRCh37 for the shipped chr22 slice); the truth VCF follows VCF 4.2 (1-based, POS = base before the event).
"""

from __future__ import annotations

import gzip
import json
import math
import random
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from iasante.core.errors import ExternalToolError, InputDataError, look_up_option
from iasante.lag.workflow.scoring import score_calls

__all__ = ["PlantedSV", "plan_events", "simulate_patient", "read_fasta", "write_truth_vcf", "score_calls"]

SV_TYPES = ("DEL", "DUP", "INV", "INS", "TRA")
SIMULATORS = ("wgsim", "art", "dwgsim")
_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


@dataclass(frozen=True)
class PlantedSV:
    """One planted event.

    Attributes:
        chrom: contig of the event (for TRA, the first contig).
        start: 0-based first affected base (INS: insertion point, the new bases go before ``start``).
        end: 0-based exclusive end (INS and TRA: equal to ``start``).
        svtype: DEL, DUP (tandem), INV, INS (novel sequence) or TRA (reciprocal, tail exchange).
        genotype: "0/1" (first haplotype only) or "1/1".
        seq: inserted sequence for INS, else "".
        chrom2, start2: partner breakpoint of a TRA (0-based), else "" and -1.
    """

    chrom: str
    start: int
    end: int
    svtype: str
    genotype: str
    seq: str = ""
    chrom2: str = ""
    start2: int = -1

    @property
    def size_bp(self) -> int:
        """Event length in bp (INS: inserted length; TRA: 0)."""
        return len(self.seq) if self.svtype == "INS" else self.end - self.start


def read_fasta(path: Path) -> dict[str, str]:
    """Read a (gzipped) FASTA into ``{contig: sequence}`` (upper case); raise InputDataError if malformed."""
    if not Path(path).is_file():
        raise InputDataError(f"{path}: no such FASTA file")
    contigs: dict[str, list[str]] = {}
    name = None
    try:
        with open(path, "rb") as probe:
            opener = gzip.open if probe.read(2) == b"\x1f\x8b" else open
        with opener(path, "rt") as handle:
            for line in handle:
                line = line.strip()
                if line.startswith(">"):
                    name = line[1:].split()[0]
                    contigs[name] = []
                elif line:
                    if name is None:
                        raise InputDataError(f"{path}: not a FASTA file (sequence before the first '>')")
                    contigs[name].append(line.upper())
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: unreadable FASTA ({exc})") from exc
    if not contigs:
        raise InputDataError(f"{path}: no FASTA record found")
    return {key: "".join(parts) for key, parts in contigs.items()}


def _revcomp(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


def plan_events(
    genome: dict[str, str],
    counts: dict[str, int],
    min_size_bp: int = 1000,
    max_size_bp: int = 100_000,
    ins_size_bp: tuple[int, int] = (100, 400),
    hom_fraction: float = 0.3,
    seed: int = 0,
    margin_bp: int = 5000,
) -> list[PlantedSV]:
    """Draw non-overlapping events at random (log-uniform sizes) away from contig ends and N runs.

    Args:
        genome: ``{contig: sequence}``.
        counts: number of events per type, e.g. ``{"DEL": 3, "DUP": 3, "INV": 3, "INS": 2, "TRA": 0}``.
        min_size_bp, max_size_bp: size range of DEL/DUP/INV.
        ins_size_bp: size range of inserted novel sequence.
        hom_fraction: fraction of homozygous events (the rest are heterozygous).
        seed: random seed.
        margin_bp: minimal distance between events and from contig ends.

    Returns:
        events sorted by contig and start.
    """
    rng = random.Random(seed)
    for svtype in counts:
        look_up_option(svtype, SV_TYPES, "SV type")
    if counts.get("TRA", 0) and len(genome) < 2:
        raise InputDataError("translocations need a reference with at least two contigs")
    for _ in range(50):  # a crowded draw is retried from scratch rather than biased towards small events
        events = _draw_events(genome, counts, min_size_bp, max_size_bp, ins_size_bp, hom_fraction, rng, margin_bp)
        if events is not None:
            return sorted(events, key=lambda e: (list(genome).index(e.chrom), e.start))
    raise InputDataError(f"cannot place {sum(counts.values())} events of up to {max_size_bp} bp: reference too small")


def _draw_events(
    genome: dict[str, str],
    counts: dict[str, int],
    min_size_bp: int,
    max_size_bp: int,
    ins_size_bp: tuple[int, int],
    hom_fraction: float,
    rng: random.Random,
    margin_bp: int,
) -> list[PlantedSV] | None:
    """One random draw of events (largest placed first); None when they do not fit."""
    taken: dict[str, list[tuple[int, int]]] = {c: [] for c in genome}

    def _place(size: int, chrom: str | None = None) -> tuple[str, int] | None:
        names = [chrom] if chrom else [c for c in genome if len(genome[c]) > size + 2 * margin_bp]
        for _ in range(2000 if names else 0):
            name = rng.choice(names)
            start = rng.randrange(margin_bp, len(genome[name]) - margin_bp - size)
            end = start + size
            if "N" in genome[name][max(0, start - 300) : end + 300]:
                continue
            if all(end + margin_bp <= a or start >= b + margin_bp for a, b in taken[name]):
                taken[name].append((start, end))
                return name, start
        return None

    plans: list[tuple[str, int]] = []
    for svtype in sorted(counts, key=SV_TYPES.index):
        for _ in range(counts[svtype]):
            if svtype in {"INS", "TRA"}:
                plans.append((svtype, 1))
            else:
                plans.append((svtype, int(round(10 ** rng.uniform(math.log10(min_size_bp), math.log10(max_size_bp))))))
    events: list[PlantedSV] = []
    for svtype, size in sorted(plans, key=lambda plan: -plan[1]):
        genotype = "1/1" if rng.random() < hom_fraction else "0/1"
        if svtype == "TRA":
            first, second = rng.sample(sorted(genome), 2)
            place_a, place_b = _place(1, first), _place(1, second)
            if place_a is None or place_b is None:
                return None
            events.append(PlantedSV(first, place_a[1], place_a[1], "TRA", "0/1", chrom2=second, start2=place_b[1]))
            continue
        placed = _place(size)
        if placed is None:
            return None
        chrom, start = placed
        if svtype == "INS":
            seq = "".join(rng.choice("ACGT") for _ in range(rng.randint(*ins_size_bp)))
            events.append(PlantedSV(chrom, start, start, "INS", genotype, seq=seq))
        else:
            events.append(PlantedSV(chrom, start, start + size, svtype, genotype))
    return events


def _derive_contig(seq: str, events: list[PlantedSV]) -> tuple[str, list[tuple[int, int]]]:
    """Apply intra-contig events; return the new sequence and (original_pos, shift) steps for lookups."""
    pieces: list[str] = []
    shifts: list[tuple[int, int]] = []
    cursor, shift = 0, 0
    for event in sorted(events, key=lambda e: e.start):
        pieces.append(seq[cursor : event.start])
        segment = seq[event.start : event.end]
        if event.svtype == "DEL":
            shift -= len(segment)
        elif event.svtype == "DUP":
            pieces.append(segment + segment)
            shift += len(segment)
        elif event.svtype == "INV":
            pieces.append(_revcomp(segment))
        elif event.svtype == "INS":
            pieces.append(event.seq)
            shift += len(event.seq)
        cursor = event.end
        shifts.append((event.end, shift))
    pieces.append(seq[cursor:])
    return "".join(pieces), shifts


def _shifted(pos: int, shifts: list[tuple[int, int]]) -> int:
    shift = 0
    for boundary, value in shifts:
        if pos >= boundary:
            shift = value
    return pos + shift


def build_haplotypes(genome: dict[str, str], events: list[PlantedSV]) -> list[dict[str, str]]:
    """Return two derived haplotypes; heterozygous events go on the first one."""
    haplotypes = []
    for index in range(2):
        carried = [e for e in events if e.genotype == "1/1" or index == 0]
        derived: dict[str, str] = {}
        shifts: dict[str, list[tuple[int, int]]] = {}
        for chrom, seq in genome.items():
            intra = [e for e in carried if e.chrom == chrom and e.svtype != "TRA"]
            derived[chrom], shifts[chrom] = _derive_contig(seq, intra)
        for tra in (e for e in carried if e.svtype == "TRA"):
            a, b = tra.chrom, tra.chrom2
            pos_a, pos_b = _shifted(tra.start, shifts[a]), _shifted(tra.start2, shifts[b])
            seq_a, seq_b = derived[a], derived[b]
            derived[a], derived[b] = seq_a[:pos_a] + seq_b[pos_b:], seq_b[:pos_b] + seq_a[pos_a:]
        haplotypes.append(derived)
    return haplotypes


def write_truth_vcf(events: list[PlantedSV], genome: dict[str, str], path: Path, sample: str) -> Path:
    """Write the planted events as a sorted VCF 4.2 (bgzipped + tabix-indexed when ``path`` ends in .gz)."""
    header = ["##fileformat=VCFv4.2", "##source=iasante.lag.simulate"]
    header += [f"##contig=<ID={c},length={len(s)}>" for c, s in genome.items()]
    header += [
        '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="Type of structural variant">',
        '##INFO=<ID=END,Number=1,Type=Integer,Description="End position of the variant">',
        '##INFO=<ID=SVLEN,Number=1,Type=Integer,Description="Length of the variant">',
        '##INFO=<ID=CHR2,Number=1,Type=String,Description="Partner contig of a translocation">',
        '##INFO=<ID=POS2,Number=1,Type=Integer,Description="Partner position of a translocation">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    order = list(genome)
    rows = []
    for index, e in enumerate(sorted(events, key=lambda e: (order.index(e.chrom), e.start))):
        pos = max(e.start, 1)  # 1-based position of the base before the event
        ref = genome[e.chrom][pos - 1]
        if e.svtype == "INS":
            alt, end, svlen = ref + e.seq, pos, len(e.seq)
        elif e.svtype == "TRA":
            alt, end, svlen = f"{ref}[{e.chrom2}:{e.start2 + 1}[", pos, 0
        else:
            alt, end = f"<{e.svtype}>", e.end
            svlen = -(e.end - e.start) if e.svtype == "DEL" else e.end - e.start
        info = f"SVTYPE={'BND' if e.svtype == 'TRA' else e.svtype};END={end};SVLEN={svlen}"
        if e.svtype == "TRA":
            info += f";CHR2={e.chrom2};POS2={e.start2 + 1}"
        rows.append("\t".join([e.chrom, str(pos), f"truth{index}", ref, alt, ".", "PASS", info, "GT", e.genotype]))
    text = "\n".join(header + rows) + "\n"
    path = Path(path)
    if path.suffix == ".gz":
        plain = path.with_suffix("")
        plain.write_text(text)
        _run(["bgzip", "-f", str(plain)])
        _run(["tabix", "-f", "-p", "vcf", str(path)])
    else:
        path.write_text(text)
    return path


def _run(cmd: list[str]) -> subprocess.CompletedProcess[bytes]:
    if shutil.which(cmd[0]) is None:
        raise ExternalToolError(f"{cmd[0]}: not installed (needed for simulation)")
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        raise ExternalToolError(f"{cmd[0]} failed: {proc.stderr.decode(errors='replace')[-500:]}")
    return proc


def _simulate_reads(
    fasta: Path, prefix: Path, coverage: float, read_bp: int, fragment_bp: int, simulator: str, seed: int
) -> tuple[Path, Path]:
    """Simulate reads at ``coverage`` (x) from one haplotype FASTA; return the two plain FASTQ paths."""
    length = sum(len(line) for line in fasta.read_text().splitlines() if not line.startswith(">"))
    pairs = max(1, int(round(coverage * length / (2 * read_bp))))
    r1, r2 = prefix.with_name(prefix.name + "_1.fq"), prefix.with_name(prefix.name + "_2.fq")
    # wgsim and dwgsim share their error, mutation and fragment model flags
    shared = ["-r", "0.001", "-R", "0.1", "-d", str(fragment_bp), "-s", str(fragment_bp // 9), "-N", str(pairs),
              "-1", str(read_bp), "-2", str(read_bp)]
    if simulator == "wgsim":
        _run(["wgsim", "-e", "0.002", *shared, "-S", str(seed), str(fasta), str(r1), str(r2)])
    elif simulator == "dwgsim":
        _run(["dwgsim", "-e", "0.002", "-E", "0.002", *shared, "-z", str(seed), "-y", "0", "-o", "1", "-H",
              str(fasta), str(prefix)])
        prefix.with_name(prefix.name + ".bwa.read1.fastq.gz").rename(r1.with_suffix(".fq.gz"))
        prefix.with_name(prefix.name + ".bwa.read2.fastq.gz").rename(r2.with_suffix(".fq.gz"))
        for path in (r1, r2):
            with gzip.open(path.with_suffix(".fq.gz"), "rb") as src, open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
    else:
        _run(["art_illumina", "-ss", "HS25", "-i", str(fasta), "-p", "-l", str(read_bp), "-f", f"{coverage:g}",
              "-m", str(fragment_bp), "-s", str(fragment_bp // 9), "-rs", str(seed), "-na", "-q",
              "-o", str(prefix.with_name(prefix.name + "_"))])
        prefix.with_name(prefix.name + "_1.fq").replace(r1)
        prefix.with_name(prefix.name + "_2.fq").replace(r2)
    return r1, r2


def simulate_patient(
    reference: Path,
    out_dir: Path,
    sample: str = "SIM",
    counts: dict[str, int] | None = None,
    coverage: float = 30.0,
    read_bp: int = 150,
    fragment_bp: int = 450,
    simulator: str = "wgsim",
    seed: int = 0,
    min_size_bp: int = 1000,
    max_size_bp: int = 100_000,
) -> dict[str, object]:
    """Plant events, simulate a diploid genome's paired reads and write the truth set.

    Writes ``out_dir/{sample}_R1.fq.gz``, ``{sample}_R2.fq.gz``, ``{sample}.truth.vcf.gz`` (+ .tbi) and
    ``{sample}.truth.json``. Coverage is the diploid total (each haplotype gets half).

    Returns:
        a summary dict with the paths and the planted events.
    """
    look_up_option(simulator, SIMULATORS, "simulator")
    counts = counts if counts is not None else {"DEL": 4, "DUP": 4, "INV": 4, "INS": 2}
    genome = read_fasta(reference)
    events = plan_events(genome, counts, min_size_bp=min_size_bp, max_size_bp=max_size_bp, seed=seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    r1_out, r2_out = out_dir / f"{sample}_R1.fq.gz", out_dir / f"{sample}_R2.fq.gz"
    with tempfile.TemporaryDirectory(prefix="lag_sim_") as tmp:
        outputs: list[tuple[Path, Path]] = []
        for index, hap in enumerate(build_haplotypes(genome, events)):
            fasta = Path(tmp) / f"hap{index}.fa"
            fasta.write_text("".join(f">{c}\n{s}\n" for c, s in hap.items()))
            outputs.append(
                _simulate_reads(
                    fasta,
                    Path(tmp) / f"hap{index}",
                    coverage / 2,
                    read_bp,
                    fragment_bp,
                    simulator,
                    seed * 2 + index + 1,
                )
            )
        for target, column in ((r1_out, 0), (r2_out, 1)):
            with gzip.open(target, "wb", compresslevel=1) as dst:
                for index, pair in enumerate(outputs):
                    _copy_fastq(pair[column], dst, f"h{index}_")
    truth = write_truth_vcf(events, genome, out_dir / f"{sample}.truth.vcf.gz", sample)
    summary: dict[str, object] = {
        "sample": sample,
        "reference": str(reference),
        "coverage": coverage,
        "read_bp": read_bp,
        "fragment_bp": fragment_bp,
        "simulator": simulator,
        "seed": seed,
        "fastq": [str(r1_out), str(r2_out)],
        "truth_vcf": str(truth),
        "events": [asdict(e) | {"size_bp": e.size_bp} for e in events],
    }
    (out_dir / f"{sample}.truth.json").write_text(json.dumps(summary, indent=1))
    return summary


def _copy_fastq(src: Path, dst: object, prefix: str) -> None:
    """Copy FASTQ records, prefixing read names so both haplotypes' names stay unique."""
    with open(src, "rb") as handle:
        for number, line in enumerate(handle):
            if number % 4 == 0:
                line = b"@" + prefix.encode() + line[1:]
            dst.write(line)  # type: ignore[attr-defined]
