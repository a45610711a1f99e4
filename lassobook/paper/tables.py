"""How the book shows numbers: table formats by column meaning, and glued values.

:func:`format_table` formats a DataFrame's floats by what each column holds
(shares as percentages, gaps in scientific notation, optima to ten digits, …,
:data:`TABLE_FORMATS`); :func:`glue_numbers` glues values into the chapter's text
(``myst_nb.glue``), so that prose quotes computed numbers, never typed ones.
"""

from __future__ import annotations

import numpy as np

#: Number formats of :func:`format_table`, by a word in the column name (first match).
TABLE_FORMATS = (
    (("share", "within", "lower by", "excess", "chance", "found in", "decrease",
      "runs with"), "{:.1%}"),
    (("gap", "difference"), "{:.1e}"),
    (("time",), "{:.1f}"),
    (("ratio",), "{:.6f}"),
    (("optimum", "objective"), "{:.10f}"),
    (("coefficient",), "{:+.6f}"),
)


def format_table(df):
    """A DataFrame as the book shows it: floats formatted by what their column holds
    (percentages, relative gaps in scientific notation, ratios, optima to 10 digits;
    :data:`TABLE_FORMATS`), other floats to 6 significant digits, NaN blank."""
    from pandas.api.types import is_float_dtype

    formats = {}
    for col in df.columns:
        if not is_float_dtype(df[col].dtype):
            continue
        name = str(col).lower()
        formats[col] = next((f for words, f in TABLE_FORMATS
                             if any(w in name for w in words)), "{:.6g}")
    return df.style.format(formats, na_rep="")


def glue_numbers(values: dict) -> None:
    """``myst_nb.glue(name, value, display=False)`` for every item: numbers the
    page's prose quotes with ``{glue:text}`name```."""
    from myst_nb import glue

    for name, value in values.items():
        if isinstance(value, np.generic):  # "np.float64(0.1)" would not format in prose
            value = value.item()
        glue(name, value, display=False)
