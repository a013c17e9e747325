"""The NumPy path of the usual CPU batch (ignite_f1._host) counts exactly what the general path counts.

Every batch is counted twice: by a metric as built (the NumPy path takes the usual batch) and by
one whose NumPy path is switched off (the torch path of every other batch). The counts, the score
flag and any error must be the same; values are drawn where the two could differ: ties, signed
zeros, infinities, NaN, denormals, scores equal to the threshold in float32, labels out of range.
"""

from __future__ import annotations

import copy
import math
import threading
from typing import Any

import numpy as np
import pytest
import torch
from _cases import n_examples
from _reference import assert_close, assert_same, sklearn_fbeta, sklearn_report, sklearn_samplewise_fbeta
from hypothesis import given, settings
from hypothesis import strategies as st

from ignite_f1 import BinaryF1Score, MulticlassF1Score, MultilabelFBetaScore, _argmax, _counts, _host

TINY32 = float(torch.finfo(torch.float32).tiny)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 0.7, math.inf, -math.inf, TINY32 / 4, -TINY32 / 4, 1e-30, 3.0]


def _general(metric: Any) -> Any:
    """``metric`` with its NumPy path off: every batch takes the torch path."""
    metric._host_update = None
    return metric


def _outcome(metric: Any, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[str, Any]:
    """What an update did: ("error", type and message) or ("state", the counts and the score flag)."""
    try:
        metric.update(batch)
    except (TypeError, ValueError, RuntimeError, IndexError) as error:  # the last two: unvalidated
        return "error", (type(error), str(error))
    state = {name: getattr(metric, name).clone() for name in metric._states}
    return "state", (state, metric._scores_in_unit_interval)


def _cells_of(counted: tuple[np.ndarray, int] | None) -> np.ndarray:
    """The cells of what ``_host.multiclass`` counted, which must have no ignored sample."""
    assert counted is not None and counted[1] == 0
    return counted[0]


def _assert_same(fast: Any, slow: Any, batches: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    for batch in batches:
        got, expected = _outcome(fast, batch), _outcome(slow, batch)
        assert got[0] == expected[0], (got, expected)
        if got[0] == "error":
            assert got == expected
        else:
            (state, flag), (expected_state, expected_flag) = got[1], expected[1]
            assert flag == expected_flag
            for name, value in expected_state.items():
                assert state[name].dtype == value.dtype, name
                if name == "_sample_sums":  # float sums of per-sample ratios, added in another order:
                    # a few ulps per batch, which add up over the batches (a soak run found 6 ulps,
                    # 1.3e-15, after 3 batches), far inside the 1e-12 the samples average is held to
                    # (NaN in both: unvalidated garbage, such as -1 targets with a tiny beta)
                    torch.testing.assert_close(state[name], value, rtol=1e-14, atol=0, equal_nan=True)
                else:
                    assert torch.equal(state[name], value), name


def _grad(draw: Any, tensor: torch.Tensor) -> torch.Tensor:
    """``tensor``, or (floats only, drawn) a copy that requires grad, as a model's scores in training."""
    if tensor.is_floating_point() and draw(st.booleans()):
        return tensor.detach().clone().requires_grad_()
    return tensor


scores = st.one_of(st.sampled_from(SPECIAL), st.floats(-4, 4, width=32))


@st.composite
def binary_batches(draw: Any) -> dict[str, Any]:
    from_logits = draw(st.booleans())
    threshold = draw(st.sampled_from([0.5, 0.7, 0.3, 0.1]))
    batches = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 12))
        values = draw(st.lists(scores, min_size=n, max_size=n))
        if not from_logits and draw(st.booleans()):
            values = [min(max(abs(v), 0.0), 1.0) if not math.isnan(v) else v for v in values]
        dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool]))
        if dtype.is_floating_point:
            y_pred = torch.tensor(values, dtype=dtype)
        else:  # 0/1 labels as predictions, sometimes out of range
            predicted = draw(st.lists(st.sampled_from([0, 1, 1, 0, 2]), min_size=n, max_size=n))
            y_pred = torch.tensor(predicted).to(dtype)
        labels = draw(st.lists(st.sampled_from([0, 1, 1, 0, 2, -1]), min_size=n, max_size=n))
        y_dtype = draw(st.sampled_from([torch.int64, torch.int32, torch.uint8, torch.bool]))
        y = torch.tensor(labels).clamp(min=0) if y_dtype == torch.uint8 else torch.tensor(labels)
        y = y.to(y_dtype)
        shape = draw(st.sampled_from([(n,), (n, 1), (1, n), (n, 1, 1)]))
        if draw(st.booleans()):
            y_pred = y_pred.view(shape)
        if draw(st.booleans()):
            y = y.view(shape)
        batches.append((_grad(draw, y_pred), y))
    return {"from_logits": from_logits, "threshold": threshold, "batches": batches}


@settings(max_examples=n_examples(1), deadline=None)
@given(binary_batches(), st.booleans(), st.sampled_from(["global", "samplewise"]), st.booleans())
def test_binary_host_path_counts_as_the_general_path(
    case: dict[str, Any], validate: bool, multidim_average: str, row_loop: bool
) -> None:
    def make() -> BinaryF1Score:
        return BinaryF1Score(
            from_logits=case["from_logits"],
            threshold=case["threshold"],
            validate_args=validate,
            multidim_average=multidim_average,
        )

    previous = _host.IMAGE_ROW_LOOP
    _host.IMAGE_ROW_LOOP = 1 if row_loop else 1 << 30  # per-image counts by rows, or by sums along them
    try:
        _assert_same(make(), _general(make()), case["batches"])
    finally:
        _host.IMAGE_ROW_LOOP = previous


@st.composite
def multiclass_batches(draw: Any) -> dict[str, Any]:
    num_classes = draw(st.integers(2, 40))
    batches = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 10))
        # few distinct values: ties in most rows
        pool = draw(st.lists(scores | st.just(math.nan), min_size=1, max_size=4))
        values = draw(st.lists(st.sampled_from(pool), min_size=n * num_classes, max_size=n * num_classes))
        dtype = draw(st.sampled_from([torch.float32, torch.float64]))
        y_pred = torch.tensor(values, dtype=dtype).view(n, num_classes)
        if draw(st.booleans()):  # class labels as predictions, sometimes out of range
            predicted = draw(st.lists(st.integers(-1, num_classes), min_size=n, max_size=n))
            y_pred = torch.tensor(predicted, dtype=draw(st.sampled_from([torch.int64, torch.int32])))
        labels = torch.tensor(draw(st.lists(st.integers(-1, num_classes), min_size=n, max_size=n)))
        rows = draw(st.sampled_from([None, _argmax.FEW_CLASSES_ROWS, 700]))
        if rows is not None:  # the drawn rows repeated: a batch large enough for few_classes_argmax
            generator = torch.Generator().manual_seed(draw(st.integers(0, 99)))
            order = torch.randperm(rows, generator=generator) % n
            y_pred, labels = y_pred[order], labels[order]
        y_dtype = draw(st.sampled_from([torch.int64, torch.int32]))
        batches.append((_grad(draw, y_pred), labels.to(y_dtype)))
    return {"num_classes": num_classes, "batches": batches}


@settings(max_examples=n_examples(1), deadline=None)
@given(multiclass_batches(), st.booleans(), st.booleans())
def test_multiclass_host_path_counts_as_the_general_path(
    case: dict[str, Any], validate: bool, keep: bool
) -> None:
    def make() -> MulticlassF1Score:
        return MulticlassF1Score(case["num_classes"], validate_args=validate, keep_confusion_matrix=keep)

    _assert_same(make(), _general(make()), case["batches"])


@st.composite
def segmentation_batches(draw: Any) -> dict[str, Any]:
    """(N, C, d1, ...) scores (or label maps) and (N, d1, ...) targets, some of them ``ignore_index``
    (or out of range, or of a dtype that cannot hold it)."""
    num_classes = draw(st.integers(2, 12))
    ignore_index = draw(st.sampled_from([None, 255, -1, -100, num_classes, 1]))
    batches = []
    for _ in range(draw(st.integers(1, 3))):
        spatial = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)))
        n = draw(st.integers(1, 3))
        positions = math.prod(spatial)
        pool = draw(st.lists(scores | st.just(math.nan), min_size=1, max_size=4))
        size = n * num_classes * positions
        values = draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
        dtype = draw(st.sampled_from([torch.float32, torch.float64]))
        y_pred = torch.tensor(values, dtype=dtype).view(n, num_classes, *spatial)
        if draw(st.booleans()):
            y_pred = y_pred.transpose(0, 1).contiguous().transpose(0, 1)  # strided scores
        choices = [0, 1, num_classes - 1, -1, num_classes]
        choices += [] if ignore_index is None else [ignore_index] * 3
        count = n * positions
        labels = draw(st.lists(st.sampled_from(choices), min_size=count, max_size=count))
        y_dtype = draw(st.sampled_from([torch.int64, torch.int32, torch.uint8]))
        y = torch.tensor(labels).view(n, *spatial)
        y = y.clamp(0, 255).to(torch.uint8) if y_dtype == torch.uint8 else y.to(y_dtype)
        if draw(st.booleans()):  # class labels as predictions, sometimes out of range
            predicted = draw(st.lists(st.integers(-1, num_classes), min_size=count, max_size=count))
            label_dtype = draw(st.sampled_from([torch.int64, torch.int32]))
            y_pred = torch.tensor(predicted, dtype=label_dtype).view(y.shape)
        batches.append((_grad(draw, y_pred), y))
    return {"num_classes": num_classes, "ignore_index": ignore_index, "batches": batches}


@settings(max_examples=n_examples(2), deadline=None)
@given(
    segmentation_batches(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["global", "samplewise"]),
    st.sampled_from(["macro", "weighted", "micro", None]),
)
def test_segmentation_host_path_counts_as_the_general_path(
    case: dict[str, Any], validate: bool, keep: bool, multidim_average: str, average: str | None
) -> None:
    def make() -> MulticlassF1Score:
        return MulticlassF1Score(
            case["num_classes"],
            average=average,
            ignore_index=case["ignore_index"],
            validate_args=validate,
            keep_confusion_matrix=keep,
            multidim_average=multidim_average,
        )

    _assert_same(make(), _general(make()), case["batches"])


def test_segmentation_batches_take_the_host_path() -> None:
    """Score maps and label maps with ignored pixels are counted by the NumPy path (no torch op)."""
    scores = torch.randn(2, 5, 6, 7)
    y = scores.argmax(1)
    y[0, 0, :3] = 255
    for y_pred in (scores, y.clamp(max=4)):
        counted = _host.multiclass((y_pred, y), 5, 255)
        assert counted is not None and counted[1] == 3
        cells = counted[0]
        assert (cells >= 25).sum() == 3 and cells.shape == (84,)
    assert _host.multiclass((scores, y), 5, None) is None  # 255 is out of range without ignore_index
    assert _host.multiclass((scores, y.to(torch.uint8)), 5, -1) is None  # uint8 cannot hold -1: 255 is wrong
    assert _host.multiclass((scores, y.clamp(max=4)), 5, 2) is None  # an ignored class inside [0, C)
    samplewise = MulticlassF1Score(5, ignore_index=255, multidim_average="samplewise")
    assert samplewise._count_on_host((scores, y)) and samplewise.compute() == samplewise.compute()
    masks = BinaryF1Score(from_logits=True, multidim_average="samplewise")
    assert masks._count_on_host((scores[:, 0], (scores[:, 1] > 0).long()))
    assert not masks._count_on_host((scores[:, 0, 0, 0], (scores[:, 1, 0, 0] > 0).long()))  # (N,): not images
    wide = torch.randn(2, 300, 3)  # more classes than uint8 holds: its targets are all in range
    assert _host.multiclass((wide, torch.full((2, 3), 200, dtype=torch.uint8)), 300, -1) is not None


def test_the_usual_batches_take_the_host_path() -> None:
    """The path is not dead code: the usual batches are counted by it, with no torch op."""
    y_pred, y = torch.randn(16, 10), torch.randint(0, 10, (16,))
    assert _host.multiclass((y_pred, y), 10) is not None
    assert _host.binary((torch.rand(16), torch.randint(0, 2, (16,))), 0.5, False, True) is not None
    assert _host.multiclass((y_pred.argmax(1), y), 10) is not None  # class labels as predictions
    assert _host.multiclass((torch.randn(16, 2), torch.randint(0, 2, (16,))), 2) is not None  # few classes
    assert _host.multiclass((torch.randn(600, 2), torch.randint(0, 2, (600,))), 2) is not None
    # and the others are not: labels out of range, oddities
    assert _host.multiclass((y_pred.argmax(1) + 10, y), 10) is None
    assert _host.multiclass((y_pred.t().contiguous().t(), y), 10) is None
    assert _host.multiclass([y_pred, y, torch.ones(16)], 10) is None
    assert (
        _host.binary((torch.rand(4, 3), torch.randint(0, 2, (4, 3))), 0.5, False, True) is not None
    )  # masks
    two_columns = (torch.rand(4, 2), torch.randint(0, 2, (4, 2)))  # refused by the general path
    assert _host.binary(two_columns, 0.5, False, True) is None
    assert _host.binary_images(two_columns, 0.5, False, True) is not None  # images of 2 pixels
    assert _host.binary((torch.rand(4, 2), torch.randint(0, 2, (4,))), 0.5, False, True) is None
    with_grad, ones = torch.rand(8).requires_grad_(), torch.ones(8, dtype=torch.int64)
    counted, detached = (_host.binary((x, ones), 0.5, False, True) for x in (with_grad, with_grad.detach()))
    assert counted is not None and detached is not None  # read through detach(): the same counts
    assert np.array_equal(counted[0], detached[0])


@pytest.mark.parametrize("rows", [64, 1024])  # NumPy's arg-max, few_classes_argmax
def test_rows_of_denormal_maxima_under_flush_denormal_follow_torch_argmax(rows: int) -> None:
    """A zero or denormal row maximum sends the batch to the general path, exact under the flag."""
    previous = torch.get_num_threads()
    scores = torch.full((rows, 16), -1.0)
    scores[:, 3] = TINY32 / 8
    scores[:, 9] = TINY32 / 4
    scores[rows // 2 :, 5] = 2.0  # rows with a normal maximum beside them
    y = torch.randint(0, 16, (rows,))
    assert _host.multiclass((scores, y), 16) is None
    assert _host.multiclass((scores[rows // 2 :], y[rows // 2 :]), 16) is not None
    try:
        torch.set_num_threads(2)
        if torch.set_flush_denormal(True):
            metric = MulticlassF1Score(16, validate_args=False)
            metric.update((scores, y))
            expected = MulticlassF1Score(16, validate_args=False)
            expected.update((torch.argmax(scores, 1), y))
            assert torch.equal(metric.confusion_matrix(), expected.confusion_matrix())
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(previous)


@pytest.mark.parametrize("keep", [True, False])
def test_copies_and_loaded_states_count_into_their_own_tensors(keep: bool) -> None:
    """The cached NumPy view of the counts follows the state tensor: deepcopy, load_state_dict, reset."""
    batch = (torch.randn(8, 10), torch.randint(0, 10, (8,)))
    metric = MulticlassF1Score(10, keep_confusion_matrix=keep)
    metric.update(batch)
    copied = copy.deepcopy(metric)
    copied.update(batch)
    assert int(metric.per_class_counts()[2].sum()) == 8 and int(copied.per_class_counts()[2].sum()) == 16
    saved = metric.state_dict()
    metric.load_state_dict(copied.state_dict())
    metric.update(batch)
    assert int(metric.per_class_counts()[2].sum()) == 24
    assert int(copied.per_class_counts()[2].sum()) == 16
    restored = MulticlassF1Score(10, keep_confusion_matrix=keep)
    restored.load_state_dict(saved)
    restored.update(batch)
    assert int(restored.per_class_counts()[2].sum()) == 16
    metric.reset()
    metric.update(batch)
    assert int(metric.per_class_counts()[2].sum()) == 8


def test_large_batches_count_as_the_general_path() -> None:
    """Past the small-matrix bincount: np.add.at for the matrix and the per-class counts."""
    generator = torch.Generator().manual_seed(0)
    for num_classes, n in [(40, 100), (300, 1000), (10, 3000)]:
        batch = (torch.randn(n, num_classes, generator=generator), torch.randint(0, num_classes, (n,)))
        for keep in (True, False):
            fast = MulticlassF1Score(num_classes, keep_confusion_matrix=keep)
            _assert_same(fast, _general(MulticlassF1Score(num_classes, keep_confusion_matrix=keep)), [batch])
    assert np.array_equal(
        _cells_of(_host.multiclass(batch, 10)), (batch[1] * 10 + batch[0].argmax(1)).numpy()
    )
    masks = (
        torch.randn(4, 64, 300, generator=generator),
        torch.randint(0, 2, (4, 64, 300), generator=generator),
    )
    for validate in (True, False):
        fast = BinaryF1Score(from_logits=True, validate_args=validate)
        _assert_same(fast, _general(BinaryF1Score(from_logits=True, validate_args=validate)), [masks])
    assert _host.binary(masks, 0.0, True, True) is not None


@st.composite
def multilabel_batches(draw: Any) -> dict[str, Any]:
    num_labels = draw(st.integers(2, 12))
    from_logits = draw(st.booleans())
    batches = []
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 8))
        values = draw(st.lists(scores, min_size=n * num_labels, max_size=n * num_labels))
        if not from_logits and draw(st.booleans()):
            values = [min(abs(v), 1.0) if not math.isnan(v) else v for v in values]
        y_pred = torch.tensor(values, dtype=draw(st.sampled_from([torch.float32, torch.float64])))
        pool = draw(st.sampled_from([[0, 1], [0, 1, 2], [0, 1, -1], [0.0, 1.0, 0.5]]))
        labels = draw(st.lists(st.sampled_from(pool), min_size=n * num_labels, max_size=n * num_labels))
        dtype = draw(
            st.sampled_from([torch.int64, torch.int32, torch.int8, torch.uint8, torch.bool, torch.float32])
        )
        y = torch.tensor(labels)
        y = y.clamp(min=0).to(dtype) if dtype in (torch.uint8, torch.bool) else y.to(dtype)
        batches.append((_grad(draw, y_pred.view(n, num_labels)), _grad(draw, y.view(n, num_labels))))
    return {"num_labels": num_labels, "from_logits": from_logits, "batches": batches}


# 1e-160: beta ** 2 is subnormal; 2e-162: beta ** 2 is 5e-324, the smallest float, half of which
# is 0 (a beta whose square underflows to 0 is refused by the constructor)
@settings(max_examples=n_examples(1), deadline=None)
@given(multilabel_batches(), st.booleans(), st.sampled_from([1.0, 0.5, 2.0, 1e-160, 2e-162]))
def test_multilabel_host_path_counts_as_the_general_path(
    case: dict[str, Any], validate: bool, beta: float
) -> None:
    def make() -> MultilabelFBetaScore:
        return MultilabelFBetaScore(
            beta, case["num_labels"], from_logits=case["from_logits"], validate_args=validate
        )

    _assert_same(make(), _general(make()), case["batches"])


def test_usual_multilabel_batches_take_the_host_path() -> None:
    y_pred, y = torch.randn(8, 5), torch.randint(0, 2, (8, 5))
    assert _host.multilabel((y_pred, y), 5, 0.0, True, 1.0, True) is not None
    assert _host.multilabel((y_pred, y.float()), 5, 0.0, True, 1.0, True) is not None
    assert _host.multilabel((y_pred, y * 2), 5, 0.0, True, 1.0, True) is None
    assert _host.multilabel((y_pred, y.float() / 2), 5, 0.0, True, 1.0, True) is None
    assert _host.multilabel((y_pred, y.to(torch.uint8) + 2), 5, 0.0, True, 1.0, True) is None


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.uint8])
def test_one_maximum_checks_both_ends_of_the_label_range(dtype: torch.dtype) -> None:
    """Labels are range-checked by one maximum of their unsigned view: a negative label, the most
    negative of its dtype included, reads as a large unsigned one and is refused like a too-large one."""
    info = torch.iinfo(dtype)
    assert _host._labels(torch.tensor([0, 1, 2], dtype=dtype), 2) is not None
    for bad in {info.min, -1, 3, info.max} - {0, 1, 2}:
        if info.min <= bad <= info.max:
            assert _host._labels(torch.tensor([0, bad, 1], dtype=dtype), 2) is None, bad
            y = torch.tensor([[0, bad, 1]], dtype=dtype)
            assert _host.multilabel((torch.randn(1, 3), y), 3, 0.0, True, 1.0, True) is None, bad
    labels = _host._labels(torch.tensor([2, 0, 1], dtype=dtype), 2)
    assert labels is not None and labels.dtype == np.int64 and labels.tolist() == [2, 0, 1]


def test_large_batches_of_few_classes_take_no_torch_op_with_any_thread_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From 512 rows of fewer than 32 classes the arg-max is few_classes_argmax, with one thread or
    two (it beats a two-threaded ``torch.argmax``): no torch op, torch.argmax's cells; a NaN score
    still goes to the general path."""
    previous = torch.get_num_threads()
    batch = (torch.randn(8192, 10), torch.randint(0, 10, (8192,)))
    expected = (batch[1] * 10 + batch[0].argmax(1)).numpy()
    calls = []
    argmax = torch.argmax
    monkeypatch.setattr(torch, "argmax", lambda *args, **kwargs: calls.append(1) or argmax(*args, **kwargs))
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            assert np.array_equal(_cells_of(_host.multiclass(batch, 10)), expected)
            with_nan = batch[0].clone()
            with_nan[5, 3] = math.nan
            assert _host.multiclass((with_nan, batch[1]), 10) is None
        assert not calls
    finally:
        torch.set_num_threads(previous)


@st.composite
def few_class_scores(draw: Any) -> torch.Tensor:
    """(N, C) scores, C < 32, N from a few to a few thousand: drawn rows (ties, signed zeros,
    infinities, denormals, NaN) among normal random ones."""
    num_classes = draw(st.integers(2, _argmax.FEW_CLASSES - 1))
    n = draw(st.integers(1, 3000))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    generator = torch.Generator().manual_seed(draw(st.integers(0, 2**16)))
    x = torch.randn(n, num_classes, generator=generator, dtype=dtype)
    pool = draw(st.lists(scores | st.just(math.nan), min_size=1, max_size=4))
    for _ in range(draw(st.integers(0, 5))):
        row = draw(st.lists(st.sampled_from(pool), min_size=num_classes, max_size=num_classes))
        x[draw(st.integers(0, n - 1))] = torch.tensor(row, dtype=dtype)
    return x


@settings(max_examples=n_examples(1), deadline=None)
@given(few_class_scores(), st.sampled_from([_argmax.CHUNK, 64]))
def test_few_classes_argmax_is_torch_argmax(x: torch.Tensor, chunk: int) -> None:
    """The first maximal index of every row whose maximum is not NaN (-0.0 and +0.0 tie), the
    maxima NaN exactly in the rows holding NaN; in one chunk or many."""
    previous = _argmax.CHUNK
    _argmax.CHUNK = chunk
    try:
        indices, maxima = _argmax.few_classes_argmax(x.numpy())
    finally:
        _argmax.CHUNK = previous
    nan_rows = x.isnan().any(1)
    assert torch.equal(torch.from_numpy(maxima).isnan(), nan_rows)
    assert torch.equal(torch.from_numpy(maxima)[~nan_rows], x.amax(1)[~nan_rows])
    assert torch.equal(torch.from_numpy(indices)[~nan_rows], torch.argmax(x, 1)[~nan_rows])


def test_few_classes_argmax_reuses_temporaries_only_within_a_thread() -> None:
    """The kept temporaries are per thread and never returned: results of earlier calls stay as they
    were, and threads counting at once each get torch.argmax's indices."""
    generator = torch.Generator().manual_seed(3)
    first = torch.randn(1024, 10, generator=generator)
    indices, maxima = _argmax.few_classes_argmax(first.numpy())
    kept = indices.copy(), maxima.copy()
    _argmax.few_classes_argmax(torch.randn(1024, 10, generator=generator).numpy())
    assert np.array_equal(indices, kept[0]) and np.array_equal(maxima, kept[1])
    shapes = [(1024, 10), (1024, 10), (700, 3), (4096, 31)]
    batches = [torch.randn(n, c, generator=generator) for n, c in shapes]
    failures: list[int] = []

    def work(k: int) -> None:
        for _ in range(50):
            x = batches[k]
            if not np.array_equal(_argmax.few_classes_argmax(x.numpy())[0], torch.argmax(x, 1).numpy()):
                failures.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures


# --------------------------------------------------------------------------- views with torch's negative bit


def _negated(t: torch.Tensor) -> torch.Tensor:
    """``t``'s values in a contiguous view with torch's negative bit set (as ``z.conj().imag`` gives),
    which every torch op reads and ``.numpy()`` refuses."""
    view = torch._neg_view(-t)
    assert view.is_neg() and torch.equal(view.resolve_neg(), t)
    return view


def _neg_bit_cases() -> list[Any]:
    gen = torch.Generator().manual_seed(5)
    probs, labels = torch.rand(24, generator=gen), torch.randint(0, 2, (24,), generator=gen)
    masks, mask_y = torch.rand(3, 4, 4, generator=gen), torch.randint(0, 2, (3, 4, 4), generator=gen)
    ml_probs, ml_y = (
        torch.rand(8, 3, generator=gen, dtype=torch.float64),
        torch.randint(0, 2, (8, 3), generator=gen),
    )
    scores, y = torch.randn(16, 4, generator=gen), torch.randint(0, 4, (16,), generator=gen)
    maps, map_y = torch.randn(2, 4, 3, 3, generator=gen), torch.randint(0, 4, (2, 3, 3), generator=gen)
    imag = torch.complex(torch.zeros(24), -probs).conj().imag  # the public way to such a view
    binary = {"from_logits": False, "zero_division": 0.0}
    multiclass = {"num_classes": 4, "average": "macro", "zero_division": 0.0}
    multilabel = {"num_labels": 3, "from_logits": False, "average": "samples", "zero_division": 0.0}
    return [
        pytest.param(BinaryF1Score, binary, _negated(probs), labels, id="binary-scores"),
        pytest.param(BinaryF1Score, binary, imag, labels, id="binary-conj_imag"),
        pytest.param(BinaryF1Score, binary, probs, _negated(labels), id="binary-int_targets"),
        pytest.param(BinaryF1Score, binary, probs, _negated(labels.double()), id="binary-float_targets"),
        pytest.param(BinaryF1Score, binary, _negated(1 - labels), labels, id="binary-labels"),
        pytest.param(
            BinaryF1Score,
            {**binary, "multidim_average": "samplewise"},
            _negated(masks),
            mask_y,
            id="binary-images",
        ),
        pytest.param(
            MultilabelFBetaScore, {"beta": 2.0, **multilabel}, _negated(ml_probs), ml_y, id="multilabel"
        ),
        pytest.param(
            MultilabelFBetaScore,
            {"beta": 2.0, **multilabel},
            ml_probs,
            _negated(ml_y.float()),
            id="multilabel-y",
        ),
        pytest.param(MulticlassF1Score, multiclass, _negated(scores), y, id="multiclass-rows"),
        pytest.param(MulticlassF1Score, multiclass, _negated(maps), map_y, id="multiclass-maps"),
        pytest.param(MulticlassF1Score, multiclass, maps, _negated(map_y), id="multiclass-targets"),
        pytest.param(MulticlassF1Score, multiclass, _negated(y.flip(0)), y, id="multiclass-labels"),
        pytest.param(
            MulticlassF1Score,
            {**multiclass, "multidim_average": "samplewise"},
            _negated(maps),
            map_y,
            id="images",
        ),
    ]


@pytest.mark.parametrize(("cls", "kwargs", "y_pred", "y"), _neg_bit_cases())
def test_a_view_with_the_negative_bit_is_counted_as_its_resolved_copy(
    cls: Any, kwargs: dict[str, Any], y_pred: torch.Tensor, y: torch.Tensor
) -> None:
    """A real view with torch's negative bit (``z.conj().imag``) is a valid input that ``.numpy()``
    refuses: the NumPy path reads its resolved copy (it raised torch's RuntimeError before), so the
    state is exactly that copy's, and the score is scikit-learn's."""
    pair = _host._pair((y_pred, y), _host._LABELS_AND_FLOATS)
    assert pair is not None and not pair[0].is_neg() and not pair[1].is_neg()
    metric, resolved = cls(**kwargs), cls(**kwargs)
    metric.update((y_pred, y))
    resolved.update((y_pred.resolve_neg(), y.resolve_neg()))
    state, expected_state = metric.state_dict(), resolved.state_dict()
    assert_same(state, expected_state)
    pred, target = y_pred.resolve_neg(), y.resolve_neg().long()
    if cls is MulticlassF1Score:
        pred = pred.argmax(1) if pred.is_floating_point() else pred
    else:
        pred = (pred >= 0.5).long()
    if kwargs.get("multidim_average") == "samplewise":
        average = "binary" if cls is BinaryF1Score else "macro"
        expected = sklearn_samplewise_fbeta(
            y_true=target.numpy(), y_pred=pred.numpy(), beta=1.0, average=average, zero_division=0.0
        )
    else:
        kind = {BinaryF1Score: "binary", MulticlassF1Score: "multiclass", MultilabelFBetaScore: "multilabel"}[
            cls
        ]
        expected = sklearn_fbeta(
            y_true=target.reshape(-1).numpy() if kind != "multilabel" else target.numpy(),
            y_pred=pred.reshape(-1).numpy() if kind != "multilabel" else pred.numpy(),
            beta=kwargs.get("beta", 1.0),
            kind=kind,
            average=kwargs.get("average"),
            zero_division=0.0,
        )
    assert_close(metric.compute(), expected)


@pytest.mark.parametrize("beta", [1.5717277847026288e-162, 2e-162, 1e-160])
def test_a_beta_whose_square_is_the_smallest_float_counts_as_the_general_path(beta: float) -> None:
    """beta ** 2 = 5e-324 left the NumPy path no positive floor for its denominators (half of it is
    0): 0 / 0 made the precision and recall sums NaN and their defined counts -2 ** 63. Now such a
    batch takes the general path; the report's sample averages are scikit-learn's."""
    y = torch.tensor([[1, 0, 1], [0, 1, 0], [1, 1, 0], [0, 0, 0]])
    p = torch.tensor([[1, 0, 0], [0, 0, 0], [1, 0, 0], [0, 1, 0]])
    metric = MultilabelFBetaScore(beta, 3, from_logits=False, average="samples", zero_division=1.0)
    general = _general(MultilabelFBetaScore(beta, 3, from_logits=False, average="samples", zero_division=1.0))
    _assert_same(metric, general, [(p, y)])
    report = sklearn_report(y_true=y.numpy(), y_pred=p.numpy(), labels=range(3), zero_division=1.0)
    assert_close(metric.report()["samples avg"], report["samples avg"])
    expected = sklearn_fbeta(
        y_true=y.numpy(), y_pred=p.numpy(), beta=beta, kind="multilabel", average="samples", zero_division=1.0
    )
    assert_close(metric.compute(), expected)


def test_the_module_caches_stay_bounded_over_many_settings() -> None:
    """A search over many betas and class counts (each caches small arrays: the per-sample ratio
    weights, the reversed class column of the chunked arg-max, constant tensors) keeps at most
    CACHED_MOST entries per cache; settings past the bound still count exactly (scikit-learn)."""
    generator = torch.Generator().manual_seed(5)
    y = torch.randint(0, 2, (6, 3), generator=generator)
    p = torch.randint(0, 2, (6, 3), generator=generator)
    for i in range(_argmax.CACHED_MOST + 20):
        beta = 0.5 + i / 10
        metric = MultilabelFBetaScore(beta, 3, from_logits=False, average="samples", zero_division=0.0)
        metric.update((p, y))
        expected = sklearn_fbeta(
            y_true=y.numpy(),
            y_pred=p.numpy(),
            beta=beta,
            kind="multilabel",
            average="samples",
            zero_division=0.0,
        )
        assert_close(metric.compute(), expected)
        scores = torch.randn(2, 2 + i, 4, generator=generator)  # (N, C, positions): C = 2 + i
        indices, _, _ = _argmax.numpy_argmax(scores.numpy())
        assert torch.equal(torch.from_numpy(indices), scores.argmax(1, keepdim=True))
        assert _counts.constant(("test", i), [i, 1], torch.int64, torch.device("cpu")).tolist() == [i, 1]
    assert 0 < len(_host._RATIO_WEIGHTS) <= _argmax.CACHED_MOST
    assert 0 < len(_argmax._REVERSED) <= _argmax.CACHED_MOST
    assert 0 < len(_counts._CONSTANTS) <= _argmax.CACHED_MOST
