"""One-dimensional training data: validation, sorting, and the paper's datasets.

Every dictionary in the paper is defined on the *sorted* training points
``x_1 < x_2 < ... < x_N``.  :class:`Dataset` validates the caller's data once,
keeps it in the caller's order (results come back in that order) and knows the
permutation that sorts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Dataset", "as_dataset", "paper_dataset", "random_dataset", "read_csv", "PAPER_DATASETS"]


def _as_1d_float(values, name: str) -> np.ndarray:
    """Convert to a 1-D float64 array or raise a ValueError that names ``name``."""
    try:
        arr = np.asarray(values)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{name} must be numeric, got values of type {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got complex values")
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be one-dimensional (shape (n,) or (n, 1)), got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.flatnonzero(bad)
        kind = "NaN" if np.isnan(arr[idx[0]]) else "infinite"
        raise ValueError(
            f"{name} contains non-finite values ({kind} at position {int(idx[0])}; "
            f"{idx.size} non-finite in total)"
        )
    return arr


@dataclass(frozen=True)
class Dataset:
    """Validated 1-D regression data.

    Attributes
    ----------
    x, y : ndarray of shape (n,)
        Inputs and labels, in the caller's order.
    order : ndarray of shape (n,)
        Permutation with ``x[order]`` increasing.
    """

    x: np.ndarray
    y: np.ndarray
    order: np.ndarray

    @property
    def n(self) -> int:
        """Number of training points."""
        return self.x.size

    @property
    def x_sorted(self) -> np.ndarray:
        return self.x[self.order]

    @property
    def y_sorted(self) -> np.ndarray:
        return self.y[self.order]

    def to_caller_order(self, values_sorted: np.ndarray) -> np.ndarray:
        """Map an array indexed by sorted position (first axis) back to the caller's order."""
        out = np.empty_like(values_sorted)
        out[self.order] = values_sorted
        return out

    def __repr__(self) -> str:
        return f"Dataset(n={self.n}, x in [{self.x.min():g}, {self.x.max():g}])"


def as_dataset(x, y=None) -> Dataset:
    """Validate ``x`` and ``y`` and return a :class:`Dataset`.

    ``x`` may have shape (n,) or (n, 1); ``y`` shape (n,) or (n, 1).  Passing a
    :class:`Dataset` returns it unchanged.

    Raises
    ------
    ValueError
        If the values are non-numeric, NaN or infinite, of the wrong shape, of
        different lengths, fewer than two, or if two inputs coincide (the
        duplicates are named).
    """
    if isinstance(x, Dataset) and y is None:
        return x
    if y is None:
        raise ValueError("y is missing: pass both x and y")
    xa = _as_1d_float(x, "x")
    ya = _as_1d_float(y, "y")
    if xa.size != ya.size:
        raise ValueError(f"x and y have different lengths ({xa.size} and {ya.size})")
    if xa.size < 2:
        raise ValueError(f"at least 2 training points are needed, got {xa.size}")
    order = np.argsort(xa, kind="stable")
    xs = xa[order]
    dup = np.flatnonzero(np.diff(xs) == 0)
    if dup.size:
        values = np.unique(xs[dup])
        shown = ", ".join(f"{v:g}" for v in values[:5])
        more = "" if values.size <= 5 else f" and {values.size - 5} more"
        raise ValueError(
            f"duplicate x values are not allowed (the Lasso dictionaries need distinct "
            f"points): x = {shown}{more} appear(s) more than once"
        )
    xa.setflags(write=False)
    ya.setflags(write=False)
    order.setflags(write=False)
    return Dataset(xa, ya, order)


#: The datasets of the paper's figures whose data is known exactly (NOTES §8).
PAPER_DATASETS: dict[str, tuple[list[float], list[float]]] = {
    "fig2_left": ([0, 2, 6, 7], [0, 0, 3, 3]),
    "fig2_right": ([-1, 2, 6, 7], [0, 0, 3, 3]),
    "fig3": ([0, 4, 5, 7, 10, 11], [0, 0, 0, 2, 3, 3]),
    "fig18": ([0, 2, 6, 7], [0, 0, 3, 7]),
    "fig19": ([0, 2, 6, 7], [0, 0, 3, 3]),
}


def paper_dataset(name: str) -> Dataset:
    """One of the datasets of the paper's figures, by name (see :data:`PAPER_DATASETS`)."""
    try:
        x, y = PAPER_DATASETS[name]
    except KeyError:
        raise ValueError(
            f"unknown paper dataset {name!r}; known: {', '.join(sorted(PAPER_DATASETS))}"
        ) from None
    return as_dataset(x, y)


def random_dataset(n: int, seed: int, *, low: float = -1.0, high: float = 1.0,
                   noise: float = 0.3) -> Dataset:
    """A seeded random dataset: sorted uniform points, a smooth target plus noise."""
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(low, high, size=n))
    y = np.sin(3.0 * x) + noise * rng.standard_normal(n)
    return as_dataset(x, y)


def read_csv(path, x: str, y: str) -> Dataset:
    """Read columns ``x`` and ``y`` of a CSV file with a header row into a :class:`Dataset`.

    Raises
    ------
    ValueError
        If the file cannot be read, a column is missing, a value is not a
        number (row and column named), or the data fail :func:`as_dataset`.
    """
    import csv

    try:
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror if isinstance(exc, OSError) else exc}") from None
    if not rows:
        raise ValueError(f"{path} is empty")
    header = [h.strip() for h in rows[0]]
    columns = []
    for name in (x, y):
        if name not in header:
            raise ValueError(f"{path} has no column {name!r} (columns: {', '.join(header)})")
        columns.append(header.index(name))
    values = [[], []]
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        for out, (name, col) in zip(values, zip((x, y), columns)):
            cell = row[col].strip() if col < len(row) else ""
            try:
                out.append(float(cell))
            except ValueError:
                raise ValueError(
                    f"{path}, line {line}: column {name!r} has a non-numeric value {cell!r}") from None
    return as_dataset(values[0], values[1])
