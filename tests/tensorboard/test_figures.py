"""Confusion-matrix pictures: cell texts, normalisations, stacked multilabel matrices, lazy matplotlib."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from ignite_f1 import MultilabelF1Score
from ignite_f1.tensorboard import confusion_matrix_figure, confusion_matrix_image


def test_confusion_matrix_figure_and_image_options():
    cm = torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    fig = confusion_matrix_figure(cm, ["a", "b", "c"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts[:2] == ["5\n83%", "1\n17%"] and "0\n0%" not in texts  # empty off-diagonal cells are blank
    columns = [t.get_text() for t in confusion_matrix_figure(cm, normalize="pred").axes[0].texts]
    assert columns[0] == "5\n71%"  # 5 of the 7 predicted "0"
    assert confusion_matrix_figure(cm.numpy(), normalize="all").axes[0].texts[0].get_text() == "5\n20%"
    stacked = MultilabelF1Score(2, from_logits=True)
    stacked.update((torch.tensor([[1, 0], [1, 1], [0, 0]]), torch.tensor([[1, 0], [0, 1], [1, 1]])))
    fig = confusion_matrix_figure(stacked.confusion_matrix(), ["x", "y"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["TN", "FP", "FN", "TP"]
    image = confusion_matrix_image(np.array([[1.0, 0.0], [0.0, 3.0]]), ["$x", "y_{1}"])
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3


def test_large_counts_are_shortened_and_tiny_shares_shown_as_under_one_percent():
    cm = np.array([[2_500_000.0, 3.0], [12_000.0, 7.5]])
    texts = [t.get_text() for t in confusion_matrix_figure(cm).axes[0].texts]
    assert texts == ["2.5M\n100%", "3\n<1%", "12k\n100%", "7.5\n<1%"]


@pytest.mark.parametrize("num_classes", [2, 100])
def test_cell_texts_up_to_40_classes_and_ticks_for_every_class(num_classes):
    cm = torch.arange(num_classes * num_classes).reshape(num_classes, num_classes)
    ax = confusion_matrix_figure(cm, normalize="true").axes[0]
    assert len(ax.texts) == (4 if num_classes == 2 else 0)  # no per-cell text at 100 classes
    assert len(ax.get_yticklabels()) == num_classes


@pytest.mark.parametrize("num_classes", [2, 3, 10, 20])
def test_class_names_read_at_tensorboards_card_width(num_classes):
    """The Images tab shows the picture about 280 px wide: every class name is there, in letters at
    least 7 px high at that width, and the picture is sharp when expanded."""
    names = [f"class {i}" for i in range(num_classes)]
    cm = torch.arange(num_classes * num_classes).reshape(num_classes, num_classes)
    fig = confusion_matrix_figure(cm, names, normalize="true")
    ax = fig.axes[0]
    for labels in (ax.get_yticklabels(), ax.get_xticklabels()):
        assert [label.get_text() for label in labels] == names
        shown = {label.get_fontsize() / 72 * 280 / fig.get_figwidth() for label in labels}
        assert min(shown) >= 7.0, shown
    assert 600 <= fig.get_figwidth() * fig.dpi <= 2000
    texts = [t.get_text() for t in ax.texts]
    if num_classes <= 10:
        assert all("\n" in text and text.endswith("%") for text in texts)  # count and share
    else:
        assert texts and all(re.fullmatch(r"<1|\d+", text) for text in texts)  # share in %, bar in %


@pytest.mark.parametrize("num_classes", [4, 10, 50])
def test_class_names_with_line_breaks_are_drawn_on_one_line(num_classes):
    """A name of two lines ran into its neighbour's rotated label; every control character is a space."""
    names = [f"class {i}" for i in range(num_classes)]
    names[1], names[2] = "two\nlines", "tab\there\r\n\x85\u2028end"
    cm = torch.arange(num_classes * num_classes).reshape(num_classes, num_classes)
    ax = confusion_matrix_figure(cm, names, normalize="true").axes[0]
    for labels in (ax.get_yticklabels(), ax.get_xticklabels()):
        shown = [label.get_text() for label in labels]
        assert shown[1:3] == ["two lines", "tab here    end"]
        assert shown[3:] == names[3:]


def test_bad_arguments():
    cm = torch.tensor([[5, 1, 0], [2, 7, 1], [0, 0, 9]])
    with pytest.raises(ValueError, match="Argument `normalize` must be one of"):
        confusion_matrix_figure(cm, normalize="rows")
    with pytest.raises(ValueError, match=r"must have shape \(C, C\) or \(L, 2, 2\)"):
        confusion_matrix_figure(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="finite counts >= 0"):
        confusion_matrix_figure(torch.tensor([[1, -1], [0, 2]]))
    with pytest.raises(TypeError, match="Argument `cm`"):
        confusion_matrix_figure([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="one name per class"):
        confusion_matrix_figure(cm, ["a", "b"])


@pytest.mark.parametrize(
    ("cm", "given"),
    [
        (np.array([[True, False], [False, True]]), "an ndarray of dtype bool"),
        (np.eye(2) * 1j, "an ndarray of dtype complex128"),
        (torch.eye(2, dtype=torch.bool), "a Tensor of dtype torch.bool"),
    ],
    ids=["bool array", "complex array", "bool tensor"],
)
def test_an_array_of_no_counts_is_refused_naming_its_dtype(cm, given):
    """A boolean or complex matrix was refused as "got ndarray", which hid what was wrong."""
    rule = "Argument `cm` must be a tensor or array of counts (an integer or floating dtype), got "
    with pytest.raises(TypeError, match=re.escape(f"{rule}{given}.")):
        confusion_matrix_figure(cm)


@pytest.mark.slow  # starts a fresh interpreter
def test_matplotlib_is_imported_lazily_and_pyplot_never(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # importing pyplot would now fail
    assert confusion_matrix_image(torch.tensor([[3, 1], [0, 2]])).shape[2] == 3
    # in a fresh interpreter, importing the package loads no matplotlib at all
    code = (
        "import sys, ignite_f1.tensorboard; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=re.escape('pip install -e ".[tensorboard]"')):
        confusion_matrix_figure(torch.eye(2))
    with pytest.raises(ImportError, match="`tensorboard` extra"):
        confusion_matrix_image(torch.eye(2))


def test_missing_matplotlib_gives_the_installation_pages_command_and_the_way_around(monkeypatch):
    """The install hint is the installation page's (from a clone, brackets quoted for zsh), not a
    PyPI name, and it names the argument that does without images."""
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError) as raised:
        confusion_matrix_image(torch.eye(2))
    message = str(raised.value)
    assert 'pip install -e ".[tensorboard]" in the clone of the repository' in message
    assert "pip install matplotlib" in message
    assert "confusion_matrix=False" in message
    assert "ignite_f1[tensorboard]" not in message  # unquoted, and not what the docs install
    page = (Path(__file__).resolve().parents[2] / "docs" / "installation.md").read_text()
    assert 'pip install -e ".[' in page and "-e ." in page


def test_the_docs_say_up_to_how_many_classes_a_cell_shows_two_lines():
    """The cell text switches by cell size: the class counts the docstring and the guide give are
    the ones at which it switches (they said 10 and 11; it is 12 and 13)."""
    doc = " ".join((confusion_matrix_figure.__doc__ or "").split())
    found = re.search(
        r"Up to (\d+) classes(?: \(or labels\))? every cell shows its count.*?from (\d+) to 40", doc
    )
    assert found is not None
    two_lines, one_line = (int(n) for n in found.groups())
    assert one_line == two_lines + 1
    for n, expected in ((two_lines, True), (one_line, False)):
        square = torch.ones(n, n, dtype=torch.int64) + 4 * torch.eye(n, dtype=torch.int64)
        stacked = torch.ones(n, 2, 2, dtype=torch.int64)
        for cm in (square, stacked):
            texts = [t.get_text() for t in confusion_matrix_figure(cm, normalize="true").axes[0].texts]
            assert texts and all(("\n" in text) == expected for text in texts), (n, cm.shape, texts[:2])
    guide = (Path(__file__).parents[2] / "docs" / "guides" / "tensorboard.md").read_text()
    assert f"up to {two_lines} classes; from {one_line} to 40 classes" in " ".join(guide.split())
