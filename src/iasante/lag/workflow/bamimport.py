"""Import a user BAM/CRAM into the work folder: aliased contig names, coordinate order, index.

Why: a workflow started from alignments must see the same safe contig aliases as one started from FASTQ
(see :mod:`iasante.lag.workflow.reference`). Duplicate marking is left as the user's file has it.

Usage: ``python -m iasante.lag.workflow.bamimport IN.bam|IN.cram contigs.tsv genome.fa OUT.bam THREADS``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from iasante.lag.workflow.reference import alias_for, read_contig_map

__all__ = ["import_alignment"]


def _run(cmd: list[str], stdout: object = None) -> None:
    proc = subprocess.run(cmd, stdout=stdout or subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])}... failed: {proc.stderr[-800:]}")


def import_alignment(source: Path, contigs_tsv: Path, fasta: Path, out_bam: Path, threads: int = 1) -> None:
    """Copy ``source`` to ``out_bam`` with aliased @SQ names, sorted by coordinate and indexed."""
    import pysam

    known = set(read_contig_map(contigs_tsv))
    with pysam.AlignmentFile(str(source), reference_filename=str(fasta)) as aln:
        header = aln.header.to_dict()
    for sq in header.get("SQ", []):
        sq["SN"] = alias_for(sq["SN"])
        if sq["SN"] not in known:
            raise SystemExit(f"{source}: contig {sq['SN']!r} is not in the reference")
    sorted_already = header.get("HD", {}).get("SO") == "coordinate"
    with tempfile.TemporaryDirectory(dir=out_bam.parent) as tmp:
        plain = Path(tmp) / "plain.bam"
        _run(
            [
                "samtools",
                "view",
                "-@",
                str(threads),
                "-b",
                "--no-PG",
                "-T",
                str(fasta),
                "-o",
                str(plain),
                str(source),
            ]
        )
        text = str(pysam.AlignmentHeader.from_dict(header))
        (Path(tmp) / "header.sam").write_text(text)
        renamed = Path(tmp) / "renamed.bam"
        with open(renamed, "wb") as handle:
            _run(["samtools", "reheader", str(Path(tmp) / "header.sam"), str(plain)], stdout=handle)
        if sorted_already:
            renamed.replace(out_bam)
        else:
            _run(["samtools", "sort", "-@", str(threads), "-o", str(out_bam), str(renamed)])
    _run(["samtools", "index", str(out_bam)])


if __name__ == "__main__":
    import_alignment(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5]))
