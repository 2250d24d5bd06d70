"""The shipped workflow files: config schema, executor profiles and rule declarations (all rules run in
test_calling.py)."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from iasante.lag.workflow import PROFILES_DIR, WORKFLOW_DIR

SCHEMA = yaml.safe_load((WORKFLOW_DIR / "schemas" / "config.schema.yaml").read_text())
RULE_FILES = sorted((WORKFLOW_DIR / "rules").glob("*.smk"))
RULES = {m for path in RULE_FILES for m in re.findall(r"^\s*rule (\w+):", path.read_text(), re.M)}
PLUGIN_PREFIX = {"slurm": "slurm-", "kubernetes": "kubernetes-", "azure-batch": "azure-batch-"}


def _snakemake_options() -> set[str]:
    from snakemake.cli import get_argument_parser

    return {s.lstrip("-") for action in get_argument_parser()._actions for s in action.option_strings}


def test_schema_accepts_a_fastq_config_and_rejects_mistakes() -> None:
    good = {"sample": "P1", "reference": "/r.fa", "fastq": ["/a.fq.gz", "/b.fq.gz"]}
    jsonschema.validate(good, SCHEMA)
    for bad in ({**good, "sample": "bad name"}, {**good, "fastq": ["/a.fq.gz"]}, {**good, "callers": ["manta"]},
                {"sample": "P1", "reference": "/r.fa"}, {**good, "min_mapping_rate": 2}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, SCHEMA)


@pytest.mark.parametrize("profile", ["local", "slurm", "kubernetes", "azure-batch"])
def test_profiles_use_real_snakemake_options_and_rules(profile: str) -> None:
    config = yaml.safe_load((PROFILES_DIR / profile / "config.yaml").read_text())
    options = _snakemake_options()
    prefix = PLUGIN_PREFIX.get(profile)
    unknown = [k for k in config if k not in options and not (prefix and k.startswith(prefix))]
    assert not unknown, f"{profile}: unknown Snakemake options {unknown}"
    if profile != "local":
        assert config["executor"] == profile
        assert config["jobs"] >= 1 and "mem_mb" in config["default-resources"]
    for section in ("set-resources", "set-threads"):
        assert set(config.get(section, {})) <= RULES, f"{profile}: {section} names unknown rules"


def test_every_rule_declares_threads_resources_and_log() -> None:
    for path in RULE_FILES:
        blocks = re.split(r"^\s*rule ", path.read_text(), flags=re.M)[1:]
        for block in blocks:
            name = block.split(":")[0]
            assert "threads:" in block and "mem_mb=" in block and "log:" in block, f"{path.name}: rule {name}"


def test_profile_errors_are_clear(tmp_path: Path) -> None:
    from iasante.core.errors import ConfigError, InputDataError
    from iasante.lag.calling import _failure, _profile_args

    assert _profile_args(None, 2)[:2] == ["--cores", "2"]
    assert _profile_args("slurm", 2)[1].endswith("profiles/slurm")
    with pytest.raises(InputDataError, match="azure-batch, kubernetes, local, slurm"):
        _profile_args("slurmm", 2)
    error = _failure(tmp_path, "error: argument --executor/-e: invalid choice: 'kubernetes' (choose from 'local')")
    assert isinstance(error, ConfigError) and "snakemake-executor-plugin-kubernetes" in str(error)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "delly.P1.log").write_text("delly: boom\n")
    output = "Error in rule delly_call:\n    log: logs/delly.P1.log (check log file(s) for error details)\n"
    tool_error = _failure(tmp_path, output)
    assert "rule delly_call failed (delly: boom)" in str(tool_error)
    (tmp_path / "logs" / "bwa_mem.P1.log").write_text(
        "[M::main] Real time: 0.1 sec\nmapping rate 0.4% is below 50%: the reads do not match the reference\n"
    )
    gate = _failure(tmp_path, "Error in rule bwa_mem:\n    log: logs/bwa_mem.P1.log (check log file(s))\n")
    assert isinstance(gate, InputDataError) and str(gate).startswith("reads: mapping rate 0.4%")


def test_accessible_regions_follow_cnvkit_access(tmp_path: Path) -> None:
    """N runs split contigs, gaps under 5 kb are joined, CNVkit's non-canonical contigs are skipped."""
    from iasante.lag.workflow.reference import accessible_regions

    seq = "A" * 7000 + "N" * 6000 + "C" * 3000 + "N" * 100 + "G" * 3000 + "N" * 500
    lines = [seq[i : i + 60] for i in range(0, len(seq), 60)]
    (tmp_path / "g.fa").write_text(">chr1\n" + "\n".join(lines) + "\n>chrUn_x\nACGT\n>chr2\nNNAC\n")
    assert accessible_regions(tmp_path / "g.fa") == [("chr1", 0, 7000), ("chr1", 13000, 19100), ("chr2", 2, 4)]
