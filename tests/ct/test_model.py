"""Network shapes on random tensors, the cascade, series aggregation, bootstrap CIs and preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from iasante.ct.io import window_hu
from iasante.ct.metrics import aggregate_series, auc, cluster_bootstrap
from iasante.ct.model import (
    CascadeNet,
    CovidTriageNet,
    EnsembleNet,
    TriageConfig,
    build_ensemble,
    cascade_of,
    decide,
    head_members,
)
from iasante.ct.preprocess import (
    AIR_01,
    TISSUE_01,
    body_mask,
    crop_to_body,
    harmonise_window,
    lung_fraction,
    to_model_input,
)
from tests.ct.conftest import chest_phantom_hu


@pytest.mark.parametrize(("channels", "size"), [((16, 32, 64, 128), 128), ((8, 16, 32), 64), ((16, 32, 64, 128), 96)])
def test_net_output_shape(channels: tuple[int, ...], size: int) -> None:
    net = CovidTriageNet(channels).eval()
    assert net(torch.rand(3, 1, size, size)).shape == (3, 2)


def test_ensemble_roundtrip_and_calibration() -> None:
    torch.manual_seed(0)
    config = TriageConfig(channels=[8, 16, 32], n_members=2, platt_scale=[2.0, 0.5], platt_bias=[0.1, -0.3])
    members = [CovidTriageNet((8, 16, 32)).eval() for _ in range(2)]
    net = EnsembleNet(members, torch.tensor(config.platt_scale), torch.tensor(config.platt_bias)).eval()
    x = torch.rand(4, 1, 64, 64)
    raw = torch.stack([m(x) for m in members]).mean(0)
    expected = raw * torch.tensor([[2.0, 0.5]]) + torch.tensor([[0.1, -0.3]])
    torch.testing.assert_close(net(x), expected)
    rebuilt = build_ensemble(net.state_dict(), config)
    torch.testing.assert_close(rebuilt(x), net(x))


def test_cascade_net_reads_one_view_per_head() -> None:
    torch.manual_seed(0)
    config = TriageConfig(channels=[8, 16, 32], n_members=2, crop="cascade", platt_scale=[2.0, 0.5])
    body = [CovidTriageNet((8, 16, 32)).eval() for _ in range(2)]
    lung = [CovidTriageNet((8, 16, 32)).eval() for _ in range(2)]
    net = cascade_of(body, lung, config.platt_scale, config.platt_bias)
    x = torch.rand(3, 2, 64, 64)
    out = net(x)
    assert out.shape == (3, 2)
    abnormal = torch.stack([m(x[:, :1]) for m in body]).mean(0)[:, 0] * 2.0
    covid = torch.stack([m(x[:, 1:]) for m in lung]).mean(0)[:, 1] * 0.5
    torch.testing.assert_close(out, torch.stack([abnormal, covid], 1))
    rebuilt = build_ensemble(net.state_dict(), config)
    assert isinstance(rebuilt, CascadeNet)
    torch.testing.assert_close(rebuilt(x), out)
    assert head_members(rebuilt, "abnormal")[1] == 0 and head_members(rebuilt, "covid")[1] == 1


def test_cascade() -> None:
    config = TriageConfig(threshold_abnormal=0.5, threshold_covid=0.5)
    assert decide(0.2, 0.9, config) == "normal"
    assert decide(0.8, 0.9, config) == "covid"
    assert decide(0.8, 0.1, config) == "pathological"


def test_aggregate_series_uses_top_lung_slices() -> None:
    p_abn = np.array([0.99, 0.1, 0.2, 0.9, 0.8, 0.1, 0.1, 0.1])
    p_cov = np.array([0.99, 0.0, 0.0, 0.7, 0.5, 0.0, 0.0, 0.0])
    lung = np.array([0.0, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])  # slice 0 has no lung: ignored
    p, c, drivers = aggregate_series(p_abn, p_cov, lung, top_frac=0.25)
    assert drivers == [3, 4]
    assert p == pytest.approx(0.85)
    assert c == pytest.approx((0.9 * 0.7 + 0.8 * 0.5) / 1.7, rel=1e-4)


def test_cluster_bootstrap_brackets_the_estimate() -> None:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 50)
    score = y + rng.normal(0, 0.8, 100)
    groups = np.arange(100) // 2
    out = cluster_bootstrap(auc, y, score, groups, n_boot=200)
    assert out["ci95_low"] <= out["value"] <= out["ci95_high"] and out["n_patients"] == 50
    assert 0.7 < out["value"] < 0.95


def test_preprocess_crops_body_and_resizes() -> None:
    slice_01 = window_hu(np.pad(chest_phantom_hu(96), ((40, 40), (10, 10)), constant_values=-1000.0))
    crop = crop_to_body(slice_01)
    assert crop.shape[0] == crop.shape[1] and crop.shape[0] < slice_01.shape[0]
    x = to_model_input(slice_01, 128)
    assert x.shape == (1, 128, 128) and x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert 0.15 < lung_fraction(slice_01) < 0.5
    assert lung_fraction(window_hu(np.full((96, 96), 40.0))) == 0.0


def test_harmonise_window_puts_air_and_tissue_where_the_lung_window_does() -> None:
    hu = np.pad(chest_phantom_hu(96), 20, constant_values=-1000.0)
    lung_window = window_hu(hu)
    other = window_hu(hu, (-1000.0, 1100.0))  # a PNG export with air at 0 and muscle near 0.5
    for slice_01 in (lung_window, other):
        out = harmonise_window(slice_01, body_mask(slice_01))
        assert abs(float(np.median(out[hu == -1000.0])) - AIR_01) < 0.01
        assert abs(float(np.median(out[hu == 40.0])) - TISSUE_01) < 0.01
    np.testing.assert_allclose(harmonise_window(lung_window, body_mask(lung_window)), lung_window, atol=1e-5)
    padded = lung_window.copy()
    padded[:10] = 0.0  # clipped padding outside the scan circle is not taken for air
    assert abs(float(np.median(harmonise_window(padded, body_mask(padded))[hu == 40.0])) - TISSUE_01) < 0.01
