"""Structure-based scoring: AutoDock Vina docking into SARS-CoV-2 Mpro with meeko preparation.

Receptor: the ASAP reference Mpro dimer (asapdiscovery, MIT) with the bound Moonshot ligand BEN-DND-4f474d93-1
(chromane-carboxamide, chain A). Its protein atoms go through meeko's template-based preparation (hydrogens and
Gasteiger charges, no OpenBabel); the box is centred on that ligand, its size the ligand extent + 10 Å per axis.
The prepared files are committed under ``weights/`` so docking needs no data folder; :func:`prepare_assets`
rebuilds them from ``../shared/data/drugs/structures``. Coordinates are in Å, in the PDB frame of that file.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rdkit import Chem
from rdkit.Chem import AllChem, rdDetermineBonds, rdMolAlign

from iasante.core.errors import ExternalToolError, InputDataError, ModelNotReadyError

ASSET_DIR = Path(__file__).resolve().parent / "weights"
REFERENCE_PDB = "structures/asap_master_sars_cov_2_mpro.pdb"
# Bond orders of the bound ligand (PDB HETATM records carry none); identified by graph match to the Moonshot set.
REFERENCE_LIGAND_SMILES = "O=C(Nc1cncc2cnccc12)C1CCOc2ccc(Cl)cc21"
BOX_PADDING_A = 10.0
# Vina Monte-Carlo runs per ligand. Vina's default is 8; 4 halves the CPU time (benchmarks/bench_drugs.py:
# same best score within 0.1 kcal/mol on the benchmark ligands, re-docking RMSD unchanged), which keeps docking
# under the 30 s per ligand per core target. Callers can still ask for more.
EXHAUSTIVENESS = 4
_VINA_CACHE = threading.local()  # one prepared Vina per thread: Vina objects are not thread-safe


@dataclass
class DockResult:
    """Docked poses of one ligand, best first.

    Attributes:
        smiles: the docked ligand; scores_kcal: Vina scores (kcal/mol, lower is better), one per pose;
        sdf: the poses (with hydrogens) as an SDF text in the receptor frame; seconds: wall time.
    """

    smiles: str
    scores_kcal: list[float]
    sdf: str
    seconds: float = 0.0
    poses: list[Chem.Mol] = field(default_factory=list, repr=False)

    @property
    def best_score(self) -> float:
        return self.scores_kcal[0]


def prepare_assets(data_drugs_dir: Path, out_dir: Path = ASSET_DIR) -> dict[str, list[float]]:
    """Write ``receptor_mpro.pdb``, ``receptor_mpro.pdbqt``, ``ligand_ref.sdf`` and ``box.json`` to ``out_dir``."""
    from meeko import MoleculePreparation, PDBQTWriterLegacy, Polymer, ResidueChemTemplates

    lines = (data_drugs_dir / REFERENCE_PDB).read_text().splitlines()
    protein = [ln for ln in lines if ln.startswith("ATOM")]
    ligand_lines = [ln for ln in lines if ln.startswith("HETATM") and ln[17:20] == "LIG" and ln[21] == "A"]
    ligand = Chem.MolFromPDBBlock("\n".join(ligand_lines) + "\nEND\n", proximityBonding=False, removeHs=False)
    rdDetermineBonds.DetermineConnectivity(ligand)
    ligand = AllChem.AssignBondOrdersFromTemplate(Chem.MolFromSmiles(REFERENCE_LIGAND_SMILES), ligand)
    Chem.AssignStereochemistryFrom3D(ligand)
    xyz = ligand.GetConformer().GetPositions()
    box = {"center": [round(float(v), 3) for v in (xyz.max(0) + xyz.min(0)) / 2],
           "size": [round(float(v), 3) for v in xyz.max(0) - xyz.min(0) + BOX_PADDING_A]}
    pdb_text = "\n".join(protein) + "\nEND\n"
    polymer = Polymer.from_pdb_string(pdb_text, ResidueChemTemplates.create_from_defaults(),
                                      MoleculePreparation(), default_altloc="A")
    rigid, _flex = PDBQTWriterLegacy.write_from_polymer(polymer)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "receptor_mpro.pdb").write_text(pdb_text)
    (out_dir / "receptor_mpro.pdbqt").write_text(rigid)
    Chem.MolToMolFile(ligand, str(out_dir / "ligand_ref.sdf"))
    (out_dir / "box.json").write_text(json.dumps(box, indent=2))
    return box


@lru_cache(maxsize=1)
def load_box(asset_dir: Path = ASSET_DIR) -> dict[str, list[float]]:
    path = asset_dir / "box.json"
    if not path.is_file():
        raise ModelNotReadyError(f"{path}: docking assets missing; run `iasante drugs train --assets-only`")
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def reference_ligand(asset_dir: Path = ASSET_DIR) -> Chem.Mol:
    """The crystal ligand with its bound coordinates (heavy atoms)."""
    mol = Chem.MolFromMolFile(str(asset_dir / "ligand_ref.sdf"))
    if mol is None:
        raise ModelNotReadyError(f"{asset_dir / 'ligand_ref.sdf'}: reference ligand missing")
    return mol


def _ligand_pdbqt(mol: Chem.Mol, seed: int, keep_coordinates: bool = False) -> str:
    """Write meeko's PDBQT (rotatable bonds as torsions) from a new ETKDGv3 + MMFF conformer.

    With ``keep_coordinates`` the molecule's own 3-D conformer is used (hydrogens placed on it): Vina treats
    rings as rigid, so this keeps e.g. the crystal ring pucker for re-docking; position, orientation and
    torsions are still randomised by Vina's search.
    """
    from meeko import MoleculePreparation, PDBQTWriterLegacy

    if keep_coordinates and mol.GetNumConformers() and mol.GetConformer().Is3D():
        mol_h = Chem.AddHs(mol, addCoords=True)
    else:
        mol_h = Chem.AddHs(mol)
        params = AllChem.ETKDGv3()
        params.randomSeed = seed
        if AllChem.EmbedMolecule(mol_h, params) != 0:
            params.useRandomCoords = True
            if AllChem.EmbedMolecule(mol_h, params) != 0:
                raise InputDataError(f"{Chem.MolToSmiles(mol)}: no 3-D conformer could be embedded")
        if AllChem.MMFFHasAllMoleculeParams(mol_h):
            AllChem.MMFFOptimizeMolecule(mol_h, maxIters=500)
    setups = MoleculePreparation().prepare(mol_h)
    text, ok, error = PDBQTWriterLegacy.write_string(setups[0])
    if not ok:
        raise InputDataError(f"{Chem.MolToSmiles(mol)}: meeko cannot prepare this ligand ({error.strip()})")
    return text  # type: ignore[no-any-return]


def _prepared_vina(asset_dir: Path, seed: int) -> Any:
    """A Vina engine with the receptor loaded and the affinity maps of *every* atom type computed, cached.

    Reading the receptor and computing the maps (0.4-1.1 s CPU) is then paid once per worker process instead of
    once per ligand; docking against cached maps gives the same poses and scores as fresh maps (Vina seeds each
    ``dock`` call from the constructor seed).
    """
    from vina import Vina

    cache: dict[tuple[Path, int], Any] = getattr(_VINA_CACHE, "engines", {})
    _VINA_CACHE.engines = cache
    if (asset_dir, seed) not in cache:
        box = load_box(asset_dir)
        receptor = asset_dir / "receptor_mpro.pdbqt"
        if not receptor.is_file():
            raise ModelNotReadyError(f"{receptor}: receptor missing; run `iasante drugs train --assets-only`")
        vina = Vina(sf_name="vina", cpu=1, seed=seed + 1, verbosity=0)  # Vina draws a random seed for 0
        vina.set_receptor(str(receptor))
        vina.compute_vina_maps(center=box["center"], box_size=box["size"])  # no ligand yet: all atom types
        cache[(asset_dir, seed)] = vina
    return cache[(asset_dir, seed)]


def dock(mol: Chem.Mol, exhaustiveness: int = EXHAUSTIVENESS, n_poses: int = 5, seed: int = 0,
         asset_dir: Path = ASSET_DIR, keep_coordinates: bool = False) -> DockResult:
    """Dock one ligand into the Mpro active site on one CPU core.

    Args:
        mol: standardised ligand without hydrogens (protonation as given; neutral after standardisation).
        exhaustiveness: Vina Monte-Carlo runs (Vina's default is 8; see :data:`EXHAUSTIVENESS`).
        n_poses: poses kept; seed: Vina and conformer seed (results are deterministic for a fixed seed).
        keep_coordinates: start from the molecule's own 3-D conformer (see :func:`_ligand_pdbqt`).

    Raises:
        InputDataError: ligand cannot be embedded or prepared. ExternalToolError: Vina failed.
    """
    import time

    from meeko import PDBQTMolecule, RDKitMolCreate

    start = time.perf_counter()
    ligand_pdbqt = _ligand_pdbqt(mol, seed, keep_coordinates)
    try:
        vina = _prepared_vina(asset_dir, seed)
        vina.set_ligand_from_string(ligand_pdbqt)
        vina.dock(exhaustiveness=exhaustiveness, n_poses=n_poses)
        poses_pdbqt = vina.poses(n_poses=n_poses)
        energies = vina.energies(n_poses=n_poses)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ExternalToolError(f"vina failed on {Chem.MolToSmiles(mol)}: {exc}") from exc
    poses = RDKitMolCreate.from_pdbqt_mol(PDBQTMolecule(poses_pdbqt, skip_typing=True))[0]
    pose_mols, sdf_blocks = [], []
    for k, conf in enumerate(poses.GetConformers()):
        pose = Chem.Mol(poses, confId=conf.GetId())
        pose.SetProp("_Name", f"pose {k + 1}")
        pose.SetDoubleProp("vina_score_kcal", float(energies[k][0]))
        pose_mols.append(pose)
        sdf_blocks.append(Chem.MolToMolBlock(pose) + "".join(
            f">  <{key}>\n{value}\n\n" for key, value in (("vina_score_kcal", f"{energies[k][0]:.3f}"),
                                                        ("smiles", Chem.MolToSmiles(mol)))) + "$$$$\n")
    return DockResult(Chem.MolToSmiles(mol), [round(float(e[0]), 3) for e in energies], "".join(sdf_blocks),
                      round(time.perf_counter() - start, 2), pose_mols)


def pose_rmsd(pose: Chem.Mol, reference: Chem.Mol) -> float:
    """Symmetry-aware heavy-atom RMSD (Å) between a docked pose and the crystal pose, without re-alignment."""
    return float(rdMolAlign.CalcRMS(Chem.RemoveHs(pose), Chem.RemoveHs(reference)))


def redock_reference(exhaustiveness: int = EXHAUSTIVENESS, seed: int = 0, asset_dir: Path = ASSET_DIR,
                     from_crystal_conformer: bool = True) -> tuple[float, DockResult]:
    """Re-dock the crystal ligand; returns (top-pose RMSD in Å, result).

    ``from_crystal_conformer=False`` starts from an ETKDG conformer instead (a harder, cross-conformer test:
    the rigid chromane ring pucker then differs from the crystal one).
    """
    ref = reference_ligand(asset_dir)
    result = dock(Chem.Mol(ref), exhaustiveness=exhaustiveness, seed=seed, asset_dir=asset_dir,
                  keep_coordinates=from_crystal_conformer)
    return pose_rmsd(result.poses[0], ref), result


def centre_distance(pose: Chem.Mol) -> float:
    """Distance (Å) of a pose's centroid to the box centre, to flag poses outside the pocket."""
    xyz = Chem.RemoveHs(pose).GetConformer().GetPositions()
    return float(np.linalg.norm(xyz.mean(0) - np.asarray(load_box()["center"])))
