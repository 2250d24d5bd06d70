"""Read SV/CNV calls from a VCF or a BED (``chrom,start,end,type``) into one table.

Coordinates: every table this module returns holds ``start`` 0-based and ``end`` exclusive (half-open, like
BED) on the build the user names; the raw input values are kept in ``in_chrom``, ``in_start``, ``in_end`` so
that outputs echo what the user gave. Chromosome names are normalised to ``1..22, X, Y`` (no ``chr``).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from iasante.core.errors import InputDataError, look_up_option

GENOMES = ("GRCh37", "GRCh38")
CHROMS = tuple([str(i) for i in range(1, 23)] + ["X", "Y"])
SVTYPES = ("DEL", "DUP", "INS", "INV", "BND")
_TYPE_ALIASES = {
    "DEL": "DEL",
    "DELETION": "DEL",
    "LOSS": "DEL",
    "CN0": "DEL",
    "CN1": "DEL",
    "COPY_NUMBER_LOSS": "DEL",
    "DUP": "DUP",
    "DUPLICATION": "DUP",
    "GAIN": "DUP",
    "AMP": "DUP",
    "COPY_NUMBER_GAIN": "DUP",
    "DUP:TANDEM": "DUP",
    "INS": "INS",
    "INSERTION": "INS",
    "INV": "INV",
    "INVERSION": "INV",
    "BND": "BND",
    "TRA": "BND",
    "CTX": "BND",
    "ALU": "INS",
    "LINE1": "INS",
    "SVA": "INS",
    "MEI": "INS",
    "INS:ME": "INS",
}
COLUMNS = ["in_chrom", "in_start", "in_end", "chrom", "start", "end", "svtype", "var_id"]


@dataclass
class ReadResult:
    """Variants that could be read (input order) and one ``"<input>: <problem>"`` line per rejected record."""

    variants: pd.DataFrame
    errors: list[str] = field(default_factory=list)


def check_genome(genome: str) -> str:
    """Return the canonical build name (``GRCh37``/``GRCh38``; ``hg19``/``hg38`` accepted)."""
    aliases = {"hg19": "GRCh37", "hg38": "GRCh38", "grch37": "GRCh37", "grch38": "GRCh38"}
    return look_up_option(aliases.get(genome.lower(), genome), GENOMES, "genome")


def normalise_chrom(name: str) -> str | None:
    """``chr1``/``1``/``chrX``/``23`` to ``1``/``X``; None for contigs we do not annotate (MT, alts)."""
    base = re.sub(r"^chr", "", name.strip(), flags=re.IGNORECASE).upper()
    base = {"23": "X", "24": "Y"}.get(base, base)
    return base if base in CHROMS else None


def normalise_type(raw: str) -> str | None:
    """Map an SV type or symbolic ALT (``<CN0>``, ``<INS:ME:ALU>``) to DEL/DUP/INS/INV/BND, else None."""
    key = raw.strip().strip("<>").upper()
    if key in _TYPE_ALIASES:
        return _TYPE_ALIASES[key]
    if re.fullmatch(r"CN\d+", key):
        return "DEL" if int(key[2:]) < 2 else "DUP" if int(key[2:]) > 2 else None
    head = key.split(":")[0]
    return _TYPE_ALIASES.get(head)


def _open_text(path: Path) -> list[str]:
    if not path.is_file():
        raise InputDataError(f"{path}: no such file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            return handle.read().splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise InputDataError(f"{path}: cannot be read as text or gzip text ({exc})") from exc


def read_variants(path: str | Path) -> ReadResult:
    """Read a VCF (``##fileformat=VCF`` header) or a BED of ``chrom start end type``.

    Args:
        path: VCF/BED, plain or gzip. BED: tab (or comma) separated, ``start`` 0-based, ``end`` exclusive,
            type DEL/DUP (aliases: loss/gain/deletion/duplication/CN0/CN1/CN3...), optional header line.
            VCF: ``POS`` and ``INFO/END`` 1-based inclusive; symbolic DEL/DUP start after the padding base.

    Returns:
        :class:`ReadResult` whose ``variants`` has :data:`COLUMNS`.

    Raises:
        InputDataError: unreadable file, unknown format, or no variant at all could be read.
    """
    path = Path(path)
    lines = _open_text(path)
    content = [ln for ln in lines if ln.strip()]
    if not content:
        raise InputDataError(f"{path}: empty file, expected a VCF or a BED of chrom,start,end,type")
    is_vcf = content[0].startswith("##fileformat=VCF") or any(
        ln.startswith("#CHROM") for ln in content[:5000]
    )
    rows, errors = (_parse_vcf if is_vcf else _parse_bed)(path, lines)
    if not rows:
        detail = f" (first problem: {errors[0].split(': ', 1)[1]})" if errors else ""
        raise InputDataError(f"{path}: no readable variant{detail}")
    return ReadResult(pd.DataFrame(rows, columns=COLUMNS), errors)


def _check(
    path: Path, line_no: int, chrom: str, start: int, end: int, svtype: str | None, raw_type: str
) -> str | None:
    where = f"{path}: line {line_no}"
    if normalise_chrom(chrom) is None:
        return f"{where}: chromosome {chrom!r} is not one of 1-22, X, Y"
    if svtype is None:
        return f"{where}: type {raw_type!r} is not DEL or DUP (or INS/INV/BND in a VCF)"
    if start < 0 or end < start or (svtype in ("DEL", "DUP") and end == start):
        return f"{where}: bad interval {start}-{end}"
    return None


def _parse_bed(path: Path, lines: list[str]) -> tuple[list[list[object]], list[str]]:
    rows: list[list[object]] = []
    errors: list[str] = []
    for no, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = re.split(r"\t|,", line.rstrip("\r\n")) if "\t" in line or "," in line else line.split()
        fields = [f.strip() for f in fields]
        if not rows and fields[0].lower().lstrip("#") in ("chrom", "chr", "chromosome"):
            continue
        if len(fields) < 4:
            errors.append(f"{path}: line {no}: expected 4 fields chrom,start,end,type, got {len(fields)}")
            continue
        try:
            start, end = int(float(fields[1])), int(float(fields[2]))
        except ValueError:
            errors.append(f"{path}: line {no}: start/end {fields[1]!r},{fields[2]!r} are not integers")
            continue
        svtype = normalise_type(fields[3])
        svtype = svtype if svtype in ("DEL", "DUP") else None
        problem = _check(path, no, fields[0], start, end, svtype, fields[3])
        if problem:
            errors.append(problem)
            continue
        rows.append(
            [
                fields[0],
                fields[1],
                fields[2],
                normalise_chrom(fields[0]),
                start,
                end,
                svtype,
                f"{fields[0]}:{fields[1]}-{fields[2]}:{svtype}",
            ]
        )
    return rows, errors


def _info(info: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in info.split(";"):
        key, _, value = item.partition("=")
        out[key] = value
    return out


def _parse_vcf(path: Path, lines: list[str]) -> tuple[list[list[object]], list[str]]:
    rows: list[list[object]] = []
    errors: list[str] = []
    for no, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) < 8:
            errors.append(f"{path}: line {no}: a VCF record needs 8 tab-separated fields, got {len(fields)}")
            continue
        chrom, pos_s, vid, ref, alt, info_s = fields[0], fields[1], fields[2], fields[3], fields[4], fields[7]
        info = _info(info_s)
        raw_type = info.get("SVTYPE", alt)
        svtype = normalise_type(raw_type)
        if raw_type.upper() == "CNV" or svtype is None:
            svtype = normalise_type(alt.split(",")[0])
        try:
            pos = int(pos_s)
            symbolic = alt.startswith("<") or "[" in alt or "]" in alt
            if "END" in info:
                end = int(info["END"])
            elif "SVLEN" in info and svtype in ("DEL", "DUP", "INV"):
                end = pos + abs(int(info["SVLEN"].split(",")[0]))
            else:
                end = pos + max(len(ref) - 1, 0)
        except ValueError:
            errors.append(f"{path}: line {no}: POS/END/SVLEN are not integers")
            continue
        if svtype is None and not symbolic and len(ref) != len(alt):
            svtype = "DEL" if len(ref) > len(alt) else "INS"
        start = pos if (symbolic or len(ref) != len(alt)) else pos - 1  # skip the VCF padding base
        end = max(end, start + 1) if svtype in ("INS", "BND") else end
        problem = _check(path, no, chrom, start, end, svtype, raw_type)
        if problem:
            errors.append(problem)
            continue
        rows.append(
            [
                chrom,
                pos_s,
                str(end),
                normalise_chrom(chrom),
                start,
                end,
                svtype,
                vid if vid != "." else f"{chrom}:{pos_s}:{svtype}",
            ]
        )
    return rows, errors
