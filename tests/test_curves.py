"""The pure threshold-grid arithmetic of ``ignite_f1._curves``: the O(batch) bin guess equals
``searchsorted`` on, and next to, every cut. The metrics' curves are tested in
``tests/metrics/test_thresholds.py``."""

from __future__ import annotations

import math

import pytest
import torch

from ignite_f1 import _curves

# --------------------------------------------------------------------------- the O(batch) bin guess


@pytest.mark.parametrize("num_thresholds", [2, 3, 11, 101, 1001, 65537, 1 << 20])
@pytest.mark.parametrize("from_logits", [True, False], ids=["logits", "probs"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
def test_guessed_bins_equal_searchsorted_on_and_next_to_every_cut(num_thresholds, from_logits, dtype):
    """The arithmetic guess plus one correction each way is exact, even on the cuts themselves."""
    g = torch.Generator().manual_seed(num_thresholds)
    boundaries = _curves.score_boundaries(num_thresholds, from_logits)
    cuts = boundaries.to(dtype)
    finite = cuts[torch.isfinite(cuts)]
    if finite.numel() == 0:  # logits with T = 2: cuts -inf and +inf
        finite = torch.zeros(1, dtype=dtype)
    on = finite[torch.randint(0, finite.numel(), (3000,), generator=g)]
    inf = torch.tensor(math.inf, dtype=dtype)
    spread = (
        torch.randn(3000, generator=g, dtype=dtype) * 8
        if from_logits
        else torch.rand(3000, generator=g, dtype=dtype)
    )
    scores = torch.cat([on, torch.nextafter(on, inf), torch.nextafter(on, -inf), spread])
    if from_logits:
        scores = torch.cat(
            [scores, torch.tensor([math.inf, -math.inf, 16.6, 36.8, -40.0, 800.0], dtype=dtype)]
        )
    else:
        scores = torch.cat([scores.clamp(0, 1), torch.tensor([0.0, 1.0], dtype=dtype)])
    expected = (torch.searchsorted(cuts, scores, right=True) - 1).clamp(0, num_thresholds - 1)
    assert torch.equal(_curves.bin_index(scores, boundaries, from_logits), expected)
