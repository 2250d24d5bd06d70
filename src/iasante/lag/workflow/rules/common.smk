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
# The mapping-rate gate closing the alignment rules (exit 1 with "... do not match the reference" in the log);
# a shell fragment formatted with the rule's output and params.min_rate.
MAPPING_CHECK = (
    "samtools flagstat -O json {output.bam} > {output.flagstat}.tmp"
    " && {PY} -m iasante.lag.qc check {output.flagstat}.tmp {params.min_rate}"
    " && mv {output.flagstat}.tmp {output.flagstat}"
)


wildcard_constraints:
    sample=SAMPLE,
    caller="|".join(CALLERS),


def alignment_input():
    """The user's alignment file when the workflow starts from BAM/CRAM, else nothing."""
    return [config["bam"]] if config.get("bam") else []
