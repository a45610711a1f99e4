r"""Gram matrices of piecewise-linear columns from prefix sums: ``O(log N)`` per entry.

The working-set solver (:mod:`lassobook.solvers.working_set`) needs, for the columns
``g_k`` of its working set, the weighted, centred Gram matrix and right-hand side

.. math::

    G_{kl} = \sum_n w_n (g_k(x_n) - \bar g_k)(g_l(x_n) - \bar g_l), \qquad
    b_k = \sum_n w_n (g_k(x_n) - \bar g_k)(y_n - \bar y) .

Evaluating the columns on the data costs ``O(N)`` per column and ``O(N)`` per
entry.  But every column of the two-layer families is a *piecewise-linear form*

.. math:: g(x) = \alpha + \beta x + \sum_m c_m (x - t_m)_+ + \sum_q d_q\, \mathbb 1[x \ge s_q] ,

and inner products of such pieces are sums over a tail of the sorted data of
``w``, ``w x``, ``w x²`` (and ``w y``, ``w x y``): with suffix sums
``W_p(u) = Σ_{x_n > u} w_n x_n^p``,

.. math::

    \langle (x - t)_+, (x - s)_+ \rangle_w = W_2(u) - (t + s) W_1(u) + t s\, W_0(u), \quad u = \max(t, s),

and likewise for the constant, the linear term and the steps.  So an entry costs
a few binary searches, independent of ``N``: adding ``k`` columns to a working
set of ``K`` costs ``O((K + k) k log N)``, not ``O(N (K + k) k)``.

The data are shifted to the middle of their range before the sums are formed
(every formula is shift-invariant once ``t`` and ``s`` are shifted too), so the
sums of ``w x²`` do not lose digits to an offset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PWLForm:
    """``k`` columns ``α + βx + Σ_m c_m (x − t_m)_+ + Σ_q d_q 1[x ≥ s_q]`` (pad with ``c = 0``)."""

    alpha: np.ndarray          # (k,)
    beta: np.ndarray           # (k,)
    t: np.ndarray              # (k, m) ramp breakpoints
    c: np.ndarray              # (k, m) their coefficients
    s: np.ndarray              # (k, q) step positions
    d: np.ndarray              # (k, q) their coefficients

    def __len__(self) -> int:
        return self.alpha.size

    def evaluate(self, x) -> np.ndarray:
        """The columns at ``x`` (shape (n,)): shape (n, k) (a reference for tests)."""
        x = np.asarray(x, dtype=np.float64)[:, None, None]
        ramps = (self.c[None] * np.maximum(x - self.t[None], 0.0)).sum(axis=2)
        steps = (self.d[None] * (x >= self.s[None])).sum(axis=2)
        return self.alpha[None] + self.beta[None] * x[:, :, 0] + ramps + steps


class PrefixGram:
    """Suffix sums of ``w``, ``w x``, ``w x²``, ``w y``, ``w x y`` on the sorted (shifted) data.

    Parameters
    ----------
    x_sorted, w_sorted, y_sorted : ndarray of shape (n,)
        Sorted inputs, their weights and (centred) labels.
    """

    def __init__(self, x_sorted, w_sorted, y_sorted):
        x = np.asarray(x_sorted, dtype=np.float64)
        self.center = float(0.5 * (x[0] + x[-1]))
        self.x = x - self.center
        w = np.asarray(w_sorted, dtype=np.float64)
        y = np.asarray(y_sorted, dtype=np.float64)
        cols = np.stack([w, w * self.x, w * self.x * self.x, w * y, w * y * self.x])
        # suffix sums: S[:, m] = Σ_{n ≥ m}; one extra zero column for "nothing to the right"
        self.S = np.concatenate([np.cumsum(cols[:, ::-1], axis=1)[:, ::-1], np.zeros((5, 1))], axis=1)
        self.total_w = float(self.S[0, 0])

    def _tail(self, u, *, strict: bool) -> np.ndarray:
        """Suffix sums (5, *u.shape) over ``x > u`` (``strict``) or ``x ≥ u``."""
        idx = np.searchsorted(self.x, u, side="right" if strict else "left")
        return self.S[:, idx]

    def shift(self, form: PWLForm) -> PWLForm:
        """``form`` in the shifted coordinates ``x − center``."""
        return PWLForm(form.alpha + form.beta * self.center, form.beta, form.t - self.center, form.c,
                       form.s - self.center, form.d)

    def moments(self, form: PWLForm) -> tuple[np.ndarray, np.ndarray]:
        """``(Σ w g_k, Σ w y g_k)`` for every column of ``form`` (already shifted)."""
        S = self.S[:, 0]
        one = form.alpha * S[0] + form.beta * S[1]
        wy = form.alpha * S[3] + form.beta * S[4]
        R = self._tail(form.t, strict=True)                    # (5, k, m)
        one = one + (form.c * (R[1] - form.t * R[0])).sum(axis=1)
        wy = wy + (form.c * (R[4] - form.t * R[3])).sum(axis=1)
        V = self._tail(form.s, strict=False)
        one = one + (form.d * V[0]).sum(axis=1)
        wy = wy + (form.d * V[3]).sum(axis=1)
        return one, wy

    def inner(self, A: PWLForm, B: PWLForm) -> np.ndarray:
        """``Σ_n w_n g_i(x_n) h_j(x_n)`` for the columns of ``A`` and ``B`` (shifted): (len A, len B)."""
        S = self.S[:, 0]
        a0, a1, b0, b1 = A.alpha[:, None], A.beta[:, None], B.alpha[None], B.beta[None]
        out = a0 * b0 * S[0] + (a0 * b1 + a1 * b0) * S[1] + a1 * b1 * S[2]
        out += self._affine_ramps(a0, a1, B, transpose=False)
        out += self._affine_ramps(b0.T, b1.T, A, transpose=True)
        out += self._affine_steps(a0, a1, B, transpose=False)
        out += self._affine_steps(b0.T, b1.T, A, transpose=True)
        out += self._ramps_ramps(A, B) + self._steps_steps(A, B)
        out += self._ramps_steps(A, B) + self._ramps_steps(B, A).T
        return out

    def _affine_ramps(self, p0, p1, B, *, transpose):
        R = self._tail(B.t, strict=True)                       # (5, kb, m)
        with_one = (B.c * (R[1] - B.t * R[0])).sum(axis=1)     # Σ w (x − t)_+
        with_x = (B.c * (R[2] - B.t * R[1])).sum(axis=1)       # Σ w x (x − t)_+
        out = p0 * with_one[None] + p1 * with_x[None]
        return out.T if transpose else out

    def _affine_steps(self, p0, p1, B, *, transpose):
        V = self._tail(B.s, strict=False)
        out = p0 * (B.d * V[0]).sum(axis=1)[None] + p1 * (B.d * V[1]).sum(axis=1)[None]
        return out.T if transpose else out

    def _ramps_ramps(self, A, B):
        t = A.t[:, None, :, None]
        s = B.t[None, :, None, :]
        R = self._tail(np.maximum(t, s), strict=True)          # (5, ka, kb, ma, mb)
        prod = R[2] - (t + s) * R[1] + t * s * R[0]
        return (A.c[:, None, :, None] * B.c[None, :, None, :] * prod).sum(axis=(2, 3))

    def _steps_steps(self, A, B):
        V = self._tail(np.maximum(A.s[:, None, :, None], B.s[None, :, None, :]), strict=False)
        return (A.d[:, None, :, None] * B.d[None, :, None, :] * V[0]).sum(axis=(2, 3))

    def _ramps_steps(self, A, B):
        """``Σ w (x − t)_+ 1[x ≥ s]``: over ``x ≥ s`` if ``s > t``, else over ``x > t``."""
        t = A.t[:, None, :, None]
        s = B.s[None, :, None, :]
        over_s = self._tail(np.maximum(s, t), strict=False)
        over_t = self._tail(t, strict=True)
        value = np.where(s > t, over_s[1] - t * over_s[0], over_t[1] - t * over_t[0])
        return (A.c[:, None, :, None] * B.d[None, :, None, :] * value).sum(axis=(2, 3))

    def combination(self, form: PWLForm, z) -> np.ndarray:
        """``Σ_k z_k g_k(x_n)`` at every sorted data point, in ``O(N + K log N)`` (one sweep).

        A ramp ``(x − t)_+`` adds its coefficient to the slope and ``−coef·t`` to the
        intercept from the first point ``x_n > t`` on; a step adds ``d`` from ``x_n ≥ s`` on.
        """
        z = np.asarray(z, dtype=np.float64)
        f = self.shift(form)
        n = self.x.size
        slope = np.zeros(n + 1)
        level = np.zeros(n + 1)
        coef = (z[:, None] * f.c).ravel()
        at = np.searchsorted(self.x, f.t.ravel(), side="right")
        np.add.at(slope, at, coef)
        np.add.at(level, at, -coef * f.t.ravel())
        np.add.at(level, np.searchsorted(self.x, f.s.ravel(), side="left"), (z[:, None] * f.d).ravel())
        slope, level = np.cumsum(slope[:n]), np.cumsum(level[:n])
        return float(z @ f.alpha) + (float(z @ f.beta) + slope) * self.x + level

    def centred(self, A: PWLForm, B: PWLForm | None = None):
        """Centred Gram block, and for ``B is None`` also the means and ``b`` of ``A``.

        Returns ``(G_AB, mean_A, b_A)`` where ``G_AB = Σ w (g − ḡ)(h − h̄)``, ``mean_A = Σ w g / Σ w``
        and ``b_A = Σ w (g − ḡ) y`` (``y`` centred: ``Σ w y = 0``).
        """
        A = self.shift(A)
        one_a, wy_a = self.moments(A)
        mean_a = one_a / self.total_w
        if B is None:
            G = self.inner(A, A) - self.total_w * np.outer(mean_a, mean_a)
            return G, mean_a, wy_a - mean_a * self.S[3, 0]
        B = self.shift(B)
        one_b, _ = self.moments(B)
        G = self.inner(A, B) - self.total_w * np.outer(mean_a, one_b / self.total_w)
        return G, mean_a, wy_a - mean_a * self.S[3, 0]
