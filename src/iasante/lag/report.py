"""Case outputs: chromosome ideogram (SVG), TSV and VCF exports, HTML and PDF (WeasyPrint) report."""

from __future__ import annotations

import io
from html import escape

from iasante.lag.db import LagCase, LagVariant
from iasante.lag.pipeline import TSV_COLUMNS

CHROM_ORDER = [*map(str, range(1, 23)), "X", "Y"]
_STAIN = {
    "gneg": "#ffffff",
    "gpos25": "#c8c8c8",
    "gpos50": "#969696",
    "gpos75": "#646464",
    "gpos100": "#1e1e1e",
    "acen": "#c0504d",
    "gvar": "#dcdcf0",
    "stalk": "#a0a0c8",
}
CLASS_COLOURS = {
    "pathogenic": "#b2182b",
    "likely_pathogenic": "#ef8a62",
    "vus": "#7f7f7f",
    "likely_benign": "#67a9cf",
    "benign": "#2166ac",
}


def ideogram_svg(genome: str, variants: list[LagVariant], width: int = 960) -> str:
    """All chromosomes side by side (bands from UCSC cytoBand), variants drawn as bars coloured by final class.

    Deletions are drawn left of the chromosome, duplications right; a tooltip gives ISCN and class.
    """
    from iasante.lag.resources import load_resources

    bands = load_resources().cyto[genome]
    lengths = bands.groupby("chrom")["end"].max()
    longest = float(lengths.max())
    col_w, top, height = width / len(CHROM_ORDER), 20.0, 300.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {int(top + height + 30)}" '
        f'role="img" aria-label="ideogram {genome}" style="width:100%;height:auto">'
    ]
    for i, chrom in enumerate(CHROM_ORDER):
        x = i * col_w + col_w / 2 - 5
        scale = height / longest
        for b in bands[bands["chrom"] == chrom].itertuples():
            y, h = top + b.start * scale, max((b.end - b.start) * scale, 0.3)
            colour = _STAIN.get(str(b.stain), "#ffffff")
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.2f}" width="10" height="{h:.2f}" fill="{colour}" '
                'stroke="#333" stroke-width="0.2"/>'
            )
        total = float(lengths.get(chrom, 0)) * scale
        parts.append(
            f'<rect x="{x:.1f}" y="{top}" width="10" height="{total:.1f}" fill="none" stroke="#333" '
            'stroke-width="0.6" rx="3"/>'
        )
        parts.append(f'<text x="{x + 5:.1f}" y="{top - 6}" font-size="10" text-anchor="middle">{chrom}</text>')
        for v in (v for v in variants if v.chrom == chrom):
            y, h = top + v.start * scale, max((v.end - v.start) * scale, 2.0)
            vx = x - 6 if v.svtype == "DEL" else x + 12
            tip = escape(f"#{v.rank} {v.iscn} - {v.final_class} ({v.genes[:60]})")
            parts.append(
                f'<rect x="{vx:.1f}" y="{y:.2f}" width="4" height="{h:.2f}" '
                f'fill="{CLASS_COLOURS.get(v.final_class, "#000")}"><title>{tip}</title></rect>'
            )
    legend_y = top + height + 18
    for k, (name, colour) in enumerate(CLASS_COLOURS.items()):
        lx = 10 + k * 150
        parts.append(
            f'<rect x="{lx}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{legend_y}" font-size="11">{name}</text>'
        )
    parts.append(
        f'<text x="{width - 10}" y="{legend_y}" font-size="11" text-anchor="end">left: loss / right: gain</text></svg>'
    )
    return "".join(parts)


def export_tsv(case: LagCase) -> str:
    """The classify contract's columns plus rank, ISCN and the biologist's decision, in input order."""
    header = [
        *TSV_COLUMNS,
        "rank",
        "iscn",
        "final_class",
        "section5",
        "total_points",
        "report",
        "comment",
        "decided_by",
    ]
    lines = ["\t".join(header)]
    for v in sorted(case.variants, key=lambda v: v.position):
        comment = v.decision_comment.replace("\t", " ").replace("\n", " ")
        lines.append(
            "\t".join(
                map(
                    str,
                    [
                        v.in_chrom,
                        v.in_start,
                        v.in_end,
                        v.svtype,
                        f"{v.acmg_points:.2f}",
                        v.acmg_class,
                        f"{v.rank_score:.4f}",
                        v.genes,
                        v.rank,
                        v.iscn,
                        v.final_class,
                        ",".join(v.decision_criteria or []),
                        f"{v.total_points:.2f}",
                        "yes" if v.decision_report else "no",
                        comment,
                        v.decided_by or "",
                    ],
                )
            )
        )
    return "\n".join(lines) + "\n"


def export_vcf(case: LagCase) -> str:
    """VCF 4.2 with symbolic alleles; INFO holds the classification (``POS`` is the base before the event)."""
    info_defs = [
        ("END", "1", "Integer", "End position (1-based, inclusive)"),
        ("SVTYPE", "1", "String", "Type of structural variant"),
        ("SVLEN", "1", "Integer", "Length (negative for deletions)"),
        ("ACMG_POINTS", "1", "Float", "ACMG/ClinGen CNV points (Riggs 2020)"),
        ("ACMG_CLASS", "1", "String", "Automatic ACMG class"),
        ("FINAL_CLASS", "1", "String", "Class after biologist review"),
        ("RANK_SCORE", "1", "Float", "Calibrated AI pathogenicity score"),
        ("GENES", ".", "String", "Protein-coding genes overlapped"),
        ("ISCN", "1", "String", "ISCN 2020 nomenclature (spaces as underscores)"),
    ]
    lines = ["##fileformat=VCFv4.2", f"##reference={case.genome}", "##source=iasante-lag"]
    lines += [f'##INFO=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in info_defs]
    lines += [
        '##ALT=<ID=DEL,Description="Deletion">',
        '##ALT=<ID=DUP,Description="Duplication">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO",
    ]
    for v in sorted(case.variants, key=lambda v: (CHROM_ORDER.index(v.chrom), v.start)):
        size = v.end - v.start
        info = [
            f"END={v.end}",
            f"SVTYPE={v.svtype}",
            f"SVLEN={-size if v.svtype == 'DEL' else size}",
            f"ACMG_POINTS={v.acmg_points:.2f}",
            f"ACMG_CLASS={v.acmg_class}",
            f"FINAL_CLASS={v.final_class}",
            f"RANK_SCORE={v.rank_score:.4f}",
        ]
        if v.genes:
            info.append("GENES=" + v.genes)
        info.append("ISCN=" + v.iscn.replace(" ", "_").replace(";", ","))
        var_id = v.var_id.replace(" ", "_").replace(";", ",") or "."
        lines.append(
            "\t".join([v.in_chrom, str(max(v.start, 1)), var_id, "N", f"<{v.svtype}>", ".", "PASS", ";".join(info)])
        )
    return "\n".join(lines) + "\n"


def report_variants(case: LagCase) -> list[LagVariant]:
    """Variants chosen for the report, in rank order."""
    return [v for v in case.variants if v.decision_report]


def report_html(case: LagCase) -> str:
    """Stand-alone HTML report (inline ideogram; printable; the same page is turned into the PDF)."""
    from iasante.core.i18n import current_locale
    from iasante.core.ui import templates

    chosen = report_variants(case)
    template = templates.env.get_template("lag/report.html")
    return template.render(
        case=case,
        variants=chosen,
        ideogram=ideogram_svg(case.genome, chosen),
        colours=CLASS_COLOURS,
        locale=current_locale.get(),
        reviewed=sum(v.decided_by is not None for v in case.variants),
    )


def report_pdf(case: LagCase) -> bytes:
    """The HTML report printed to PDF by WeasyPrint (A4)."""
    from weasyprint import HTML

    buffer = io.BytesIO()
    HTML(string=report_html(case)).write_pdf(buffer)
    return buffer.getvalue()
