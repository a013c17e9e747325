"""The multi-class metrics (``metrics/multiclass.py``).

- ``keep_confusion_matrix``: the resolved choice, what each mode keeps and refuses, state dicts in
  both modes, and the per-class counts update (``_counts.add_class_counts``).
- Segmentation with ``ignore_index`` against scikit-learn on the kept pixels; ``labels`` and
  ``class_names`` as numpy arrays; no threshold curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from _cases import segmentation_batch, split_sizes
from _reference import assert_close
from ignite.exceptions import NotComputableError
from sklearn.metrics import classification_report, confusion_matrix, f1_score, fbeta_score

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MulticlassFBetaScore
from ignite_f1._counts import add_class_counts, add_confusion, confusion_class_counts


@pytest.mark.parametrize(
    ("num_classes", "given", "resolved"),
    [
        pytest.param(1024, None, True, id="default-1024-keeps"),
        pytest.param(1025, None, False, id="default-1025-counts_only"),
        pytest.param(3, False, False, id="false"),
        pytest.param(5000, True, True, id="true"),
        pytest.param(3, np.bool_(False), False, id="numpy_bool"),
    ],
)
def test_keep_confusion_matrix_resolves_to_a_bool(num_classes: int, given: Any, resolved: bool) -> None:
    metric = MulticlassF1Score(num_classes, keep_confusion_matrix=given)
    assert metric.keep_confusion_matrix is resolved
    state = metric.state_dict()["__metric_state_per_rank"][0]
    shapes = {name: tuple(value.shape) for name, value in state.items()}
    assert shapes == ({"_cm": (num_classes, num_classes)} if resolved else {"_counts": (3, num_classes)})


@pytest.mark.parametrize("value", ["False", 0, 1, "auto"])
def test_keep_confusion_matrix_must_be_a_bool_or_none(value: Any) -> None:
    with pytest.raises(TypeError, match=r"Argument `keep_confusion_matrix` must be None, True or False"):
        MulticlassFBetaScore(1.0, 3, keep_confusion_matrix=value)


def _fed(keep: bool, **kwargs: Any) -> MulticlassF1Score:
    metric = MulticlassF1Score(4, keep_confusion_matrix=keep, **kwargs)
    metric.update((torch.tensor([0, 1, 1, 2, 3, 0]), torch.tensor([0, 1, 2, 2, 3, 1])))
    return metric


def test_without_the_matrix_everything_but_confusion_matrix_works() -> None:
    kept, light = _fed(True, average=None), _fed(False, average=None)
    assert torch.equal(light.compute(), kept.compute())
    assert light.report() == kept.report()
    assert torch.equal(light.per_class_counts(), kept.per_class_counts())
    assert light.scored_classes() == kept.scored_classes() == [0, 1, 2, 3]
    with pytest.raises(RuntimeError, match=r"keep_confusion_matrix=False .* keep_confusion_matrix=True"):
        light.confusion_matrix()
    light.reset()
    with pytest.raises(RuntimeError, match="keep_confusion_matrix"):  # the flag first, whatever the counts
        light.confusion_matrix()
    with pytest.raises(NotComputableError):
        light.compute()


@pytest.mark.parametrize("keep", [True, False], ids=["matrix", "counts"])
def test_state_dict_round_trips(keep: bool) -> None:
    source = _fed(keep, average="weighted", ignore_index=-1)
    saved = source.state_dict()
    source.update((torch.tensor([3]), torch.tensor([0])))  # a later update does not reach the snapshot
    restored = MulticlassF1Score(4, average="weighted", ignore_index=-1, keep_confusion_matrix=keep)
    restored.load_state_dict(saved)
    assert restored.compute() == _fed(keep, average="weighted").compute()
    assert torch.equal(restored.per_class_counts(), _fed(keep).per_class_counts())


@pytest.mark.parametrize("keep", [True, False], ids=["matrix_into_counts", "counts_into_matrix"])
def test_a_state_of_the_other_mode_is_refused_naming_the_flag(keep: bool) -> None:
    saved = _fed(keep).state_dict()
    target = MulticlassF1Score(4, keep_confusion_matrix=not keep)
    target.update((torch.tensor([1]), torch.tensor([1])))
    before = target.per_class_counts()
    with pytest.raises(
        ValueError,
        match=rf"from a MulticlassF1Score with keep_confusion_matrix={not keep} like this one, got the "
        rf"state of one built with keep_confusion_matrix={keep} .*: build this metric with "
        rf"keep_confusion_matrix={keep}",
    ):
        target.load_state_dict(saved)
    assert torch.equal(target.per_class_counts(), before)  # left as it was


@pytest.mark.parametrize("recorded", [True, False], ids=["settings", "no_settings"])
def test_a_state_of_the_other_mode_without_settings_is_refused_naming_the_flag(recorded: bool) -> None:
    """A multi-class state of the other choice (its settings recorded or not, as Ignite's own
    state_dict saves it): the flag is named, with the choice that loads it."""
    saved = _fed(True).state_dict()
    if not recorded:
        del saved["counting_settings"]
    target = _fed(False)
    before = target.per_class_counts()
    with pytest.raises(ValueError, match=r"build this metric with keep_confusion_matrix=True to load it\.$"):
        target.load_state_dict(saved)
    assert torch.equal(target.per_class_counts(), before)
    light = MulticlassF1Score(4, keep_confusion_matrix=False)
    light.load_state_dict(_fed(False).state_dict())  # the advice followed: it loads
    assert torch.equal(light.per_class_counts(), before)


@pytest.mark.parametrize("num_classes", [2, 3])
@pytest.mark.parametrize("recorded", [True, False], ids=["settings", "no_settings"])
def test_a_binary_state_gets_no_keep_confusion_matrix_advice_that_would_be_refused(
    num_classes: int, recorded: bool
) -> None:
    """A binary state (a 2 x 2 matrix) into MulticlassF1Score(3, keep_confusion_matrix=False) was
    told to use keep_confusion_matrix=True, which refuses it again (shape (3, 3)). With its settings
    recorded it is refused as a binary state; without them, the flag is advised only where the
    matrix fits (two classes: the state of Ignite's own state_dict loads there, as before)."""
    binary = BinaryF1Score(from_logits=False)
    binary.update((torch.tensor([0.9, 0.2, 0.7]), torch.tensor([1, 0, 0])))
    saved = binary.state_dict()
    if not recorded:
        del saved["counting_settings"]
    target = MulticlassF1Score(num_classes, keep_confusion_matrix=False)
    with pytest.raises(ValueError) as raised:
        target.load_state_dict(saved)
    message = str(raised.value)
    if recorded:
        assert "got the state of a binary metric" in message and "keep_confusion_matrix" not in message
    elif num_classes == 3:
        assert "keep_confusion_matrix=True" not in message and "(missing ['_counts'])" in message
    else:
        assert message.endswith("build this metric with keep_confusion_matrix=True to load it.")
        matrix = MulticlassF1Score(2, keep_confusion_matrix=True)
        matrix.load_state_dict(saved)
        assert torch.equal(matrix.confusion_matrix(), binary.confusion_matrix())
    with pytest.raises(NotComputableError):  # still empty
        target.compute()


def test_a_rejected_batch_leaves_the_counts_untouched() -> None:
    metric = _fed(False)
    before = metric.state_dict()
    with pytest.raises(ValueError):
        metric.update((torch.tensor([0, 9]), torch.tensor([0, 1])))
    assert torch.equal(
        metric.state_dict()["__metric_state_per_rank"][0]["_counts"],
        before["__metric_state_per_rank"][0]["_counts"],
    )


@pytest.mark.parametrize("ignored", [None, 10, 10**6], ids=["none", "past_C", "far_past_C"])
def test_add_class_counts_equals_the_confusion_matrix_class_counts(ignored: int | None) -> None:
    g = torch.Generator().manual_seed(5)
    num_classes = 10
    target = torch.randint(0, num_classes, (500,), generator=g)
    pred = torch.randint(0, num_classes, (500,), generator=g)
    if ignored is not None:  # skipped pairs: targets >= C, as format_multiclass gives them
        target[::3] = ignored
    cm = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    counts = torch.zeros(3, num_classes, dtype=torch.int64)
    for part in range(0, 500, 128):  # several batches, and an empty one
        add_confusion(cm, target[part : part + 128], pred[part : part + 128])
        add_class_counts(counts, target[part : part + 128], pred[part : part + 128])
    add_class_counts(counts, target[:0], pred[:0])
    assert torch.equal(counts, confusion_class_counts(cm))
    assert int(counts[2].sum()) == int((target < num_classes).sum())


# --------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize("average", ["micro", "macro", "weighted", None])
def test_segmentation_with_ignore_index_equals_sklearn_on_the_union(average: str | None) -> None:
    scores, y = segmentation_batch(n=7, seed=5)
    metric = MulticlassFBetaScore(
        beta=0.5, num_classes=4, average=average, ignore_index=255, zero_division=0.0
    )
    for batch in split_sizes(scores, y, [3, 1, 3]):
        metric.update(batch)

    keep = y != 255
    assert 0 < int((~keep).sum()) < keep.numel()
    y_true = y[keep].numpy()
    y_pred = scores.argmax(1)[keep].numpy()
    expected = fbeta_score(
        y_true=y_true,
        y_pred=y_pred,
        beta=0.5,
        average=average,
        labels=range(4) if average is None else None,
        zero_division=0.0,
    )
    result = metric.compute()
    if average is None:
        assert isinstance(result, torch.Tensor) and result.dtype == torch.float64
        np.testing.assert_allclose(result.numpy(), expected, rtol=0, atol=1e-12)
    else:
        assert type(result) is float and result == pytest.approx(expected, abs=1e-12)

    assert torch.equal(
        metric.confusion_matrix(),
        torch.as_tensor(confusion_matrix(y_true=y_true, y_pred=y_pred, labels=range(4))),
    )
    report = classification_report(
        y_true=y_true, y_pred=y_pred, labels=range(4), output_dict=True, zero_division=0.0
    )
    assert_close(metric.report(), report)


def test_a_multiclass_metric_has_no_threshold_curve_and_keeps_its_counts() -> None:
    # Ignite's Metric.__getattr__ would answer with a MetricsLambda factory whose use resets the metric
    metric = MulticlassF1Score(3)
    metric.update((torch.tensor([0, 1, 2]), torch.tensor([0, 1, 1])))
    before = metric.confusion_matrix()
    for name in ("curve", "best_threshold", "num_thresholds"):
        with pytest.raises(AttributeError, match=rf"MulticlassF1Score has no `{name}`: threshold curves"):
            getattr(metric, name)
        assert not hasattr(metric, name)
    with pytest.raises(AttributeError, match=r"MulticlassF1Score has no `reprot`\.$"):
        metric.reprot()  # type: ignore[attr-defined]
    assert torch.equal(metric.confusion_matrix(), before)


def test_numpy_labels_and_class_names_are_accepted() -> None:
    names = np.array(["a", "b", "c"])
    metric = MulticlassF1Score(3, average=None, labels=np.array([2, 0]), class_names=names)
    metric.update((torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])))
    expected = f1_score([0, 1, 1, 2], [0, 1, 2, 2], average=None, labels=[2, 0])
    assert metric.compute() == {"c": expected[0], "a": expected[1]}


def test_label_predictions_at_ignored_targets_may_hold_anything() -> None:
    # a common segmentation convention: the prediction is ignore_index where the target is
    y = torch.tensor([0, 1, 255, 2, 255])
    y_pred = torch.tensor([0, 2, 255, 2, 7])
    metric = MulticlassF1Score(3, ignore_index=255)
    metric.update((y_pred, y))
    assert metric.compute() == f1_score([0, 1, 2], [0, 2, 2], average="macro")
    with pytest.raises(ValueError, match=r"Argument `y_pred` must hold class labels in \[0, 3\)"):
        metric.update((torch.tensor([0, 7]), torch.tensor([0, 1])))  # 7 at a kept target
