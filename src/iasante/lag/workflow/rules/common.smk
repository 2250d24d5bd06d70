# Config validation and helpers shared by every stage.

import sys
from pathlib import Path

from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

SAMPLE = config["sample"]
PY = config.get("python") or sys.executable
CALLERS = config["callers"]
BREAKPOINT_CALLERS = [c for c in CALLERS if c != "cnvkit"]
REF = "ref/genome.fa"


wildcard_constraints:
    sample=SAMPLE,
    caller="|".join(CALLERS),


def alignment_input():
    """The user's alignment file when the workflow starts from BAM/CRAM, else nothing."""
    return [config["bam"]] if config.get("bam") else []
