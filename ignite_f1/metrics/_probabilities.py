"""The probability warning of the binary and multilabel metrics built with ``from_logits=True``.

Validation reads the minimum and maximum of every batch of float scores anyway; whether all of them
lay in [0, 1] since ``reset()`` is kept here, and ``compute()`` warns once when logits were asked
for and every score looked like a probability (summed over processes in its collective call).
"""

from __future__ import annotations

import warnings

import ignite.distributed as idist
import torch

from ignite_f1 import _inputs


class ProbabilityWarning:
    """The mixin of :class:`~ignite_f1.metrics._base.CountingMetric` that keeps the score flag and warns."""

    _scores_in_unit_interval: bool | None = None  # see _note_scores; not part of the state dict
    _counts_device: str | torch.device
    validate_args: bool

    def _note_scores(self, in_unit_interval: bool | None) -> None:
        """Keep whether every float score since :meth:`reset` lay in [0, 1] (``None``: none seen)."""
        if in_unit_interval is not None:
            self._scores_in_unit_interval = in_unit_interval and self._scores_in_unit_interval is not False

    def _warn_if_probabilities(self) -> None:
        """Warn once per ``compute()`` when logits were asked for and every score looked like a probability.

        Part of ``compute()``'s collective call in a distributed run: the processes' flags are summed
        there, so every process warns when at least one saw float scores and none saw a score
        outside [0, 1]. Without validation no score is read, so nothing is known and nothing is said.
        """
        if not (getattr(self, "from_logits", False) and self.validate_args):
            return
        seen = self._scores_in_unit_interval
        flags = torch.tensor([seen is True, seen is False], dtype=torch.int64, device=self._counts_device)
        if idist.get_world_size() > 1:
            summed = idist.all_reduce(flags)
            assert isinstance(summed, torch.Tensor)
            flags = summed
        only_in_unit_interval, outside = flags.tolist()
        if only_in_unit_interval and not outside:
            threshold = getattr(self, "threshold", 0.5)
            warnings.warn(
                f"{type(self).__name__} was built with from_logits=True, but every score since reset() lay "
                f"in [0, 1]: the scores look like probabilities (after a sigmoid), which are being compared "
                f"as logits with logit({threshold}) = {_inputs.logit_threshold(threshold)!r}, so nearly all "
                "count as positive. If they are probabilities, build the metric with from_logits=False.",
                UserWarning,
                stacklevel=3,
            )
