"""What ``update`` is given: exactly the pair ``(y_pred, y)``, or a message that says what to do.

A third element (sample weights, unless the metric takes them: ``sample_weight=True``) must
never be dropped silently, and an engine's output that is not the pair (the default trainer
returns the loss) is refused with the way out; :func:`unpack_weighted` reads the triple, and
:func:`per_sample` Ignite's per-sample lists.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import torch


def unpack(output: Any, weighted: bool) -> tuple[Any, Any, Any]:
    """``(y_pred, y, sample_weight)``: :func:`unpack_weighted` when ``weighted``, else the pair and None.

    A tensor that requires grad (the scores of a model in training, as a metric on the trainer gets
    them) comes back detached: a metric counts values only, and an in-place op on a view of such a
    tensor would raise.
    """
    y_pred, y, weight = unpack_weighted(output) if weighted else (*unpack_output(output), None)
    return _values(y_pred), _values(y), _values(weight)


def _values(x: Any) -> Any:
    return x.detach() if isinstance(x, torch.Tensor) and x.requires_grad else x


def unpack_weighted(output: Any) -> tuple[Any, Any, Any]:
    """``(y_pred, y, sample_weight)`` for a metric built with ``sample_weight=True``: exactly three elements.

    The pair without weights is refused (counting it with weight 1 would mix two meanings silently).
    """
    if isinstance(output, (tuple, list)) and len(output) == 3:
        return output[0], output[1], output[2]
    if isinstance(output, (tuple, list)):
        raise ValueError(
            "Argument `output` must be a triple (y_pred, y, sample_weight) for a metric built with "
            f"sample_weight=True, got a {type(output).__name__} of {len(output)} element"
            + ("" if len(output) == 1 else "s")
            + ": pass the weights as the third element (torch.ones_like for weight 1), or build the metric "
            "with sample_weight=False."
        )
    unpack_output(output)  # the messages for a mapping, a tensor, a number
    raise AssertionError("unreachable")  # pragma: no cover


def unpack_output(output: Any) -> tuple[Any, Any]:
    """``(y_pred, y)`` from what ``update`` was given: a tuple or list of exactly two elements.

    Anything else is refused with what was given and what to do: a third element (sample
    weights, counted only with ``sample_weight=True``) must never be dropped silently, and an
    engine's output that is not the pair (the loss of ``create_supervised_trainer``, a dict)
    needs an ``output_transform``.
    """
    if isinstance(output, (tuple, list)) and len(output) == 2:
        return output[0], output[1]
    expected = "Argument `output` must be a pair (y_pred, y), a tuple or list of 2 elements"
    if isinstance(output, (tuple, list)):
        count = f"{len(output)} element" + ("" if len(output) == 1 else "s")
        hint = (
            ": a third element (sample weights) is counted only by a metric built with sample_weight=True, "
            "and is never dropped silently; build the metric with sample_weight=True to weight the samples, "
            "or pass (y_pred, y), for instance with output_transform=lambda output: output[:2]"
            if len(output) == 3
            else ": use output_transform to turn the engine's output into (y_pred, y)"
        )
        raise ValueError(f"{expected}, got a {type(output).__name__} of {count}{hint}.")
    if isinstance(output, Mapping):
        raise TypeError(
            f"{expected}, got a {type(output).__name__} with keys {list(output)!r}: pick the two with "
            "output_transform, for instance output_transform=lambda output: (output['y_pred'], output['y'])."
        )
    if isinstance(output, torch.Tensor):
        raise TypeError(
            f"{expected}, got a single torch.Tensor of shape {tuple(output.shape)}: pass predictions and "
            "targets as two tensors (y_pred, y), not stacked into one; use output_transform to split an "
            "engine's output."
        )
    if isinstance(output, numbers.Number):
        raise TypeError(
            f"{expected}, got {type(output).__name__} {output!r}: an engine made by "
            "create_supervised_trainer returns the loss (a float) by default; attach the metric to an "
            "evaluator (create_supervised_evaluator returns (y_pred, y)), or build the trainer with "
            "output_transform=lambda x, y, y_pred, loss: (y_pred, y)."
        )
    raise TypeError(
        f"{expected}, got {type(output).__name__}: use output_transform to turn the engine's output "
        "into (y_pred, y)."
    )


def several_per_sample(output: Any) -> bool:
    """Whether the targets of ``output`` (its second element) hold several elements per sample:
    (N, d1, ...) with more than one element in d1 x ..., or per-sample lists of such targets."""
    if not isinstance(output, (tuple, list)) or len(output) < 2:
        return False
    y = output[1]
    if isinstance(y, list):
        return any(isinstance(v, torch.Tensor) and v.numel() > 1 for v in y)
    return isinstance(y, torch.Tensor) and y.ndim > 1 and y.numel() > y.shape[0]


def per_sample(output: Any, weighted: bool) -> list[tuple[torch.Tensor, ...]] | None:
    """One batch per sample of Ignite's per-sample lists, or ``None`` when ``output`` is not that form.

    Ignite documents ``y_pred`` and ``y`` as "torch tensors or list of tensors/numbers": a tuple or
    list whose elements are all lists of tensors or numbers holds one entry per sample (each a
    sample's scores and target, in any shape, images of different sizes too), and with
    ``sample_weight=True`` a third list holds the weights. Each sample becomes a batch of one as
    Ignite makes it (a tensor gains a leading dimension; a number becomes a 1-element tensor, on
    the device of the sample's ``y_pred`` after the first; but a Python float becomes a float64,
    not Ignite's float32), for ``update`` to check them all before counting any. A list mixing
    float and integer entries is refused: one by one, an integer is read as a label and a float as
    a score, so a 0 among logits would be a negative label. A count of lists other than 2 (3 when
    weighted) is left to :func:`unpack` and its messages.
    """
    if not isinstance(output, (tuple, list)) or len(output) != (3 if weighted else 2):
        return None
    if not all(isinstance(o, list) and all(isinstance(v, _SAMPLE) for v in o) for o in output):
        return None
    names = ("y_pred", "y", "sample_weight")
    for name, entries in zip(names, output, strict=False):
        kinds = {_is_float(v) for v in entries}
        if len(kinds) > 1:  # a batch of them is all floats; one by one, 0 would be a label, not a logit 0
            raise ValueError(
                f"Argument `{name}` of per-sample lists must hold entries of one kind, all floats or all "
                "integers (or bools), got both: an integer entry is read as a label, a float one as a "
                "score, so mixing them changes what a 0 or a 1 means; pass them all as floats or all as "
                "integers."
            )
    lengths = [len(o) for o in output]
    if len(set(lengths)) > 1:
        raise ValueError(
            "Argument `output` of per-sample lists must hold one entry per sample in each list, got "
            + ", ".join(f"{n} {name}" for n, name in zip(lengths, names, strict=False))
            + ": give every list the same length, or pass tensors (y_pred, y) of whole batches."
        )
    batches = []
    for sample in zip(*output, strict=True):
        first = _batched(sample[0], None)
        batches.append((first, *(_batched(x, first.device) for x in sample[1:])))
    return batches


_SAMPLE = (torch.Tensor, numbers.Number)


def _is_float(x: Any) -> bool:
    """Whether a per-sample entry is a float (or complex) one: a tensor's dtype, a number's type."""
    if isinstance(x, torch.Tensor):
        return x.is_floating_point() or x.is_complex()
    return not isinstance(x, numbers.Integral)


def _batched(x: Any, device: torch.device | None) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.unsqueeze(0)
    # a Python float stays a float64: torch's default float32 would make 0.49999999999 a 0.5 (over
    # a threshold of 0.5) and a weight of 0.1 a 0.10000000149
    return torch.tensor([x], dtype=torch.float64 if isinstance(x, float) else None, device=device)
