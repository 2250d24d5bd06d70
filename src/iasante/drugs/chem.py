"""Chemistry helpers on RDKit: standardisation, features, similarity, drug-likeness and 2-D drawings.

Every molecule that reaches a model goes through :func:`standardise` first, so that a salt, a charged form or a
different tautomer of the same compound gives the same features (training and prediction share this code).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rdkit import Chem, DataStructs, RDLogger
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdFingerprintGenerator, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.Chem.Scaffolds import MurckoScaffold

from iasante.core.errors import InputDataError

RDLogger.DisableLog("rdApp.*")

FP_BITS = 2048
FP_RADIUS = 2
MAX_HEAVY_ATOMS = 5000  # guard against absurd inputs; big peptides are scored (and flagged out of domain)
TAUTOMER_MAX_HEAVY_ATOMS = 150  # bigger (peptide drugs) skip tautomer search: slow, and far out of domain anyway
# Atom pairs need all topological distances (cubic in size: ~2 s for a 2,500-atom protein drug); bigger molecules
# (no Moonshot compound comes close) get an empty atom-pair block, i.e. zero similarity there.
ATOM_PAIR_MAX_HEAVY_ATOMS = 150
# Cheap, interpretable whole-molecule descriptors (name, function); order is part of the weights' contract.
_DESCRIPTORS = (
    ("mol_wt", Descriptors.MolWt),
    ("logp", Crippen.MolLogP),
    ("tpsa", rdMolDescriptors.CalcTPSA),
    ("hbd", Lipinski.NumHDonors),
    ("hba", Lipinski.NumHAcceptors),
    ("rot_bonds", Lipinski.NumRotatableBonds),
    ("rings", rdMolDescriptors.CalcNumRings),
    ("aromatic_rings", rdMolDescriptors.CalcNumAromaticRings),
    ("heavy_atoms", Lipinski.HeavyAtomCount),
    ("fraction_csp3", rdMolDescriptors.CalcFractionCSP3),
    ("heteroatoms", rdMolDescriptors.CalcNumHeteroatoms),
    ("stereocentres", lambda m: len(Chem.FindMolChiralCenters(m, includeUnassigned=True))),
    ("formal_charge", Chem.GetFormalCharge),
    ("halogens", lambda m: sum(a.GetSymbol() in {"F", "Cl", "Br", "I"} for a in m.GetAtoms())),
)
DESCRIPTOR_NAMES = tuple(name for name, _ in _DESCRIPTORS)
# Feature layout (column slices of :func:`features`): the boosted-tree block, then the count fingerprints of the
# Tanimoto-kernel regressor (ECFP6 and atom pairs: best pair on inner series validation, see the model card).
TREE_COLUMNS = slice(0, FP_BITS + len(_DESCRIPTORS))
KERNEL_BLOCKS = (slice(TREE_COLUMNS.stop, TREE_COLUMNS.stop + FP_BITS),
                 slice(TREE_COLUMNS.stop + FP_BITS, TREE_COLUMNS.stop + 2 * FP_BITS))
N_FEATURES = KERNEL_BLOCKS[-1].stop


@lru_cache(maxsize=1)
def _standardisers() -> tuple[rdMolStandardize.LargestFragmentChooser, rdMolStandardize.Uncharger,
                              rdMolStandardize.TautomerEnumerator]:
    enumerator = rdMolStandardize.TautomerEnumerator()
    enumerator.SetMaxTautomers(64)  # bounds the time per molecule; canonical choice stays deterministic
    enumerator.SetMaxTransforms(256)
    enumerator.SetRemoveSp3Stereo(False)  # keep e.g. a chiral alpha carbon's stereo for display and docking
    enumerator.SetRemoveBondStereo(False)
    return rdMolStandardize.LargestFragmentChooser(), rdMolStandardize.Uncharger(), enumerator


def parse_smiles(smiles: object) -> Chem.Mol:
    """Parse one SMILES (CXSMILES extensions after a space are dropped); raise InputDataError if invalid."""
    text = "" if smiles is None else str(smiles).strip()
    if not text or text.lower() == "nan":
        raise InputDataError("empty SMILES")
    mol = Chem.MolFromSmiles(text.split(" ")[0])
    if mol is None or mol.GetNumAtoms() == 0:
        raise InputDataError(f"invalid SMILES {text[:80]!r}")
    return mol


def standardise(smiles: object, tautomer: bool = True) -> Chem.Mol:
    """Parse and standardise: cleanup, keep the largest fragment (drops salts), neutralise, canonical tautomer.

    Args:
        smiles: the input SMILES.
        tautomer: pick RDKit's canonical tautomer (model features); ``False`` keeps the drawn tautomer, which
            is chemically more usual (e.g. conjugated enones of steroids) and is what docking uses.

    Raises:
        InputDataError: invalid, empty, or absurdly large (> 5,000 heavy atoms).
    """
    mol = parse_smiles(smiles)
    chooser, uncharger, enumerator = _standardisers()
    try:
        mol = rdMolStandardize.Cleanup(mol)
        mol = uncharger.uncharge(chooser.choose(mol))
        if tautomer and mol.GetNumHeavyAtoms() <= TAUTOMER_MAX_HEAVY_ATOMS:
            mol = enumerator.Canonicalize(mol)
    except (RuntimeError, ValueError) as exc:  # RDKit raises these on chemically impossible inputs
        raise InputDataError(f"SMILES {str(smiles)[:80]!r} cannot be standardised: {exc}") from exc
    if mol.GetNumHeavyAtoms() > MAX_HEAVY_ATOMS:
        raise InputDataError(f"SMILES {str(smiles)[:80]!r}: {mol.GetNumHeavyAtoms()} heavy atoms, "
                             f"not a small molecule (max {MAX_HEAVY_ATOMS})")
    return mol


def canonical(mol: Chem.Mol) -> str:
    return Chem.MolToSmiles(mol)


@lru_cache(maxsize=1)
def _morgan() -> rdFingerprintGenerator.FingerprintGenerator64:
    return rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS, includeChirality=True)


def fingerprint(mol: Chem.Mol) -> DataStructs.ExplicitBitVect:
    """Morgan (ECFP4-like, chirality-aware: Moonshot enantiomers differ in potency) bits, 2048, for Tanimoto."""
    return _morgan().GetFingerprint(mol)


@lru_cache(maxsize=1)
def _kernel_generators() -> tuple[rdFingerprintGenerator.FingerprintGenerator64, ...]:
    return (rdFingerprintGenerator.GetMorganGenerator(radius=3, fpSize=FP_BITS, includeChirality=True),
            rdFingerprintGenerator.GetAtomPairGenerator(fpSize=FP_BITS))


def features(mols: list[Chem.Mol]) -> np.ndarray:
    """Model features: Morgan counts (radius 2, 2048 folded), :data:`DESCRIPTOR_NAMES`, then ECFP6 counts and
    atom-pair counts (2048 folded each; see :data:`ATOM_PAIR_MAX_HEAVY_ATOMS`) at :data:`KERNEL_BLOCKS`.

    Returns:
        float32 array of shape (n_molecules, N_FEATURES).
    """
    out = np.zeros((len(mols), N_FEATURES), dtype=np.float32)
    generator = _morgan()
    for i, mol in enumerate(mols):
        out[i, :FP_BITS] = generator.GetCountFingerprintAsNumPy(mol)
        out[i, FP_BITS:TREE_COLUMNS.stop] = [fn(mol) for _, fn in _DESCRIPTORS]
        ecfp6, atom_pairs = _kernel_generators()
        out[i, KERNEL_BLOCKS[0]] = ecfp6.GetCountFingerprintAsNumPy(mol)
        if mol.GetNumHeavyAtoms() <= ATOM_PAIR_MAX_HEAVY_ATOMS:
            out[i, KERNEL_BLOCKS[1]] = atom_pairs.GetCountFingerprintAsNumPy(mol)
    return out


def fingerprints_to_array(fps: list[DataStructs.ExplicitBitVect]) -> np.ndarray:
    """Pack bit vectors for storage: uint8 array of shape (n, FP_BITS // 8)."""
    bits = np.zeros((len(fps), FP_BITS), dtype=np.uint8)
    for i, fp in enumerate(fps):
        DataStructs.ConvertToNumpyArray(fp, bits[i])
    return np.packbits(bits, axis=1)


def array_to_fingerprints(packed: np.ndarray) -> list[DataStructs.ExplicitBitVect]:
    """Inverse of :func:`fingerprints_to_array`."""
    fps = []
    for row in np.unpackbits(packed, axis=1):
        fp = DataStructs.ExplicitBitVect(FP_BITS)
        fp.SetBitsFromList(np.flatnonzero(row).tolist())
        fps.append(fp)
    return fps


def max_similarity(query: list[DataStructs.ExplicitBitVect], reference: list[DataStructs.ExplicitBitVect]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-neighbour Tanimoto of each query to a reference set.

    Returns:
        (similarity float array (n_query,), index int array (n_query,) of the nearest reference).
    """
    sims = np.zeros(len(query))
    index = np.zeros(len(query), dtype=int)
    if not reference:
        return sims, index
    for i, fp in enumerate(query):
        row = np.asarray(DataStructs.BulkTanimotoSimilarity(fp, reference))
        index[i] = int(row.argmax())
        sims[i] = row[index[i]]
    return sims, index


def murcko_scaffold(mol: Chem.Mol, generic: bool = False) -> str:
    """Bemis-Murcko scaffold SMILES ('' for acyclic molecules); ``generic`` also erases atom/bond types."""
    core = MurckoScaffold.GetScaffoldForMol(mol)
    if generic and core.GetNumAtoms():
        core = MurckoScaffold.MakeScaffoldGeneric(core)
    return Chem.MolToSmiles(core)


@lru_cache(maxsize=1)
def _pains() -> FilterCatalog:
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    return FilterCatalog(params)


def drug_likeness(mol: Chem.Mol) -> dict[str, float | int | str]:
    """QED (Bickerton et al. 2012), Lipinski rule-of-five violations, PAINS alerts (Baell & Holloway 2010)."""
    violations = sum((
        Descriptors.MolWt(mol) > 500,
        Crippen.MolLogP(mol) > 5,
        Lipinski.NumHDonors(mol) > 5,
        Lipinski.NumHAcceptors(mol) > 10,
    ))
    alerts = [entry.GetDescription() for entry in _pains().GetMatches(mol)]
    return {"qed": round(float(QED.qed(mol)), 3), "lipinski_violations": int(violations),
            "pains": ";".join(alerts)}


def to_svg(mol: Chem.Mol, width: int = 300, height: int = 220, highlight: list[int] | None = None) -> str:
    """A 2-D depiction as an SVG string (RDKit Cairo-free drawer)."""
    from rdkit.Chem.Draw import rdMolDraw2D

    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, Chem.Mol(mol), highlightAtoms=highlight or [])
    drawer.FinishDrawing()
    return drawer.GetDrawingText()
