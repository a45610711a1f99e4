"""Validation of the 1-D dataset type: every bad input names its problem."""

import numpy as np
import pytest

import lassobook as lb


def test_sorting_is_internal_and_results_return_in_caller_order():
    data = lb.as_dataset([3.0, -1.0, 2.0], [30.0, -10.0, 20.0])
    assert list(data.x_sorted) == [-1.0, 2.0, 3.0]
    assert list(data.y_sorted) == [-10.0, 20.0, 30.0]
    assert list(data.to_caller_order(data.y_sorted)) == [30.0, -10.0, 20.0]


def test_column_vectors_are_accepted():
    data = lb.as_dataset(np.arange(4.0).reshape(-1, 1), np.ones((4, 1)))
    assert data.x.shape == (4,) and data.y.shape == (4,)


@pytest.mark.parametrize(
    "x, y, message",
    [
        ([0.0, np.nan, 2.0], [0, 1, 2], "x contains non-finite values (NaN"),
        ([0.0, 1.0, 2.0], [0, np.inf, 2], "y contains non-finite values (infinite"),
        ([0.0, 1.0, 2.0], [0, 1], "different lengths (3 and 2)"),
        ([1.0], [1.0], "at least 2 distinct training points"),
        ([1.0, 1.0], [0.0, 2.0], "at least 2 distinct training points"),
        (["a", "b"], [0, 1], "x must be numeric"),
        (np.zeros((2, 2)), [0, 1], "one-dimensional"),
        ([0.0, 1.0], [[0, 1], [1, 2]], "y must be one-dimensional"),
        ([0, 1], [1 + 1j, 2], "must be real"),
    ],
)
def test_bad_input_is_named(x, y, message):
    with pytest.raises(ValueError, match=None) as info:
        lb.as_dataset(x, y)
    assert message in str(info.value)


def test_repeated_x_are_merged_exactly():
    """Repeated inputs: summed weights, weighted-mean labels, the rest of the squares as offset."""
    data = lb.as_dataset([0, 2.5, 1, 2.5, 1], [0, 1, 2, 3, 4], sample_weight=[1, 1, 1, 3, 1])
    assert list(data.x) == [0, 1, 2.5] and list(data.w) == [1, 2, 4]
    assert list(data.y) == [0, 3, 2.5] and data.n_rows == 5
    assert data.offset == pytest.approx(0.5 * (1 + 1 + 1.5**2 + 3 * 0.5**2))
    assert not lb.as_dataset([0, 1], [0, 1]).weighted


def test_unknown_paper_dataset():
    with pytest.raises(ValueError, match="unknown paper dataset 'fig99'"):
        lb.paper_dataset("fig99")


def test_paper_datasets_match_notes():
    data = lb.paper_dataset("fig3")
    assert list(data.x) == [0, 4, 5, 7, 10, 11] and list(data.y) == [0, 0, 0, 2, 3, 3]
