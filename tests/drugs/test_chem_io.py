"""Standardisation, features, drug-likeness and input reading (tiny synthetic inputs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from iasante.core.errors import InputDataError
from iasante.drugs import chem
from iasante.drugs.io import active_labels, parse_ic50, read_table


def test_standardise_strips_salt_and_neutralises() -> None:
    salt = chem.canonical(chem.standardise("CC(=O)Oc1ccccc1C(=O)[O-].[Na+]"))
    assert salt == chem.canonical(chem.standardise("CC(=O)Oc1ccccc1C(=O)O"))


def test_standardise_merges_tautomers() -> None:
    assert chem.canonical(chem.standardise("Oc1ccccn1")) == chem.canonical(chem.standardise("O=c1cccc[nH]1"))


@pytest.mark.parametrize("bad", ["C1CC(", "", None, "nan", "not a smiles", "c1ccccc"])
def test_standardise_rejects_invalid(bad: object) -> None:
    with pytest.raises(InputDataError):
        chem.standardise(bad)


def test_features_shape_and_descriptors() -> None:
    mols = [chem.standardise(s) for s in ("CCO", "c1ccccc1O")]
    x = chem.features(mols)
    assert x.shape == (2, chem.N_FEATURES) and x.dtype == np.float32
    heavy = chem.DESCRIPTOR_NAMES.index("heavy_atoms")
    assert x[:, chem.FP_BITS + heavy].tolist() == [3.0, 7.0]


def test_fingerprint_packing_round_trip() -> None:
    fps = [chem.fingerprint(chem.standardise(s)) for s in ("CCO", "c1ccccc1N")]
    back = chem.array_to_fingerprints(chem.fingerprints_to_array(fps))
    assert [list(f.GetOnBits()) for f in back] == [list(f.GetOnBits()) for f in fps]
    sims, idx = chem.max_similarity(fps[:1], back)
    assert sims[0] == pytest.approx(1.0) and idx[0] == 0


def test_drug_likeness_flags_pains() -> None:
    quinone = chem.drug_likeness(chem.standardise("O=C1C=CC(=O)C=C1"))  # a PAINS quinone
    aspirin = chem.drug_likeness(chem.standardise("CC(=O)Oc1ccccc1C(=O)O"))
    assert quinone["pains"] and not aspirin["pains"]
    assert aspirin["lipinski_violations"] == 0 and 0 < float(aspirin["qed"]) < 1


def test_svg_is_svg() -> None:
    assert chem.to_svg(chem.parse_smiles("c1ccccc1")).lstrip().startswith("<?xml")


def test_parse_ic50_censoring() -> None:
    assert parse_ic50("> 99.5") == (pytest.approx(4.002, abs=1e-3), -1)
    assert parse_ic50("< 0.0500") == (pytest.approx(7.301, abs=1e-3), 1)
    assert parse_ic50("1.0") == (6.0, 0)
    with pytest.raises(ValueError):
        parse_ic50("n/a")


def test_active_labels_leave_undecidable_bounds_out() -> None:
    labels = active_labels(np.array([6.5, 4.0, 7.3, 6.3, 5.5]), np.array([0, -1, 1, -1, 1]))
    assert labels[:3].tolist() == [1.0, 0.0, 1.0] and np.isnan(labels[3:]).all()


def test_read_table_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputDataError, match="empty"):
        read_table(empty, "smiles")
    with pytest.raises(InputDataError, match="not found"):
        read_table(tmp_path / "missing.csv", "smiles")
    table = tmp_path / "t.csv"
    table.write_text("id,SMILES\n1,CCO\n")
    with pytest.raises(InputDataError, match="no column 'smi'"):
        read_table(table, "smi")
    frame, column = read_table(table)
    assert column == "SMILES" and frame.shape == (1, 2)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(InputDataError):
        read_table(binary, "smiles")
