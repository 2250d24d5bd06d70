"""Lead finding: series of Moonshot actives (Butina on Murcko scaffolds) and analogues of a chosen hit.

Analogues come from one-step enumeration with classic medicinal-chemistry transformations (aromatic halogen,
methyl, methoxy and nitrile scans, aza scan of six-membered rings, halogen swaps, amide N-methylation...), the
moves behind most matched molecular pairs (Griffen et al., J Med Chem 2011). Each analogue is standardised,
scored by the potency model and filtered by drug-likeness (QED ≥ ``min_qed``, ≤ 1 Lipinski violation, no PAINS).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs
from rdkit.Chem import rdChemReactions

from iasante.core.errors import InputDataError
from iasante.drugs import chem
from iasante.drugs.scoring import load_actives, score_mols

TRANSFORMS = {
    "aromatic H>F": "[cH:1]>>[c:1]F",
    "aromatic H>Cl": "[cH:1]>>[c:1]Cl",
    "aromatic H>CH3": "[cH:1]>>[c:1]C",
    "aromatic H>OCH3": "[cH:1]>>[c:1]OC",
    "aromatic H>CN": "[cH:1]>>[c:1]C#N",
    "aza scan CH>N": "[cH;r6:1]>>[n:1]",
    "Cl>F": "[c:1]Cl>>[c:1]F",
    "F>Cl": "[c:1]F>>[c:1]Cl",
    "Br>Cl": "[c:1]Br>>[c:1]Cl",
    "Cl>CF3": "[c:1]Cl>>[c:1]C(F)(F)F",
    "CH3>CF3": "[c:1][CH3]>>[c:1]C(F)(F)F",
    "CH3>cyclopropyl": "[c:1][CH3]>>[c:1]C1CC1",
    "OCH3>OH": "[c:1]O[CH3]>>[c:1]O",
    "OH>OCH3": "[c:1][OH]>>[c:1]OC",
    "NH2>NHCH3": "[c:1][NH2]>>[c:1]NC",
    "amide N-methylation": "[C:1](=[O:2])[NH1:3][#6:4]>>[C:1](=[O:2])N(C)[#6:4]",
    "phenyl>pyridyl (para)": "[cH:1]1[cH:2][cH:3][cH:4][cH:5][c:6]1>>[cH:1]1[cH:2]n[cH:4][cH:5][c:6]1",
    "aliphatic CH2>O": "[CH2;R;!$(C[O,N,S]):1]>>[O:1]",
}


@lru_cache(maxsize=1)
def _reactions() -> dict[str, rdChemReactions.ChemicalReaction]:
    return {name: rdChemReactions.ReactionFromSmarts(smarts) for name, smarts in TRANSFORMS.items()}


def enumerate_analogues(mol: Chem.Mol, max_products: int = 500) -> dict[str, str]:
    """All distinct one-step analogues of ``mol``: {canonical SMILES: transformation name}."""
    parent = chem.canonical(mol)
    out: dict[str, str] = {}
    for name, reaction in _reactions().items():
        for products in reaction.RunReactants((mol,)):
            product = Chem.Mol(products[0])
            try:
                Chem.SanitizeMol(product)
            except (Chem.rdchem.MolSanitizeException, ValueError):  # e.g. an aza scan breaking aromaticity
                continue
            smiles = Chem.MolToSmiles(product)
            if smiles != parent and smiles not in out:
                out[smiles] = name
            if len(out) >= max_products:
                return out
    return out


def propose_analogues(smiles: str, top: int = 25, min_qed: float = 0.4) -> pd.DataFrame:
    """Analogues of a hit, scored and filtered, best predicted potency first.

    Returns:
        columns ``smiles``, ``transformation``, ``similarity_to_hit`` and those of :func:`score_mols`;
        the first row (``transformation == "hit"``) is the hit itself, for comparison.
    """
    hit = chem.standardise(smiles)
    candidates = enumerate_analogues(hit)
    if not candidates:
        raise InputDataError(f"{smiles}: no transformation applies to this molecule")
    mols, names = [hit], ["hit"]
    for cand, name in candidates.items():
        try:
            mols.append(chem.standardise(cand))
            names.append(name)
        except InputDataError:
            continue
    table = score_mols(mols)
    table.insert(0, "transformation", names)
    hit_fp = chem.fingerprint(hit)
    table.insert(1, "similarity_to_hit", np.round(
        DataStructs.BulkTanimotoSimilarity(hit_fp, [chem.fingerprint(m) for m in mols]), 3))
    keep = (table.qed >= min_qed) & (table.lipinski_violations <= 1) & (table.pains == "")
    keep.iloc[0] = True
    analogues = table[keep].iloc[1:].drop_duplicates("smiles_std").sort_values("score", ascending=False)
    return pd.concat([table.iloc[:1], analogues.head(top)]).reset_index(drop=True)


def cluster_actives(min_pic50: float = 5.0, distance: float = 0.6) -> pd.DataFrame:
    """Series of Moonshot actives: Butina clusters of their Murcko-scaffold fingerprints.

    Returns:
        one row per cluster, biggest first: ``cluster``, ``n_compounds``, ``best_id``, ``best_smiles``,
        ``best_pIC50``, ``median_pIC50``, ``scaffold`` (Murcko scaffold of the best compound).
    """
    from rdkit.ML.Cluster import Butina

    actives = load_actives().frame
    actives = actives[actives.pic50 >= min_pic50].reset_index(drop=True)
    mols = [chem.parse_smiles(s) for s in actives.smiles]
    scaffolds = [chem.murcko_scaffold(m) or chem.canonical(m) for m in mols]
    fps = [chem.fingerprint(chem.parse_smiles(s)) for s in scaffolds]
    dists: list[float] = []
    for i in range(1, len(fps)):
        dists.extend(1.0 - np.asarray(DataStructs.BulkTanimotoSimilarity(fps[i], fps[:i])))
    rows = []
    for cid, members in enumerate(Butina.ClusterData(dists, len(fps), distance, isDistData=True,
                                                     reordering=True)):
        sub = actives.iloc[list(members)]
        best = sub.pic50.idxmax()
        rows.append({"cluster": cid + 1, "n_compounds": len(sub), "best_id": sub.ids[best].split(";")[0],
                     "best_smiles": sub.smiles[best], "best_pIC50": round(float(sub.pic50[best]), 2),
                     "median_pIC50": round(float(sub.pic50.median()), 2), "scaffold": scaffolds[best]})
    return pd.DataFrame(rows)
