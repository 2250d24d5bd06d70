"""Prepare the reference for the workflow: safe contig names, FASTA index, BWA index and accessible regions.

Why: CNVkit (pyfaidx) and region strings in samtools cannot handle contig names such as
``22:20000001-21000000``; such names are replaced by aliases (``22_20000001_21000000``) inside the work folder
and mapped back in the published VCF. Existing indexes next to a plain FASTA with safe names are reused
(linked), so a whole-genome BWA index is never rebuilt; otherwise they are built (the issue's "index
built when missing"). The accessible regions for CNVkit (``access.bed``, what ``cnvkit access`` writes) are
found here, in the pass that already reads the FASTA: a separate ``cnvkit access`` job costs a CNVkit start-up
(~1.5 CPU s) on the critical path of every run.

Usage: ``python -m iasante.lag.workflow.reference REF.fa OUT_DIR``; writes ``OUT_DIR/genome.fa`` (+ .fai and
BWA files), ``OUT_DIR/contigs.tsv`` (alias, original name, length in bp) and ``OUT_DIR/access.bed``.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from pathlib import Path

__all__ = ["alias_for", "read_contig_map", "prepare_reference", "accessible_regions", "BWA_SUFFIXES"]

BWA_SUFFIXES = (".amb", ".ann", ".bwt", ".pac", ".sa")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")
_N_RUN = re.compile(r"N+")
# cnvkit access defaults: contigs that CNVkit skips (goleft indexcov's list) and the smallest gap kept.
_NONCANONICAL = re.compile(r"^chrEBV$|^NC|_random$|Un_|^HLA\-|_alt$|hap\d$|chrM|MT")
ACCESS_MIN_GAP_BP = 5000


def alias_for(name: str) -> str:
    """Safe alias of a contig name.

    >>> alias_for("22:20000001-21000000")
    '22_20000001_21000000'
    """
    return _UNSAFE.sub("_", name)


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def read_contig_map(path: Path) -> dict[str, str]:
    """``{alias: original}`` from a ``contigs.tsv`` written by :func:`prepare_reference`."""
    rows = (line.split("\t") for line in Path(path).read_text().splitlines() if line)
    return {row[0]: row[1] for row in rows}


def accessible_regions(fasta: Path, min_gap_bp: int = ACCESS_MIN_GAP_BP) -> list[tuple[str, int, int]]:
    """Regions outside runs of N, joined over gaps shorter than ``min_gap_bp`` (as ``cnvkit access``).

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "r.fa"
    >>> _ = path.write_text(">c1\\nACGTNNNNAC\\nGT\\n>chrM\\nACGT\\n")
    >>> accessible_regions(path, min_gap_bp=2), accessible_regions(path, min_gap_bp=5)
    ([('c1', 0, 4), ('c1', 8, 12)], [('c1', 0, 12)])
    """
    runs: dict[str, list[list[int]]] = {}
    contig, cursor, current = "", 0, None
    with open(fasta) as handle:
        for line in handle:
            if line.startswith(">"):
                contig, cursor = line[1:].split()[0], 0
                current = runs.setdefault(contig, []) if not _NONCANONICAL.search(contig) else None
                continue
            line = line.rstrip()
            if current is not None:
                start = 0
                for gap in _N_RUN.finditer(line) if "N" in line else ():
                    if gap.start() > start:
                        _extend(current, cursor + start, cursor + gap.start(), min_gap_bp)
                    start = gap.end()
                if start < len(line):
                    _extend(current, cursor + start, cursor + len(line), min_gap_bp)
            cursor += len(line)
    return [(name, lo, hi) for name, spans in runs.items() for lo, hi in spans]


def _extend(spans: list[list[int]], lo: int, hi: int, min_gap_bp: int) -> None:
    """Append ``[lo, hi)``, joined to the last span when they touch or the gap between is short."""
    if spans and lo - spans[-1][1] < min_gap_bp:
        spans[-1][1] = hi
    else:
        spans.append([lo, hi])


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr[-800:]}")


def _link(src: Path, dst: Path) -> None:
    if dst.is_symlink() or dst.exists():
        dst.unlink()
    dst.symlink_to(src.resolve())


def prepare_reference(reference: Path, out_dir: Path) -> Path:
    """Write ``out_dir/genome.fa`` with safe names and its indexes; return its path."""
    reference, out_dir = Path(reference), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fasta = out_dir / "genome.fa"
    fai = Path(str(reference) + ".fai")
    plain = not _is_gzip(reference)
    names: list[tuple[str, int]] = []
    if plain and fai.exists():
        names = [(row.split("\t")[0], int(row.split("\t")[1])) for row in fai.read_text().splitlines() if row]
    safe = bool(names) and all(alias_for(name) == name for name, _ in names)
    has_bwa = all(Path(str(reference) + suffix).exists() for suffix in BWA_SUFFIXES)
    if plain and safe and has_bwa:
        print(f"reusing the FASTA and BWA indexes of {reference}")
        _link(reference, fasta)
        _link(fai, Path(str(fasta) + ".fai"))
        for suffix in BWA_SUFFIXES:
            _link(Path(str(reference) + suffix), Path(str(fasta) + suffix))
    else:
        print(f"building the reference index for {reference} (missing or unsafe contig names)")
        names = []
        opener = gzip.open if not plain else open
        with opener(reference, "rt") as src, open(fasta, "w") as dst:
            for line in src:
                if line.startswith(">"):
                    names.append((line[1:].split()[0], 0))
                    line = ">" + alias_for(names[-1][0]) + "\n"
                dst.write(line)
        _run(["samtools", "faidx", str(fasta)])
        _run(["bwa", "index", str(fasta)])
    aliases = [row.split("\t")[:2] for row in Path(str(fasta) + ".fai").read_text().splitlines() if row]
    with open(out_dir / "contigs.tsv", "w") as handle:
        for (alias, length), (original, _) in zip(aliases, names, strict=True):
            handle.write(f"{alias}\t{original}\t{length}\n")
    with open(out_dir / "access.bed", "w") as handle:
        handle.writelines(f"{name}\t{lo}\t{hi}\n" for name, lo, hi in accessible_regions(fasta))
    return fasta


if __name__ == "__main__":
    prepare_reference(Path(sys.argv[1]), Path(sys.argv[2]))
