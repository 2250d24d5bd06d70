"""Docking: re-docking the crystal Moonshot ligand, and the committed assets rebuilt from the shared data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iasante.core.config import get_settings
from iasante.drugs import docking


def test_redocking_crystal_ligand_under_2_angstrom() -> None:
    rmsd, result = docking.redock_reference(exhaustiveness=1, seed=0)  # 0.54 A at the default 8 too
    assert rmsd < 2.0, f"re-docked pose {rmsd:.2f} A from the crystal pose"
    assert result.best_score < -6.0 and result.scores_kcal == sorted(result.scores_kcal)
    assert docking.centre_distance(result.poses[0]) < 4.0


def test_assets_rebuild_identically(tmp_path: Path) -> None:
    data = get_settings().data_dir
    if data is None or not (data / "drugs" / docking.REFERENCE_PDB).is_file():
        pytest.skip("shared drugs data not available")
    box = docking.prepare_assets(data / "drugs", tmp_path)
    assert box == json.loads((docking.ASSET_DIR / "box.json").read_text())
    rebuilt = (tmp_path / "receptor_mpro.pdbqt").read_text()
    assert rebuilt == (docking.ASSET_DIR / "receptor_mpro.pdbqt").read_text()
    assert docking.reference_ligand(tmp_path).GetNumHeavyAtoms() == 24


def test_cli_default_exhaustiveness_matches_docking() -> None:
    from iasante.drugs import cli

    assert cli.EXHAUSTIVENESS == docking.EXHAUSTIVENESS


def test_reused_vina_engine_docks_like_a_fresh_one() -> None:
    from iasante.drugs import chem

    mol = chem.standardise("O=C(Nc1cccnc1)c1ccccc1", tautomer=False)
    first = docking.dock(mol, exhaustiveness=1, seed=3)
    docking.dock(chem.standardise("CC(=O)Nc1ccc(O)cc1", tautomer=False), exhaustiveness=1, seed=3)
    docking._VINA_CACHE.engines.clear()  # fresh receptor and maps
    assert docking.dock(mol, exhaustiveness=1, seed=3).scores_kcal == first.scores_kcal


def test_flexible_ligands_are_submitted_first() -> None:
    from iasante.drugs.service import _docking_cost

    boceprevir = "CC(C)(C)NC(=O)N[C@H](C(=O)N1C[C@H]2[C@@H]([C@H]1C(=O)NC(CC1CCC1)C(=O)C(N)=O)C2(C)C)C(C)(C)C"
    assert _docking_cost(boceprevir) > _docking_cost("O=C(Nc1cccnc1)c1ccccc1") > _docking_cost("not a smiles") == 0
