"""QC of a calling run: mapping rate, coverage, insert size and the calls, as one self-contained HTML page.

Why: a clinician or biologist must see at a glance whether the sequencing supports the calls (a 10x run or a
wrong reference makes every "no call" meaningless). Metrics come from ``samtools stats``/``flagstat`` and the
CNVkit bin depths; plots are inline SVG, so the page can be archived or mailed as one file.

Usage from the workflow: ``python -m iasante.lag.qc check FLAGSTAT.json MIN_RATE`` and
``python -m iasante.lag.qc report SAMPLE STATS FLAGSTAT VCF CONTIGS CNR|- OUT.html``.
"""

from __future__ import annotations

import gzip
import html
import json
import sys
from pathlib import Path
from urllib.parse import unquote

__all__ = ["parse_samtools_stats", "mapping_rate", "summarise_qc", "write_qc_html"]


def parse_samtools_stats(path: Path) -> dict[str, object]:
    """Summary numbers (SN), insert-size histogram (IS) and coverage histogram (COV) of ``samtools stats``."""
    summary: dict[str, float] = {}
    insert_sizes: list[tuple[int, int]] = []
    coverage: list[tuple[int, int]] = []
    for line in Path(path).read_text().splitlines():
        parts = line.split("\t")
        if parts[0] == "SN":
            try:
                summary[parts[1].rstrip(":")] = float(parts[2])
            except ValueError:
                continue
        elif parts[0] == "IS":
            insert_sizes.append((int(parts[1]), int(parts[2])))
        elif parts[0] == "COV":
            coverage.append((int(parts[2]), int(parts[3])))
    return {"summary": summary, "insert_sizes": insert_sizes, "coverage": coverage}


def mapping_rate(flagstat_json: Path) -> float:
    """Fraction of primary reads mapped, from ``samtools flagstat -O json`` (QC-passed reads)."""
    data = json.loads(Path(flagstat_json).read_text())["QC-passed reads"]
    total = data.get("primary", data["total"])
    mapped = data.get("primary mapped", data["mapped"])
    return mapped / total if total else 0.0


def summarise_qc(stats_path: Path, flagstat_json: Path, genome_bp: int) -> dict[str, float]:
    """Key QC figures: reads, mapping rate, mean coverage (x), duplicate rate, insert size mean/sd (bp)."""
    sn = parse_samtools_stats(stats_path)["summary"]
    assert isinstance(sn, dict)
    reads = sn.get("raw total sequences", 0.0)
    return {
        "reads": reads,
        "mapping_rate": round(mapping_rate(flagstat_json), 4),
        "mean_coverage_x": round(sn.get("bases mapped (cigar)", 0.0) / max(genome_bp, 1), 2),
        "duplicate_rate": round(sn.get("reads duplicated", 0.0) / reads, 4) if reads else 0.0,
        "insert_size_mean_bp": sn.get("insert size average", 0.0),
        "insert_size_sd_bp": sn.get("insert size standard deviation", 0.0),
        "error_rate": sn.get("error rate", 0.0),
    }


_LABELS = {
    "reads": "reads (R1 + R2)",
    "mapping_rate": "mapping rate",
    "mean_coverage_x": "mean coverage (x)",
    "duplicate_rate": "duplicate rate",
    "insert_size_mean_bp": "insert size mean (bp)",
    "insert_size_sd_bp": "insert size SD (bp)",
    "error_rate": "base mismatch rate",
}


def _format(key: str, value: float) -> str:
    """Human formatting of a QC figure (rates as %, counts as integers)."""
    if key.endswith("_rate"):
        return f"{value:.2%}"
    if key == "reads":
        return f"{int(value):,}"
    return f"{value:.1f}"


def _svg_plot(xs: list[float], ys: list[float], xlabel: str, ylabel: str, width: int = 640, dots: bool = False) -> str:
    """A small inline SVG line (or dot) plot with min/max axis labels.

    Why: the QC page must stay one self-contained file, and importing matplotlib would cost more CPU than the
    rest of the QC step on a small genome.
    """
    height, pad = 200, 46
    if not xs:
        return "<p>no data</p>"
    x0, x1, y1 = min(xs), max(xs), max(max(ys), 1e-9)

    def _px(x: float, y: float) -> tuple[float, float]:
        fx = (x - x0) / ((x1 - x0) or 1)
        return pad + fx * (width - pad - 10), height - pad + 10 - y / y1 * (height - pad - 10)

    points = [_px(x, y) for x, y in zip(xs, ys, strict=True)]
    if dots:
        marks = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1"/>' for x, y in points)
        body = f'<g fill="#444">{marks}</g>'
    else:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body = f'<polyline fill="none" stroke="#2a6f97" stroke-width="1.5" points="{path}"/>'
    bottom, right = height - pad + 10, width - 10
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-size="11">'
        f'<line x1="{pad}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#888"/>'
        f'<line x1="{pad}" y1="10" x2="{pad}" y2="{bottom}" stroke="#888"/>{body}'
        f'<text x="{pad}" y="{bottom + 14}">{x0:.4g}</text>'
        f'<text x="{right}" y="{bottom + 14}" text-anchor="end">{x1:.4g}</text>'
        f'<text x="{(pad + right) / 2}" y="{height - 4}" text-anchor="middle">{html.escape(xlabel)}</text>'
        f'<text x="{pad - 4}" y="16" text-anchor="end">{y1:.3g}</text>'
        f'<text x="{pad - 4}" y="{bottom}" text-anchor="end">0</text>'
        f'<text x="12" y="{(10 + bottom) / 2}" transform="rotate(-90 12 {(10 + bottom) / 2})" '
        f'text-anchor="middle">{html.escape(ylabel)}</text></svg>'
    )


def _plots(stats: dict[str, object], cnr: Path | None) -> list[tuple[str, str]]:
    histogram: list[tuple[int, int]] = stats["insert_sizes"]  # type: ignore[assignment]
    sizes = [item for item in histogram if item[0] <= 1500]
    plots = [("Insert size", _svg_plot([s for s, _ in sizes], [n for _, n in sizes], "insert size (bp)", "pairs"))]
    if cnr is not None:
        rows = [line.split("\t") for line in cnr.read_text().splitlines()[1:] if line]
        if rows:
            positions = [int(r[1]) / 1e6 for r in rows]
            depths = [float(r[4]) for r in rows]
            svg = _svg_plot(positions, depths, "position (Mb, contigs in reference order)", "depth (x)", 960, True)
            plots.append(("Read depth in CNVkit bins", svg))
    return plots


def _read_calls(vcf_gz: Path) -> list[dict[str, str]]:
    calls = []
    with gzip.open(vcf_gz, "rt") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            info = {k: unquote(v) for k, v in (item.split("=", 1) for item in fields[7].split(";") if "=" in item)}
            calls.append({"chrom": fields[0], "pos": fields[1], "gt": fields[9] if len(fields) > 9 else ".", **info})
    return calls


def write_qc_html(
    sample: str,
    stats_path: Path,
    flagstat_json: Path,
    vcf_gz: Path,
    contigs_tsv: Path,
    cnr: Path | None,
    out_html: Path,
) -> Path:
    """Write the QC page of one sample (metrics, plots, table of published calls)."""
    genome_bp = sum(int(r.split("\t")[2]) for r in Path(contigs_tsv).read_text().splitlines() if r)
    metrics = summarise_qc(stats_path, flagstat_json, genome_bp)
    stats = parse_samtools_stats(stats_path)
    calls = _read_calls(vcf_gz)
    warn = []
    if metrics["mean_coverage_x"] < 20:
        warn.append(f"Mean coverage {metrics['mean_coverage_x']}x is below 20x: sensitivity is reduced.")
    if metrics["mapping_rate"] < 0.9:
        warn.append(f"Only {metrics['mapping_rate']:.1%} of reads mapped: check the reference and the sample.")
    rows = "".join(
        f"<tr><th>{html.escape(_LABELS.get(k, k))}</th><td>{_format(k, v)}</td></tr>" for k, v in metrics.items()
    )
    call_rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(c.get(k, '')))}</td>"
            for k in ("chrom", "pos", "END", "SVTYPE", "SVLEN", "gt", "CALLERS", "ISCN")
        )
        + "</tr>"
        for c in calls
    )
    figures = "".join(f"<figure><figcaption>{t}</figcaption>{svg}</figure>" for t, svg in _plots(stats, cnr))
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>LAG QC - {html.escape(sample)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}.warn{{color:#a00}}
figure{{margin:1em 0}}</style>
</head><body><h1>LAG QC: {html.escape(sample)}</h1>
{"".join(f'<p class="warn">{html.escape(w)}</p>' for w in warn)}
<h2>Sequencing and alignment</h2><table>{rows}
<tr><th>reference length (bp)</th><td>{genome_bp}</td></tr></table>
{figures}
<h2>Published structural variants ({len(calls)})</h2>
<table><tr><th>contig</th><th>POS</th><th>END</th><th>type</th><th>SVLEN</th><th>GT</th><th>callers</th>
<th>ISCN</th></tr>{call_rows}</table>
<p>Research use only; calls from short reads need orthogonal confirmation before clinical reporting.</p>
</body></html>"""
    Path(out_html).write_text(page)
    return Path(out_html)


def _main(argv: list[str]) -> int:
    if argv[0] == "check":
        rate, minimum = mapping_rate(Path(argv[1])), float(argv[2])
        if rate < minimum:
            print(
                f"mapping rate {rate:.1%} is below {minimum:.0%}: the reads do not match the reference",
                file=sys.stderr,
            )
            return 1
        return 0
    sample, stats, flagstat, vcf, contigs, cnr, out = argv[1:8]
    write_qc_html(
        sample,
        Path(stats),
        Path(flagstat),
        Path(vcf),
        Path(contigs),
        None if cnr == "-" else Path(cnr),
        Path(out),
    )
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
