"""``read_csv`` on generated and hostile files (issue 13, item 7).

The contract: a file either becomes a :class:`Dataset` holding *every* non-blank
data line (never a dropped or swallowed row), or ``read_csv`` raises a one-line
``ValueError`` naming the file (and, for a bad line, its line number, the
header being line 1). No other exception, ever.
"""

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lassobook.core.data import read_csv

BOM = b"\xef\xbb\xbf"
BAD_TOKENS = ["nan", "NaN", "inf", "-inf", "Infinity", "", "   ", "1e999", "abc", '"', '"1', '1"x',
              '"1"x', '"1""', "\x00", "1,5", '"1,5"', "0x10"]


def _read(path: Path, **kwargs):
    """``read_csv`` or its ValueError, which must be one line naming the file."""
    try:
        return read_csv(path, "x", "y", **kwargs)
    except ValueError as exc:
        message = str(exc)
        assert len(message.splitlines()) == 1, message
        assert str(path) in message
        return exc


def _rows(data) -> int:
    """Rows the caller gave (before repeated x are merged)."""
    return getattr(data, "n_rows", data.n)


def _data_lines(raw: bytes) -> int:
    """Non-blank lines after the header, counted on the text itself (not with the csv module).

    A line is blank if nothing but quotes, commas and whitespace is on it: it
    holds only empty cells. Numeric files have no multi-line fields, so every
    other line is one record.
    """
    lines = io.StringIO(raw.decode("utf-8-sig"), newline="").readlines()
    filled = [ln for ln in lines if ln.replace('"', "").replace(",", "").strip()]
    return len(filled) - 1


@st.composite
def number_text(draw, value: float) -> str:
    """``value`` written as a spreadsheet might: plain, quoted, padded, exponent."""
    return draw(st.sampled_from([repr(value), f'"{value!r}"', f"  {value!r} ", f"{value:.6e}",
                                 f'" {value!r}"']))


@st.composite
def csv_files(draw):
    """(bytes, number of data rows or None if corrupted) for a 1-D numeric CSV file."""
    n = draw(st.integers(0, 8))
    xs = draw(st.lists(st.integers(-10**6, 10**6), min_size=n, max_size=n, unique=True))
    ys = draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    header = draw(st.sampled_from(["x,y", '"x","y"', "x,y,note", " x , y ", "y,x"]))
    cols = [c.strip(' "') for c in header.split(",")]
    lines = [header]
    for x, y in zip(xs, ys):
        cells = {"x": draw(number_text(float(x))), "y": draw(number_text(y)), "note": "a b"}
        lines.append(",".join(cells[c] for c in cols))
    for _ in range(draw(st.integers(0, 3))):     # blank lines anywhere after the header
        lines.insert(draw(st.integers(1, len(lines))), draw(st.sampled_from(["", "  ", ",", " , ", '""'])))
    corrupt = draw(st.lists(st.sampled_from(["token", "huge", "text", "bytes"]), max_size=2))
    for kind in corrupt:
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "token":
            lines[i] = lines[i].rsplit(",", 1)[0] + "," + draw(st.sampled_from(BAD_TOKENS))
        elif kind == "huge":
            field = "1" * draw(st.sampled_from([131_073, 200_000]))
            lines[i] = lines[i].rsplit(",", 1)[0] + "," + draw(st.sampled_from([field, f'"{field}"', f'"{field}']))
        elif kind == "text":
            j = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + draw(st.text(st.sampled_from('",\r\n x1.e-\t\u00a0'), max_size=4)) + lines[i][j:]
    ends = [draw(st.sampled_from(["\n", "\r\n", "\r"])) for _ in lines]
    if not draw(st.booleans()):
        ends[-1] = ""
    raw = (BOM if draw(st.booleans()) else b"") + "".join(a + b for a, b in zip(lines, ends)).encode()
    if "bytes" in corrupt:
        j = draw(st.integers(0, len(raw)))
        raw = raw[:j] + draw(st.binary(min_size=1, max_size=4)) + raw[j:]
    return raw, (None if corrupt else n), np.array(xs, dtype=float)


@given(csv_files())
def test_a_file_is_every_data_line_or_one_line_error(case):
    raw, n, xs = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(raw)
        got = _read(path)
    if n is not None and n >= 2:                  # an intact file with enough points is read whole
        assert not isinstance(got, Exception), got
        assert _rows(got) == n and np.array_equal(np.sort(got.x), np.sort(xs))
    elif not isinstance(got, Exception):          # a damaged file may still be valid: then every line
        assert _rows(got) == _data_lines(raw)


@given(st.binary(max_size=300))
def test_random_bytes_are_a_dataset_or_one_line_error(raw):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(b"x,y\n" + raw)
        got = _read(path)
    if not isinstance(got, Exception):
        assert _rows(got) == _data_lines(b"x,y\n" + raw)


# --------------------------------------------------------------------------- regressions (issue 13, item 7)
BASE = "x,y\n0,0\n2,0\n6,3\n7,3\n"


def _file(tmp_path, content) -> Path:
    path = tmp_path / "data.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def _error(tmp_path, content, **kwargs) -> str:
    got = _read(_file(tmp_path, content), **kwargs)
    assert isinstance(got, ValueError), f"expected an error, read {got!r}"
    return str(got)


@pytest.mark.parametrize("content", [BOM + BASE.encode(), BOM + BASE.replace("\n", "\r\n").encode()])
def test_excel_utf8_bom_is_accepted(tmp_path, content):
    data = read_csv(_file(tmp_path, content), "x", "y")
    assert data.n == 4 and np.array_equal(np.sort(data.x), [0, 2, 6, 7])


def test_unterminated_quote_in_a_small_file_is_an_error_not_two_rows(tmp_path):
    message = _error(tmp_path, 'x,y\n0,0\n2,"0\n6,3\n7,3\n')
    assert "line 3" in message and "quote" in message


def test_unterminated_quote_in_a_large_file_names_its_line(tmp_path):
    rows = [f"{k},{k % 7}" for k in range(60_000)]
    rows[3] = '3,"3'
    message = _error(tmp_path, "x,y\n" + "\n".join(rows) + "\n")
    assert "line 5" in message and "quote" in message


def test_quoted_field_running_over_lines_is_an_error(tmp_path):
    message = _error(tmp_path, 'x,y\n0,"0\n"\n2,0\n6,3\n')
    assert "line 2" in message and "line 3" in message


@pytest.mark.parametrize("size", [131_073, 200_000])
def test_field_over_the_csv_limit_is_one_line(tmp_path, size):
    message = _error(tmp_path, f"x,y\n0,0\n2,{'1' * size}\n6,3\n")
    assert "line 3" in message and "longer than" in message


def test_malformed_quoting_is_one_line(tmp_path):
    assert "line 3" in _error(tmp_path, 'x,y\n0,0\n2,"0"x\n6,3\n')


@pytest.mark.parametrize("cell, what", [("nan", "'nan'"), ("inf", "'inf'"), ("-Infinity", "'-Infinity'"),
                                        ("1e999", "'1e999'"), ("", "is empty")])
def test_non_finite_values_are_reported_by_file_line(tmp_path, cell, what):
    message = _error(tmp_path, f"x,y\n0,0\n\n2,{cell}\n6,3\n")   # line 3 is blank: the bad one is line 4
    assert "line 4" in message and "column 'y'" in message and what in message


def test_undecodable_bytes_name_the_line(tmp_path):
    message = _error(tmp_path, b"x,y\r\n0,0\r\n2,\xff\r\n")
    assert "line 3" in message and "0xff" in message and "UTF-8" in message


def test_header_with_control_characters_stays_one_line(tmp_path):
    message = _error(tmp_path, "a\x0bb,c\x1cd\n0,0\n1,1\n")
    assert "no column 'x'" in message


def test_blank_lines_and_empty_rows_are_skipped(tmp_path):
    data = read_csv(_file(tmp_path, "\nx,y\n\n0,0\n,\n2,0\n  \n6,3\n"), "x", "y")
    assert data.n == 3


def test_weights_column(tmp_path):
    data = read_csv(_file(tmp_path, "x,y,w\n0,0,1\n2,0,2\n6,3,0.5\n7,3,1\n"), "x", "y", weight="w")
    order = np.argsort(data.x)
    assert np.array_equal(data.w[order], [1, 2, 0.5, 1])


@pytest.mark.parametrize("cells, message", [
    (("1", "-2", "1"), "line 3: column 'w' has a negative weight -2"),
    (("1", "nan", "1"), "line 3: column 'w' is 'nan'"),
    (("1", "", "1"), "line 3: column 'w' is empty"),
    (("0", "0", "0"), "column 'w' is zero on every line"),
])
def test_bad_weights_are_named_by_line(tmp_path, cells, message):
    text = "x,y,w\n" + "".join(f"{x},{x % 3},{w}\n" for x, w in zip((0, 2, 6), cells))
    assert message in _error(tmp_path, text, weight="w")


def test_repeated_x_is_not_an_error(tmp_path):
    data = read_csv(_file(tmp_path, "x,y\n0,0\n2,0\n2,1\n6,3\n"), "x", "y")
    assert _rows(data) == 4


# --------------------------------------------------------------------------- the fast path (issue 16)
from lassobook.core.data import _read_csv_exact, _read_csv_fast  # noqa: E402


def _same(a, b) -> bool:
    """Two Datasets with the same numbers, bit for bit."""
    return (all(np.array_equal(getattr(a, k).view(np.int64) if getattr(a, k).dtype == float else getattr(a, k),
                               getattr(b, k).view(np.int64) if getattr(b, k).dtype == float else getattr(b, k))
                for k in ("x", "y", "w", "order"))
            and a.offset == b.offset and a.n_rows == b.n_rows)


def _both(raw: bytes, names):
    """(fast path's Dataset or None, the exact reader's Dataset or ValueError) on a file holding ``raw``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        path.write_bytes(raw)
        fast = _read_csv_fast(path, names)
        try:
            exact = _read_csv_exact(path, names)
        except ValueError as exc:
            exact = exc
    return fast, exact


@st.composite
def plain_files(draw):
    """Numeric CSV files the fast path takes: numbers as repr, %.17g, %.6e or integers."""
    n = draw(st.integers(2, 12))
    floats = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
    fmt = draw(st.sampled_from([repr, lambda v: f"{v:.17g}", lambda v: f"{v:.6e}", lambda v: str(int(v))]))
    xs = draw(st.lists(floats, min_size=n, max_size=n, unique=True))
    cols = draw(st.sampled_from([("x", "y"), ("y", "x"), ("x", "y", "w"), ("w", "x", "y", "z")]))
    lines = [",".join(draw(st.sampled_from([c, f" {c} "])) for c in cols)]
    for x in xs:
        cells = {"x": fmt(x), "y": fmt(draw(floats)), "z": fmt(draw(floats)),
                 "w": fmt(draw(st.floats(0.5, 10)))}
        lines.append(",".join(cells[c] for c in cols))
    for _ in range(draw(st.integers(0, 2))):
        lines.insert(draw(st.integers(1, len(lines))), "")
    end = draw(st.sampled_from(["\n", "\r\n"]))
    raw = (BOM if draw(st.booleans()) else b"") + (end.join(lines) + draw(st.sampled_from(["", end]))).encode()
    return raw, ["x", "y", "w"] if "w" in cols and draw(st.booleans()) else ["x", "y"]


@given(plain_files())
def test_fast_path_reads_plain_files_exactly_as_the_csv_module(case):
    raw, names = case
    fast, exact = _both(raw, names)
    if isinstance(exact, ValueError):          # e.g. int() made repeated or too few distinct x
        assert fast is None
        return
    assert fast is not None and _same(fast, exact)


@given(csv_files())
def test_fast_path_never_disagrees_with_the_csv_module(case):
    raw, _, _ = case
    fast, exact = _both(raw, ["x", "y"])
    if fast is not None:                       # it took the file: the exact reader gives the same data
        assert not isinstance(exact, ValueError), exact
        assert _same(fast, exact)


@given(st.binary(max_size=200))
def test_fast_path_on_random_bytes(raw):
    fast, exact = _both(b"x,y\n" + raw, ["x", "y"])
    if fast is not None:
        assert not isinstance(exact, ValueError) and _same(fast, exact)


@pytest.mark.parametrize("text", ["x,y\n1,2\n3,-4\n5,1e999\n", "x,y\n1,2\n3,\n", "x,y\n1,2\n3,4\n,\n",
                                  "x,y,w\n1,2,1\n3,4,-1\n", "x,y,w\n1,2,0\n3,4,0\n", "x,y\n1,2\n1,3\n",
                                  "x,y\n1,2\r3,4\n", 'x,"y"\n1,2\n3,4\n', "x,x\n1,2\n3,4\n"])
def test_files_the_fast_path_leaves_to_the_exact_reader(tmp_path, text):
    names = ["x", "y", "w"] if text.startswith("x,y,w") else ["x", "y"]
    assert _read_csv_fast(_file(tmp_path, text), names) is None
