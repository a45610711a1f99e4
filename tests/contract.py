"""The contract every fit of the test suite is held to (registered by conftest.py).

For each :class:`~lassobook.solvers.lasso.LassoFit` that :func:`lassobook.fit` returns:

* the network rebuilt from the solution has the reported objective (relative
  1e-8, widened only by the float64 conditioning of inputs far from 0);
* a fit over the family's own dictionary is certified — dual feasibility over the
  continuous family and a relative duality gap within tolerance — or says that
  β is at the interpolation limit (families marked incomplete, the book's
  counterexamples, are exempt: their certificates are meant to fail);
* ``certified`` never sits beside a failed check.
"""

import lassobook.fitting as fitting

#: fits checked in this session (reported at the end by conftest)
CHECKED = {"fits": 0}


def check_fit(fit, *, given_dictionary: bool) -> None:
    cert = fit.certificate()
    CHECKED["fits"] += 1
    assert cert.network_ok, f"rebuilt network objective differs: {cert}"
    assert cert.certified == (cert.dual_ok and cert.gap_ok and cert.network_ok), cert
    if not given_dictionary and fit.family.complete:
        assert cert.certified or "interpolation limit" in cert.note, f"{fit!r}: {cert}"


def register() -> None:
    if check_fit not in fitting.CHECKS:
        fitting.CHECKS.append(check_fit)
