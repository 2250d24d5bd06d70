"""The chooser between readings of an object (whole chromosome or touching ones cut apart)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from iasante.core.errors import ModelNotReadyError
from iasante.karyotype.splitting import CLASS_RELATIVE_AREA, Piece, SplitChooser, is_doubtful, reading_features


def _piece(k: int, area_ratio: float, p_other: float = 0.01) -> Piece:
    proba = np.full(24, 0.02 / 23)
    proba[k] = 0.98
    return Piece(area_ratio, proba, p_other)


def test_doubt_comes_from_p_other_or_excess_size() -> None:
    assert not is_doubtful(_piece(0, CLASS_RELATIVE_AREA[0]))
    assert is_doubtful(_piece(0, CLASS_RELATIVE_AREA[0], p_other=0.5))
    assert is_doubtful(_piece(20, 2.5 * CLASS_RELATIVE_AREA[20]))  # a "21" far too big: a pair


def test_reading_features_shape_and_cut_count() -> None:
    whole = _piece(3, 2.0, p_other=0.6)
    kept = reading_features([whole], whole, neck=False)
    cut = reading_features([_piece(3, 1.4), _piece(20, 0.4)], whole, neck=True)
    assert len(kept) == len(cut) == 12 and kept[0] == 0.0 and cut[0] == 1.0 and cut[8] == 1.0


def test_chooser_fit_choose_save_load(tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError):
        SplitChooser().choose([[0.0] * 12, [1.0] * 12])
    with pytest.raises(ModelNotReadyError):
        SplitChooser.load(tmp_path)
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 12))
    right = features[:, 1] < 0  # readings whose pieces look like whole chromosomes are right
    chooser = SplitChooser(max_iter=20).fit(features, right)
    chooser.save(tmp_path)
    loaded = SplitChooser.load(tmp_path)
    good, bad = [0.0] * 12, [0.0] * 12
    good[1], bad[1] = -2.0, 2.0
    assert loaded.choose([bad, good]) == 1 and loaded.choose([good]) == 0


def test_reading_truth_needs_one_piece_per_true_chromosome() -> None:
    """A cut is right only when its pieces match the touching chromosomes one to one (IoU >= 0.5)."""
    from iasante.karyotype.segment import find_segments, split_candidates
    from iasante.karyotype.synth import Metaphase
    from iasante.karyotype.train import _reading_is_right

    image = np.zeros((64, 72), np.float32)
    image[5:59, 8:20] = 0.7
    image[26:38, 20:68] = 0.7  # a horizontal bar touching the vertical one
    instances = np.zeros(image.shape, np.int32)
    instances[5:59, 8:20] = 1
    instances[26:38, 20:68] = 2
    meta = Metaphase((image * 255).astype(np.uint8), instances, [0, 1], [0.0, 0.0], [])
    (whole,) = find_segments(image)
    assert not _reading_is_right(meta, [whole], {1, 2})
    cuts = split_candidates(whole)
    assert any(_reading_is_right(meta, parts, {1, 2}) for parts in cuts if len(parts) == 2)
    assert not any(_reading_is_right(meta, parts, {1, 2}) for parts in cuts if len(parts) != 2)
