"""The Snakemake SV/CNV calling workflow shipped in the package, and the small tools its rules call.

Layout: ``Snakefile`` (entry), ``rules/*.smk`` (one file per stage), ``schemas/`` (config JSON schema),
``profiles/`` (local, SLURM, Kubernetes, Azure Batch). Python steps run as ``python -m
iasante.lag.workflow.<module>`` so a cluster job needs only the installed package.
"""

from pathlib import Path

WORKFLOW_DIR = Path(__file__).resolve().parent
SNAKEFILE = WORKFLOW_DIR / "Snakefile"
PROFILES_DIR = WORKFLOW_DIR / "profiles"

__all__ = ["WORKFLOW_DIR", "SNAKEFILE", "PROFILES_DIR"]
