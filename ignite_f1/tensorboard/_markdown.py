"""The classification report as a markdown table that TensorBoard's text dashboard shows as written."""

from __future__ import annotations

import math
import re
from typing import Any

_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")  # what str.splitlines splits on


def _md_escape(text: str) -> str:
    r"""``text`` as one table cell: shown as written, never a pipe, a line break or markup.

    ``&``, ``<`` and ``>`` become HTML entities (no tag, comment or link), backslash escapes keep
    ``\ ` * _ [ ] |`` literal (a ``|`` would split the cell), and each line break becomes ``<br>``,
    so that a name on two lines stays in one row.

    Examples:
        >>> print(_md_escape("a|b\n<i>*c*</i> & [d]"))
        a\|b<br>&lt;i&gt;\*c\*&lt;/i&gt; &amp; \[d\]
    """
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]|])", r"\\\1", text)
    return _LINE_BREAKS.sub("<br>", text)


def _number(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4f}"


def _support(value: float) -> str:
    """A support as written: a count as an integer; a sum of weights (``sample_weight=True``) to 6
    significant digits and at least to the hundredth, which drops the noise of float32 weights
    (about 7 digits) and never makes 0.4 a 0.

    Examples:
        >>> [_support(v) for v in (3.0, 0.4, 2.5, 0.30000000447034836, 3.4000000000000004, 123456.75)]
        ['3', '0.4', '2.5', '0.3', '3.4', '123456.75']
    """
    if not math.isfinite(value):
        return str(value)
    if value == int(value):
        return str(int(value))
    digits = max(6, math.floor(math.log10(abs(value))) + 3)
    return f"{value:.{digits}g}"


def report_markdown(
    report: dict[str, Any], names: list[str], fbeta: dict[str, float] | None, score_name: str
) -> str:
    """A markdown table of a ``classification_report`` dict; its first entries are the classes.

    The scores are shown to 4 decimals and the support as :func:`_support` writes it.
    """
    headers = ["class", "precision", "recall", "f1-score"]
    if fbeta is not None:
        headers.append(f"{score_name}-score")
    headers.append("support")
    lines = ["| " + " | ".join(headers) + " |", "|:---" + "|---:" * (len(headers) - 1) + "|"]
    keys = list(report)
    rows = [(_md_escape(display), keys[i]) for i, display in enumerate(names)]  # the classes
    rows += [(f"**{key}**", key) for key in keys[len(names) :]]  # accuracy and the averages, in bold
    total = sum(float(report[key]["support"]) for _, key in rows[: len(names)])
    for display, key in rows:
        entry = report[key]
        if not isinstance(entry, dict):  # "accuracy": a float, shown in the F1 column as sklearn does
            cells = ["", "", _number(float(entry))]
            cells += [""] if fbeta is not None else []
            support = total
        else:
            cells = [_number(float(entry[name])) for name in ("precision", "recall", "f1-score")]
            if fbeta is not None:
                cells.append(_number(fbeta[key]) if key in fbeta else "")
            support = float(entry["support"])
        lines.append("| " + " | ".join([display, *cells, _support(support)]) + " |")
    return "\n".join(lines)
