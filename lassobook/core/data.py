"""One-dimensional training data: validation, sorting, and the paper's datasets.

Every dictionary in the paper is defined on the *sorted* training points
``x_1 < x_2 < ... < x_N``.  :class:`Dataset` validates the caller's data once,
keeps it in the caller's order (results come back in that order) and knows the
permutation that sorts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    r"""Validated 1-D regression data, with optional sample weights.

    The training problem is the weighted least squares
    ``½ Σ_n w_n (f(x_n) − y_n)² + R(θ)`` (``w_n = 1`` unless weights are given).
    Rows that share an input are merged exactly: for the rows ``n`` with
    ``x_n = u``,

    .. math::

        \sum_n w_n (f(u) - y_n)^2 = W_u\,(f(u) - \bar y_u)^2
            + \sum_n w_n (y_n - \bar y_u)^2 ,
        \qquad W_u = \sum_n w_n ,\quad \bar y_u = \tfrac{1}{W_u}\sum_n w_n y_n ,

    so the problem on the distinct inputs with weights ``W_u`` and labels
    ``ȳ_u`` has the same minimizers, and its objective differs by the constant
    :attr:`offset` ``= ½ Σ_n w_n (y_n − ȳ_u)²`` (the part no network can fit).
    Rows with weight 0 do not enter the objective and are dropped.

    Attributes
    ----------
    x, y : ndarray of shape (n,)
        Distinct inputs and their labels: the caller's order when no rows were
        merged or dropped, else sorted by ``x``.
    order : ndarray of shape (n,)
        Permutation with ``x[order]`` increasing.
    w : ndarray of shape (n,)
        Weight of each point (all ones for unweighted data without repeats).
    offset : float
        ``½ Σ_n w_n (y_n − ȳ_u)²``: added to every objective on the merged points.
    n_rows : int
        Number of rows the caller gave (before merging repeated inputs).
    """

    x: np.ndarray
    y: np.ndarray
    order: np.ndarray
    w: np.ndarray = None
    offset: float = 0.0
    n_rows: int = None

    def __post_init__(self):
        if self.w is None:
            w = np.ones(self.x.size)
            w.setflags(write=False)
            object.__setattr__(self, "w", w)
        if self.n_rows is None:
            object.__setattr__(self, "n_rows", int(self.x.size))

    @property
    def n(self) -> int:
        """Number of distinct training points."""
        return self.x.size

    @property
    def weighted(self) -> bool:
        """True if some point has a weight other than 1 (given weights or merged repeats)."""
        return bool(np.any(self.w != 1.0))

    @property
    def x_sorted(self) -> np.ndarray:
        return self.x[self.order]

    @property
    def y_sorted(self) -> np.ndarray:
        return self.y[self.order]

    @property
    def w_sorted(self) -> np.ndarray:
        return self.w[self.order]

    def to_caller_order(self, values_sorted: np.ndarray) -> np.ndarray:
        """Map an array indexed by sorted position (first axis) back to the order of :attr:`x`."""
        out = np.empty_like(values_sorted)
        out[self.order] = values_sorted
        return out

    def __repr__(self) -> str:
        extra = "" if self.n_rows == self.n else f" from {self.n_rows} rows"
        return f"Dataset(n={self.n}{extra}, x in [{self.x.min():g}, {self.x.max():g}])"


def _check_weights(sample_weight, n: int) -> np.ndarray:
    """Sample weights as a float array: finite, ≥ 0, not all zero (else a ValueError)."""
    w = _as_1d_float(sample_weight, "sample_weight")
    if w.size != n:
        raise ValueError(f"sample_weight has {w.size} values for {n} points")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(f"sample_weight must be >= 0, got {w[i]:g} at position {i}")
    if not (w > 0).any():
        raise ValueError("sample_weight is zero everywhere: no point enters the objective")
    return w


def as_dataset(x, y=None, sample_weight=None) -> Dataset:
    """Validate ``x``, ``y`` (and weights) and return a :class:`Dataset`.

    ``x`` may have shape (n,) or (n, 1); ``y`` shape (n,) or (n, 1).  Passing a
    :class:`Dataset` (and no weights) returns it unchanged.  Repeated inputs
    are merged exactly and zero-weight rows dropped (see :class:`Dataset`).

    Raises
    ------
    ValueError
        If the values are non-numeric, NaN or infinite, of the wrong shape, of
        different lengths, if the weights are negative, non-finite or all zero,
        or if fewer than two distinct inputs have positive weight.
    """
    if isinstance(x, Dataset) and y is None:
        if sample_weight is not None:
            raise ValueError("sample_weight cannot be given with a Dataset (it has its weights)")
        return x
    if y is None:
        raise ValueError("y is missing: pass both x and y")
    xa = _as_1d_float(x, "x")
    ya = _as_1d_float(y, "y")
    if xa.size != ya.size:
        raise ValueError(f"x and y have different lengths ({xa.size} and {ya.size})")
    n_rows = xa.size
    wa = None if sample_weight is None else _check_weights(sample_weight, xa.size)
    if wa is not None and (wa == 0).any():
        keep = wa > 0
        xa, ya, wa = xa[keep], ya[keep], wa[keep]
    order = np.argsort(xa, kind="stable")
    xs = xa[order]
    repeats = int(np.count_nonzero(xs[1:] == xs[:-1]))    # sorted: a repeat equals its left neighbour
    offset = 0.0
    if repeats:
        xa, ya, wa, offset = _merge_repeats(xs, ya[order], None if wa is None else wa[order])
        order = np.arange(xa.size)
    if xs.size - repeats < 2:
        raise ValueError(f"at least 2 distinct training points (with positive weight) are needed, "
                         f"got {xs.size - repeats}")
    if wa is not None and np.all(wa == 1.0):
        wa = None
    for arr in (xa, ya, order) + (() if wa is None else (wa,)):
        arr.setflags(write=False)
    return Dataset(xa, ya, order, wa, float(offset), n_rows)


def _merge_repeats(xs, ys, ws):
    """Merge rows with equal (sorted) inputs ``xs``: summed weights, weighted mean labels, offset."""
    ws = np.ones(xs.size) if ws is None else ws
    starts = np.flatnonzero(np.concatenate([[True], np.diff(xs) != 0]))
    W = np.add.reduceat(ws, starts)
    ybar = np.add.reduceat(ws * ys, starts) / W
    group = np.repeat(np.arange(starts.size), np.diff(np.append(starts, xs.size)))
    offset = 0.5 * float(np.sum(ws * (ys - ybar[group]) ** 2))
    return xs[starts].copy(), ybar, W, offset


#: The datasets of the paper's figures whose data is known exactly (from the authors'
#: notebooks in their repository pilancilab/1d-convex-nn).
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


def _csv_text(path) -> str:
    """The text of ``path`` decoded as UTF-8, without a leading byte order mark.

    Excel's "CSV UTF-8" starts the file with a BOM (EF BB BF); ``utf-8-sig``
    drops it, so it does not end up in the first column's name.  Undecodable
    bytes are reported with the file line they are on.
    """
    from pathlib import Path

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start]          # the bytes after a BOM, up to the bad one
        line = before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1
        raise ValueError(
            f"{path}, line {line}: byte 0x{exc.object[exc.start]:02x} is not UTF-8 text "
            f"(save the file as 'CSV UTF-8')") from None


def _csv_records(path, text: str):
    """Yield ``(line, row)`` for every record of ``text``, ``line`` the file line it starts on.

    Numeric CSV files have no multi-line fields, so a record spanning several
    lines is a quote that was opened and never closed: Python's csv module would
    silently read the following lines into that field (dropping rows).  We
    compare ``reader.line_num`` before and after each record and reject such a
    record by the line its quote opened on.  ``strict=True`` turns other
    malformed quoting into :class:`csv.Error`, which, like a field longer than
    :func:`csv.field_size_limit`, becomes a one-line :class:`ValueError`.
    """
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    done = 0                                   # lines consumed by the records so far
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValueError(_csv_error(path, done + 1, reader.line_num, str(exc))) from None
        if reader.line_num > done + 1:
            raise ValueError(_csv_error(path, done + 1, reader.line_num, "quoted field spans lines"))
        done = reader.line_num
        yield done, row


def _csv_error(path, start: int, end: int, reason: str) -> str:
    """One-line message for a malformed record starting on line ``start`` (csv stopped on ``end``)."""
    import csv

    if "field limit" in reason and start == end:
        return (f"{path}, line {start}: a field is longer than {csv.field_size_limit()} characters "
                f"(not a number; is the file a CSV of numbers?)")
    if reason == "quoted field spans lines":
        return (f"{path}, line {start}: a quoted field runs from this line on to line {end} "
                f"(numeric CSV fields cannot span lines; close the quote on line {start})")
    if end > start or "end of data" in reason or "field limit" in reason:
        return (f"{path}, line {start}: a quote (\") opened on this line is never closed "
                f"(numeric CSV fields cannot span lines; remove or close the quote)")
    return f"{path}, line {start}: malformed quoting ({reason}); quote whole fields as \"...\""


def _csv_number(path, line: int, name: str, cell: str) -> float:
    """``cell`` as a finite float, or a ValueError naming the file, line and column."""
    import math

    cell = cell.strip()
    if not cell:
        raise ValueError(f"{path}, line {line}: column {name!r} is empty (a missing value; "
                         f"fill it in or remove the line)")
    try:
        value = float(cell)
    except ValueError:
        shown = cell if len(cell) <= 40 else cell[:37] + "..."
        raise ValueError(
            f"{path}, line {line}: column {name!r} has a non-numeric value {shown!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{path}, line {line}: column {name!r} is {cell!r}, not a finite number "
                         f"(fill it in or remove the line)")
    return value


def _shown(text: str, width: int = 40) -> str:
    """``text`` for a one-line message: shortened, and quoted if it has control characters."""
    text = text if len(text) <= width else text[: width - 3] + "..."
    return text if text.isprintable() else repr(text)


def _csv_columns(path, header: list[str], names: list[str]) -> list[int]:
    """Position of each of ``names`` in ``header`` (ValueError if missing or ambiguous)."""
    header = [h.strip() for h in header]
    columns = []
    for name in names:
        if name not in header:
            shown = ", ".join(_shown(h) for h in header[:20])
            more = "" if len(header) <= 20 else f", ... ({len(header)} columns)"
            raise ValueError(f"{path} has no column {name!r} (columns: {shown}{more})")
        if header.count(name) > 1:
            raise ValueError(f"{path}: the header names column {name!r} {header.count(name)} times; "
                             f"rename one")
        columns.append(header.index(name))
    return columns


#: The bytes a data line may hold for :func:`_read_csv_fast`: digits, signs, point, exponent, comma.
_PLAIN_BYTES = b"0123456789+-.eE,\n"


def _read_csv_fast(path, names: list[str]) -> Dataset | None:
    r"""The :class:`Dataset` of a *plain* numeric CSV file, by numpy's C parser; None for any other file.

    Plain: the first line is the header (no quote, no carriage return, valid UTF-8,
    each of ``names`` on it exactly once) and every later line holds only
    ``0-9 + - . e E ,`` (line ends ``\n`` or ``\r\n``; a UTF-8 BOM is allowed).  On
    such lines there is no quoting, whitespace or text, and a field is a float
    for Python's ``float`` exactly when it is one for :func:`numpy.loadtxt` (both
    parse with CPython's ``PyOS_string_to_double``, so the values are the same
    bits).  Anything else — and any file the exact reader would reject (an empty,
    non-finite or missing value, a negative or all-zero weight, too few points) —
    returns None, and :func:`read_csv` reads it with the csv module, which reports
    the error by line.  So this path changes the speed (≈1 µs per value, against
    ≈10 µs), never the result.
    """
    import io
    import warnings
    from pathlib import Path

    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    end = raw.find(b"\n", start)
    if end < 0:
        return None
    head, body = raw[start:end], raw[end + 1:]
    del raw
    head = head[:-1] if head.endswith(b"\r") else head
    if any(c in head for c in (b"\r", b'"', b"\x00")):
        return None
    if b"\r" in body:
        if body.count(b"\r") != body.count(b"\r\n"):
            return None
        body = body.replace(b"\r\n", b"\n")
    if not body.strip(b"\n") or body.translate(None, _PLAIN_BYTES):
        return None
    try:
        header = [cell.strip() for cell in head.decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None
    if any(header.count(name) != 1 for name in names):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")           # "input contained no data"
            values = np.loadtxt(io.BytesIO(body), delimiter=",", comments=None, quotechar=None,
                                usecols=[header.index(name) for name in names], ndmin=2,
                                dtype=np.float64, encoding="ascii")
    except (ValueError, UserWarning):
        return None
    if not np.isfinite(values).all():
        return None
    if len(names) == 3 and ((values[:, 2] < 0).any() or not (values[:, 2] > 0).any()):
        return None
    try:
        return as_dataset(values[:, 0], values[:, 1], *([values[:, 2]] if len(names) == 3 else []))
    except ValueError:
        return None


def read_csv(path, x: str, y: str, weight: str | None = None) -> Dataset:
    """Read columns ``x`` and ``y`` (and optionally ``weight``) of a CSV file with a header row.

    The file is UTF-8 (a leading BOM is allowed); blank lines (and lines of
    empty cells) are skipped, every other line is one training point.  Errors
    name the file's line, counting the header as line 1.  ``weight`` names a
    column of sample weights (finite, >= 0, not all zero), passed on as
    ``as_dataset(x, y, sample_weight=w)``; repeated x values are merged there.

    Raises
    ------
    ValueError
        If the file cannot be read or decoded, its quoting is malformed (an
        unclosed quote, a field over :func:`csv.field_size_limit`), a column is
        missing, a value is empty, not a number or not finite, a weight is
        negative or all are zero, or the data fail :func:`as_dataset`.  The
        message is one line and names the file, the line and the column.
    """
    names = [x, y] + ([weight] if weight is not None else [])
    fast = _read_csv_fast(path, names)          # plain numeric files: numpy's C parser
    return fast if fast is not None else _read_csv_exact(path, names)


def _read_csv_exact(path, names: list[str]) -> Dataset:
    """:func:`read_csv` by the csv module, record by record: every file, every error by its line."""
    weight = names[2] if len(names) == 3 else None
    records = _csv_records(path, _csv_text(path))
    header = next((row for _, row in records if any(c.strip() for c in row)), None)
    if header is None:
        raise ValueError(f"{path} is empty (expected a header row naming the columns)")
    columns = _csv_columns(path, header, names)
    values: list[list[float]] = [[] for _ in names]
    for line, row in records:
        if not any(cell.strip() for cell in row):
            continue
        for k, (out, name, col) in enumerate(zip(values, names, columns)):
            out.append(_csv_number(path, line, name, row[col] if col < len(row) else ""))
            if k == 2 and out[-1] < 0:
                raise ValueError(f"{path}, line {line}: column {weight!r} has a negative weight "
                                 f"{out[-1]:g} (weights must be >= 0)")
    try:
        if weight is None:
            return as_dataset(values[0], values[1])
        if values[2] and not any(values[2]):
            raise ValueError(f"column {weight!r} is zero on every line (at least one weight must be > 0)")
        return as_dataset(values[0], values[1], sample_weight=values[2])
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
