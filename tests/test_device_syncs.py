"""Host <-> device crossings per ``update()`` on an accelerator, counted without one.

The ``meta`` device stands in for CUDA: its tensors have no data, so every read of a value on the
host (``tolist``, ``item``, ``bool``...) and every copy from the host (``torch.tensor(...,
device=...)``, ``.to(device)`` of a CPU tensor) shows as a call, counted by a ``TorchFunctionMode``
(a read is answered with zeros, so that validation goes on). On CUDA each of them waits for the
device. The promise: no crossing without validation; with it, one read per batch (validation's
values gathered into one tensor, the sample weights' check among them). A constant made per
batch on the host (a label index, a NaN, the thresholds) would show here.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from torch.overrides import TorchFunctionMode

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MultilabelF1Score, _validation

_READS = (torch.Tensor.tolist, torch.Tensor.item, torch.Tensor.__bool__, torch.Tensor.__int__)
_READS += (torch.Tensor.__float__, torch.Tensor.cpu, torch.Tensor.numpy)


class _Crossings(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.copies = 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if func in _READS and args[0].device.type == "meta":
            self.reads += 1
            zeros = torch.zeros(args[0].shape, dtype=args[0].dtype)
            return getattr(zeros, func.__name__)(*args[1:], **kwargs)
        if func in (torch.tensor, torch.as_tensor) and kwargs.get("device") is not None:
            self.copies += torch.device(kwargs["device"]).type != "cpu"
        if func is torch.Tensor.to:
            targets = [a for a in (*args[1:], kwargs.get("device")) if isinstance(a, (str, torch.device))]
            self.copies += any(torch.device(t).type != args[0].device.type for t in targets)
        return func(*args, **kwargs)


def _empty(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.empty(*shape, dtype=dtype, device="meta")


N, C, L = 64, 5, 4
_LONG = torch.int64
CASES: dict[str, tuple[Any, tuple[torch.Tensor, ...]]] = {
    "binary": (lambda **k: BinaryF1Score(from_logits=False, **k), (_empty(N), _empty(N, dtype=_LONG))),
    "binary-thresholds": (
        lambda **k: BinaryF1Score(from_logits=False, num_thresholds=11, **k),
        (_empty(N), _empty(N, dtype=_LONG)),
    ),
    "binary-per-image": (
        lambda **k: BinaryF1Score(from_logits=False, multidim_average="samplewise", **k),
        (_empty(4, 8, 8), _empty(4, 8, 8, dtype=_LONG)),
    ),
    "binary-weighted": (
        lambda **k: BinaryF1Score(from_logits=False, sample_weight=True, **k),
        (_empty(N), _empty(N, dtype=_LONG), _empty(N)),
    ),
    "multiclass": (lambda **k: MulticlassF1Score(C, **k), (_empty(N, C), _empty(N, dtype=_LONG))),
    "multiclass-segmentation": (
        lambda **k: MulticlassF1Score(C, ignore_index=255, **k),
        (_empty(4, C, 8, 8), _empty(4, 8, 8, dtype=_LONG)),
    ),
    "multiclass-counts-only": (
        lambda **k: MulticlassF1Score(C, keep_confusion_matrix=False, **k),
        (_empty(N, C), _empty(N, dtype=_LONG)),
    ),
    "multiclass-per-image-labels": (
        lambda **k: MulticlassF1Score(C, labels=[0, 1], multidim_average="samplewise", **k),
        (_empty(4, C, 8, 8), _empty(4, 8, 8, dtype=_LONG)),
    ),
    "multiclass-weighted": (
        lambda **k: MulticlassF1Score(C, sample_weight=True, **k),
        (_empty(N, C), _empty(N, dtype=_LONG), _empty(N)),
    ),
    "multilabel": (
        lambda **k: MultilabelF1Score(L, from_logits=False, **k),
        (_empty(N, L), _empty(N, L, dtype=_LONG)),
    ),
    "multilabel-thresholds": (
        lambda **k: MultilabelF1Score(L, from_logits=False, num_thresholds=11, **k),
        (_empty(N, L), _empty(N, L, dtype=_LONG)),
    ),
    "multilabel-weighted": (
        lambda **k: MultilabelF1Score(L, from_logits=False, sample_weight=True, **k),
        (_empty(N, L), _empty(N, L, dtype=_LONG), _empty(N)),
    ),
}


@pytest.mark.parametrize("validate", [True, False], ids=["validate", "no_validate"])
@pytest.mark.parametrize("name", list(CASES))
def test_an_update_crosses_to_the_host_once_at_most(
    name: str, validate: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, batch = CASES[name]
    # the constructor refuses a meta device (its counts could not be read): here it stands in for CUDA
    monkeypatch.setattr(_validation, "check_device", torch.device)
    metric = make(device="meta", validate_args=validate)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _Crossings():
            metric.update(batch)  # the first batch may make the cached constants
        with _Crossings() as crossings:
            metric.update(batch)
    assert crossings.copies == 0
    assert crossings.reads == (1 if validate else 0)
