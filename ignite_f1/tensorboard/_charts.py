"""The custom-scalars charts of the summary: per-class F-score charts and the band's margin chart,
merged into one layout per writer (TensorBoard keeps only the last layout written to a run)."""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Sequence
from typing import Any

LAYOUT_CATEGORY = "F-scores per class"
BAND_CATEGORY = "F-score confidence bands"
# TensorBoard's custom-scalars chart draws every curve of a run in the run's colour and tells them
# apart by the marker on each point: square, diamond, triangle, star, cross, in that order, then
# again. A chart of at most 5 classes gives each class its own marker (listed under "Matches" below
# the chart); up to _MAX_SPLIT classes the classes are split into such charts, beyond that one
# chart holds them all.
_MARKERS = 5
_MAX_SPLIT = 20

# The merged custom-scalars layout of each writer: {category: {title: ["Multiline", [regex]]}}.
_LAYOUTS: weakref.WeakKeyDictionary[Any, dict[str, dict[str, list[Any]]]] = weakref.WeakKeyDictionary()


def per_class_charts(tag: str, score: str, names: Sequence[str], tag_names: Sequence[str]) -> dict[str, str]:
    """``{title: regex}`` of the custom-scalars charts of one tag: one chart, or up to 20 classes,
    charts of at most 5 classes (in the order given, as even as can be), titled by their first and
    last class. ``names`` and ``tag_names`` are those of the logged (scored) classes only."""
    prefix = f"^{re.escape(tag)}/{re.escape(score)}/"
    title = f"{tag}: {score} per class"

    def regex(part: range) -> str:  # the classes' own tags: no other scalar under the prefix
        return prefix + "(" + "|".join(re.escape(tag_names[i]) for i in part) + ")$"

    if len(tag_names) <= _MARKERS or len(tag_names) > _MAX_SPLIT:
        return {title: regex(range(len(tag_names)))}
    count = math.ceil(len(tag_names) / _MARKERS)
    size = math.ceil(len(tag_names) / count)
    charts = {}
    for start in range(0, len(tag_names), size):
        part = range(start, min(start + size, len(tag_names)))
        charts[f"{title}, {names[part[0]]} to {names[part[-1]]}"] = regex(part)
    return charts


def layout_charts(writer: Any, charts: dict[str, list[Any]], category_name: str = LAYOUT_CATEGORY) -> None:
    """Add charts (``{title: ["Multiline", [regex]]}`` or ``{title: ["Margin", [value, low, high]]}``)
    to a category of the writer's merged custom-scalars layout, and write the layout if it changed."""
    layout = _LAYOUTS.setdefault(writer, {})
    category = layout.setdefault(category_name, {})
    changed = False
    for title, chart in charts.items():
        if category.get(title) != chart:
            category[title] = chart
            changed = True
    if changed:
        writer.add_custom_scalars({name: dict(c) for name, c in layout.items()})
