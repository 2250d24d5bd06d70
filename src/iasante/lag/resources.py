"""Annotation sources from ``<data_dir>/genomics``, loaded once per process and cached as a pickle.

Each source keeps its native build (no lossy pre-lifting): GRCh37 for genes/pLI/LOEUF (gnomAD via
TADA), DDG2P, ClinGen dosage genes and regions (CNVoyant export, GRCh37 columns), genomic-disorder loci
(rCNV2) and ClinVar CNVs (TADA); GRCh38 for gnomAD-SV v4 sites and exons (CNVoyant). Cytobands exist for both
builds. All intervals are stored 0-based half-open.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from iasante.core.config import get_settings
from iasante.core.errors import ConfigError
from iasante.lag.intervals import IntervalIndex, reciprocal_overlap
from iasante.lag.io import normalise_chrom
from iasante.lag.liftover import ChainLifter

CACHE_VERSION = "9"
# Published genomic-disorder case series / case-control studies (rCNV2 copies, GRCh37): section 4 case evidence.
GD_STUDIES = (
    "Dittwald_2013_GD",
    "Girirajan_2012_GD",
    "Kaminsky_2011_GD",
    "Li_2020_GD",
    "Stefansson_2014_GD",
    "UKBB_GD.Owen_2018",
)
_FILES = {
    "genes": "genes/TADA_gnomad_genes_pli_loeuf_HI.bed",
    "ddg2p": "genes/TADA_DDG2P_genes.bed",
    "clingen": "cnvoyant_pypi/hi_ts_regions.csv",
    "clingen_2026": "clingen/ClinGen_gene_curation_list_GRCh38.2026-02-06.tsv",
    "exons": "cnvoyant_pypi/exons.bed.gz",
    "refseq_genes": "cnvoyant_pypi/gene_positions.csv",
    "population": "population/CNVoyant_gnomad4.bed.gz",
    "gd_decipher": "syndromes/rCNV2_Decipher_GD.bed.gz",
    "gd_lit_del": "syndromes/rCNV2_lit_GDs.all.DEL.bed.gz",
    "gd_lit_dup": "syndromes/rCNV2_lit_GDs.all.DUP.bed.gz",
    **{f"gd_study_{name}": f"syndromes/rCNV2_{name}.bed.gz" for name in GD_STUDIES},
    "cyto37": "cytoband/chromosome.band.hg19.txt",
    "cyto38": "cytoband/chromosome.band.hg38.txt",
    "chain": "liftover/hg19ToHg38.over.chain.gz",
    **{
        f"clinvar_{short}_{label[0]}": f"clinvar_cnv/TADA_CLINVAR_GRCh37.{long}.{label}.sorted.autosomes."
        "unique.no_overlap.bed"
        for short, long in (("del", "deletions"), ("dup", "duplications"))
        for label in ("benign", "pathogenic.likely_pathogenic")
    },
}


@dataclass
class Table:
    """A data frame (``chrom``, ``start``, ``end`` + attributes) with its interval index."""

    df: pd.DataFrame
    index: IntervalIndex
    cols: dict[str, np.ndarray]  # the columns as numpy arrays, for per-variant look-ups without pandas overhead

    @classmethod
    def of(cls, df: pd.DataFrame) -> Table:
        df = df.reset_index(drop=True)
        cols = {c: df[c].to_numpy() for c in df.columns}
        return cls(df, IntervalIndex(cols["chrom"], cols["start"], cols["end"]), cols)


@dataclass
class Resources:
    """Every annotation source; see the module docstring for builds."""

    genes37: Table  # gene, pLI, LOEUF, HI (Huang probability), ddg2p, hi_score, ts_score
    clingen37: Table  # ClinGen genes and regions: kind G/R, name, hi_score, ts_score, disease
    gd37: Table  # genomic-disorder loci: svtype DEL/DUP, name, source (DECIPHER, rCNV2 lit, or a GD_STUDIES name)
    clinvar37: Table  # ClinVar CNVs: svtype, label (1 pathogenic/likely, 0 benign), gene_key (see gene_key_of)
    population38: Table  # gnomAD-SV v4: svtype, af
    exons38: dict[str, tuple[str, str, np.ndarray, np.ndarray]]  # gene -> (chrom, strand, starts, ends)
    refseq38: Table  # NCBI RefSeq protein-coding genes (CNVoyant gene_positions): gene; the section 3 count
    cyto: dict[str, pd.DataFrame]  # build -> chrom, start, end, band, stain
    lift_37_to_38: ChainLifter
    lift_38_to_37: ChainLifter
    hi_threshold: float  # Huang HI probability at the top decile ("HI index < 10%")
    fingerprint: str


def gene_key_of(genes: np.ndarray | list[str]) -> str:
    """Sorted, comma-joined protein-coding gene names of an interval: equal keys = same gene content
    (Riggs et al. 2020 section 4: a reported case "overlapping the same gene(s)" is a similar CNV)."""
    return ",".join(sorted(set(map(str, genes))))


def data_root() -> Path:
    """``<data_dir>/genomics``; ConfigError when the shared data are absent."""
    data_dir = get_settings().data_dir
    root = data_dir / "genomics" if data_dir else None
    if root is None or not root.is_dir():
        raise ConfigError("genomics data folder not found: set IASANTE_DATA_DIR to the folder holding genomics/")
    missing = [rel for rel in _FILES.values() if not (root / rel).is_file()]
    if missing:
        raise ConfigError(f"{root}: missing annotation files: {', '.join(missing)}")
    return root


def _fingerprint(root: Path) -> str:
    digest = hashlib.sha256(CACHE_VERSION.encode())
    for rel in sorted(_FILES.values()):
        stat = (root / rel).stat()
        digest.update(f"{rel}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def load_resources() -> Resources:
    """All sources, from a pickle cache (keyed by the data files' sizes and dates) when they did not change.

    The cache lives in ``~/.cache/iasante/lag`` (shared by every state folder of the user; tests use fresh
    ones), or ``<home>/cache/lag`` when the home folder is not writable.
    """
    root = data_root()
    fingerprint = _fingerprint(root)
    folder = Path.home() / ".cache" / "iasante" / "lag"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = get_settings().home / "cache" / "lag"
    cache = folder / f"resources-{fingerprint}.pkl"
    if cache.is_file():
        with cache.open("rb") as handle:
            cached: Resources = pickle.load(handle)  # noqa: S301 - our own cache file
            return cached
    res = _build(root, fingerprint)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # concurrent first runs never share a temp file
    with tmp.open("wb") as handle:
        pickle.dump(res, handle, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    for stale in folder.glob("resources-*.pkl"):  # caches of older data or code versions (~85 MB each)
        if stale != cache:
            stale.unlink(missing_ok=True)
    return res


def _bed(path: Path, names: list[str], usecols: list[int] | None = None) -> pd.DataFrame:
    df = pd.read_csv(
        path,
        sep="\t",
        header=None,
        comment="#",
        names=names,
        usecols=usecols,
        dtype={names[0]: str},
        low_memory=False,
    )
    df["chrom"] = df["chrom"].map(normalise_chrom)
    return df.dropna(subset=["chrom"])


def _score(text: object) -> int:
    match = re.match(r"'?(-?\d+)", str(text))
    return int(match.group(1)) if match else -1


def _update_genes(clingen: pd.DataFrame, path: Path, lifter: ChainLifter) -> pd.DataFrame:
    """Newer ClinGen gene scores (Feb 2026 list, GRCh38) over the CNVoyant export; new genes lifted to GRCh37."""
    new = pd.read_csv(path, sep="\t", skiprows=5, dtype=str)
    new.columns = [c.lstrip("#").strip() for c in new.columns]
    loc = new["Genomic Location"].str.extract(r"^chr(\w+):(\d+)-(\d+)$")
    new = new.assign(
        chrom38=loc[0].map(lambda c: normalise_chrom(c) if isinstance(c, str) else None),
        start38=pd.to_numeric(loc[1], errors="coerce") - 1,
        end38=pd.to_numeric(loc[2], errors="coerce"),
        hi=new["Haploinsufficiency Score"].map(_score),
        ts=new["Triplosensitivity Score"].map(_score),
    )
    new = new.dropna(subset=["chrom38", "start38", "end38"]).drop_duplicates("Gene Symbol")
    genes = clingen["kind"] == "G"
    by_name = new.set_index("Gene Symbol")
    known = genes & clingen["name"].isin(by_name.index)
    clingen.loc[known, "hi_score"] = clingen.loc[known, "name"].map(by_name["hi"]).to_numpy()
    clingen.loc[known, "ts_score"] = clingen.loc[known, "name"].map(by_name["ts"]).to_numpy()
    added = new[~new["Gene Symbol"].isin(clingen.loc[genes, "name"])]
    c, s, e = lifter.lift_intervals(
        added["chrom38"].to_numpy(object), added["start38"].to_numpy(np.int64), added["end38"].to_numpy(np.int64)
    )
    extra = pd.DataFrame(
        {
            "chrom": c,
            "start": s,
            "end": e,
            "kind": "G",
            "name": added["Gene Symbol"].to_numpy(),
            "hi_score": added["hi"].to_numpy(),
            "ts_score": added["ts"].to_numpy(),
            "disease": "",
        }
    )
    return pd.concat([clingen, extra.dropna(subset=["chrom"])], ignore_index=True)


def _alias_exons(
    exons: dict[str, tuple[str, str, np.ndarray, np.ndarray]], named: pd.DataFrame, lifter: ChainLifter
) -> None:
    """Give genes named by an older symbol (GRCh37 tables, e.g. SEPN1) the exons filed under the current one
    (SELENON): the exon-source gene whose GRCh38 span overlaps the lifted gene >= 80 % reciprocally."""
    missing = named[~named["gene"].isin(exons.keys())].drop_duplicates("gene")
    c, s, e = lifter.lift_intervals(
        missing["chrom"].to_numpy(object), missing["start"].to_numpy(np.int64), missing["end"].to_numpy(np.int64)
    )
    names = np.array(list(exons.keys()), dtype=object)
    spans = [(v[0], int(min(v[2].min(), v[3].min())), int(v[3].max())) for v in exons.values()]
    starts, ends = np.array([x[1] for x in spans]), np.array([x[2] for x in spans])
    index = IntervalIndex(np.array([x[0] for x in spans], dtype=object), starts, ends)
    for gene, chrom, start, end in zip(missing["gene"], c, s, e, strict=True):
        if chrom is None:
            continue
        rows = index.overlapping(chrom, int(start), int(end))
        if len(rows):
            ro = reciprocal_overlap(int(start), int(end), starts[rows], ends[rows])
            if ro.max() >= 0.8:
                exons[str(gene)] = exons[str(names[rows[int(np.argmax(ro))]])]


def _refseq_genes(path: Path) -> pd.DataFrame:
    """NCBI protein-coding genes, GRCh38 (1-based inclusive in the file; 0-based half-open here)."""
    raw = pd.read_csv(path, dtype={"Chromosomes": str}).dropna(subset=["GRCh38_start", "GRCh38_stop"])
    df = pd.DataFrame(
        {
            "chrom": raw["Chromosomes"].map(normalise_chrom),
            "start": raw["GRCh38_start"].astype(np.int64) - 1,
            "end": raw["GRCh38_stop"].astype(np.int64),
            "gene": raw["Symbol"].astype(str),
        }
    )
    return df.dropna(subset=["chrom"])


def _build(root: Path, fingerprint: str) -> Resources:
    genes = _bed(root / _FILES["genes"], ["chrom", "start", "end", "id", "gene", "pLI", "LOEUF", "HI"])
    ddg2p = set(_bed(root / _FILES["ddg2p"], ["chrom", "start", "end", "id", "gene"])["gene"])
    cg = pd.read_csv(root / _FILES["clingen"], encoding="utf-8-sig")
    cg = cg.rename(columns={cg.columns[0]: "kind", "Gene/Region": "name"})
    loc = cg["GRCh37"].astype(str).str.extract(r"^(\w+):(\d+)-(\d+)$")
    clingen = pd.DataFrame(
        {
            "chrom": loc[0].map(lambda c: normalise_chrom(c) if isinstance(c, str) else None),
            "start": pd.to_numeric(loc[1], errors="coerce") - 1,
            "end": pd.to_numeric(loc[2], errors="coerce"),
            "kind": cg["kind"],
            "name": cg["name"],
            "hi_score": cg["HI Score"].map(_score),
            "ts_score": cg["TS Score"].map(_score),
            "disease": cg["Haplo Disease"].astype(str).str.strip("'-").fillna(""),
        }
    ).dropna(subset=["chrom", "start", "end"])
    clingen[["start", "end"]] = clingen[["start", "end"]].astype(np.int64)
    chain = root / _FILES["chain"]
    lift_38_to_37 = ChainLifter(chain, reverse=True)
    clingen = _update_genes(clingen, root / _FILES["clingen_2026"], lift_38_to_37)
    cg_genes = clingen[clingen["kind"] == "G"].drop_duplicates("name").set_index("name")
    genes["ddg2p"] = genes["gene"].isin(ddg2p)
    genes["hi_score"] = genes["gene"].map(cg_genes["hi_score"]).fillna(-1).astype(int)
    genes["ts_score"] = genes["gene"].map(cg_genes["ts_score"]).fillna(-1).astype(int)
    hi_threshold = float(genes["HI"].quantile(0.9))

    gd_parts = []
    dec = _bed(root / _FILES["gd_decipher"], ["chrom", "start", "end", "svtype", "name", "grade"])
    gd_parts.append(dec.assign(source="DECIPHER")[["chrom", "start", "end", "svtype", "name", "source"]])
    for key, svtype in (("gd_lit_del", "DEL"), ("gd_lit_dup", "DUP")):
        lit = _bed(root / _FILES[key], ["chrom", "start", "end"])
        gd_parts.append(lit.assign(svtype=svtype, name="literature genomic disorder locus", source="rCNV2 lit"))
    for study in GD_STUDIES:
        cols = ["name", "svtype"] if "UKBB" in study else ["svtype", "name"]  # Owen 2018 lists the name first
        names = ["chrom", "start", "end", *cols]
        loci = _bed(root / _FILES[f"gd_study_{study}"], names, usecols=[0, 1, 2, 3, 4])
        gd_parts.append(loci.assign(source=study)[["chrom", "start", "end", "svtype", "name", "source"]])
    gd = pd.concat(gd_parts, ignore_index=True)

    clinvar = pd.concat(
        [
            _bed(root / _FILES[key], ["chrom", "start", "end", "label"]).assign(svtype=svtype)
            for key, svtype in (
                ("clinvar_del_b", "DEL"),
                ("clinvar_del_p", "DEL"),
                ("clinvar_dup_b", "DUP"),
                ("clinvar_dup_p", "DUP"),
            )
        ],
        ignore_index=True,
    )

    genes_table = Table.of(genes)
    clinvar["gene_key"] = [
        gene_key_of(genes_table.cols["gene"][genes_table.index.overlapping(c, s, e)])
        for c, s, e in zip(clinvar["chrom"], clinvar["start"], clinvar["end"], strict=True)
    ]

    pop = _bed(root / _FILES["population"], ["chrom", "start", "end", "svtype", "af"])
    pop = pop[pop["end"] > pop["start"]]

    ex = _bed(root / _FILES["exons"], ["chrom", "start", "end", "strand", "name"])
    ex["gene"] = ex["name"].str.split("_").str[0]
    exons: dict[str, tuple[str, str, np.ndarray, np.ndarray]] = {}
    for gene, sub in ex.groupby("gene", sort=False):
        sub = sub.sort_values("start")
        exons[str(gene)] = (
            str(sub["chrom"].iat[0]),
            str(sub["strand"].iat[0]),
            sub["start"].to_numpy(np.int64),
            sub["end"].to_numpy(np.int64),
        )

    lift_37_to_38 = ChainLifter(chain)
    named = pd.concat(
        [
            genes[["chrom", "start", "end", "gene"]],
            cg_genes.reset_index()[["chrom", "start", "end", "name"]].rename(columns={"name": "gene"}),
        ]
    )
    _alias_exons(exons, named, lift_37_to_38)

    cyto = {}
    for build, key in (("GRCh37", "cyto37"), ("GRCh38", "cyto38")):
        band = _bed(root / _FILES[key], ["chrom", "start", "end", "band", "stain"])
        cyto[build] = band.sort_values(["chrom", "start"]).reset_index(drop=True)

    return Resources(
        genes37=genes_table,
        clingen37=Table.of(clingen),
        gd37=Table.of(gd),
        clinvar37=Table.of(clinvar),
        population38=Table.of(pop),
        exons38=exons,
        refseq38=Table.of(_refseq_genes(root / _FILES["refseq_genes"])),
        cyto=cyto,
        lift_37_to_38=lift_37_to_38,
        lift_38_to_37=lift_38_to_37,
        hi_threshold=hi_threshold,
        fingerprint=fingerprint,
    )
