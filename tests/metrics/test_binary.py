"""The binary metrics (``metrics/binary.py``): the example of the issue that asked for the warning
when sigmoid outputs are read as logits (every kind's warning is tested in ``test_base.py``)."""

from __future__ import annotations

import pytest
import torch

from ignite_f1 import BinaryF1Score


def test_the_issue_example_warns() -> None:
    metric = BinaryF1Score(from_logits=True)
    metric.update((torch.sigmoid(torch.tensor([2.0, -2.0, -3.0, 1.0])), torch.tensor([1, 0, 0, 1])))
    with pytest.warns(UserWarning, match=r"look like probabilities .* from_logits=False"):
        metric.compute()
