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

:class:`_WorkingSet` keeps the working set of
:func:`~lassobook.solvers.working_set.fit_structured` — keys, centred Gram matrix,
``b`` — and grows it by these formulas (for large ``N``; small problems keep their
columns).  Its residual ``λ = w ⊙ (y_c − A_c z)`` is one sweep over the data
(:func:`pwl_residual`): a ramp adds its coefficient to the running slope from the
first point past its kink.  The compiled sweeps at the end (:func:`ramp_sums`,
:func:`ramp_partners`, :func:`peak_indices`, :func:`suffix_moments`) are the
per-iteration ``O(N)`` work of the two-layer and deep narrow oracles: one pass
each, no temporaries of size ``N``, so an iteration costs a few passes over the
data whatever the working set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lassobook.core.compiled import njit_cached


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
        w = np.ascontiguousarray(w_sorted, dtype=np.float64)
        y = np.ascontiguousarray(y_sorted, dtype=np.float64)
        # suffix sums: S[:, m] = Σ_{n ≥ m}; one extra zero column for "nothing to the right"
        self.S = np.empty((5, x.size + 1))
        suffix_moments(self.x, w, y, self.S)
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
        """``Σ w 1[x ≥ s] 1[x ≥ s']`` is the tail from ``max(s, s')``, whose index is the larger of the
        two steps' own indices (``searchsorted`` is monotone): ``k_A + k_B`` binary searches, then
        one compiled pass over the ``k_A × k_B`` pairs (:func:`step_gram`)."""
        out = np.zeros((len(A), len(B)))
        if A.s.shape[1] and B.s.shape[1]:
            ia = np.searchsorted(self.x, A.s, side="left")
            ib = np.searchsorted(self.x, B.s, side="left")
            step_gram(ia, np.ascontiguousarray(A.d, dtype=np.float64), ib,
                      np.ascontiguousarray(B.d, dtype=np.float64), self.S[0], out)
        return out

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
        coef = (z[:, None] * f.c).ravel()
        steps = (z[:, None] * f.d).ravel()
        pos = np.concatenate([np.searchsorted(self.x, f.t.ravel(), side="right"),
                              np.searchsorted(self.x, f.s.ravel(), side="left")])
        dslope = np.concatenate([coef, np.zeros(steps.size)])
        dlevel = np.concatenate([-coef * f.t.ravel(), steps])
        order = np.argsort(pos, kind="stable")
        out = np.empty(self.x.size)
        pwl_sweep(self.x, pos[order].astype(np.int64), dslope[order], dlevel[order],
                  float(z @ f.alpha), float(z @ f.beta), out)
        return out

    def residual(self, form: PWLForm, z, offset: float, y, w) -> tuple[np.ndarray, float]:
        """``λ = w ⊙ (y − Σ_k z_k g_k + offset)`` at every sorted point and ``½ Σ w (y − ...)²``: one sweep."""
        z = np.asarray(z, dtype=np.float64)
        f = self.shift(form)
        coef = (z[:, None] * f.c).ravel()
        steps = (z[:, None] * f.d).ravel()
        pos = np.concatenate([np.searchsorted(self.x, f.t.ravel(), side="right"),
                              np.searchsorted(self.x, f.s.ravel(), side="left")])
        order = np.argsort(pos, kind="stable")
        dslope = np.concatenate([coef, np.zeros(steps.size)])[order]
        dlevel = np.concatenate([-coef * f.t.ravel(), steps])[order]
        lam = np.empty(self.x.size)
        half = pwl_residual(self.x, pos[order].astype(np.int64), dslope, dlevel, float(z @ f.alpha) - offset,
                            float(z @ f.beta), np.ascontiguousarray(y), np.ascontiguousarray(w), lam)
        return lam, half

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


# ============================================================================ the working set
def _row_ids(keys: np.ndarray) -> list:
    """One hashable id (the bytes) per key row."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    return keys.view(np.dtype((np.void, 8 * keys.shape[1]))).ravel().tolist()


class _WorkingSet:
    """The working set of :func:`~lassobook.solvers.working_set.fit_structured`: keys, centred Gram, ``A_cᵀy_c``.

    While the working set has at most ``cache`` matrix entries (``N·|W|``) its
    columns on the sorted data are kept (:attr:`raw`); beyond that they are never
    stored all at once but re-evaluated from their keys in chunks of ``chunk``
    columns when needed (default: ``chunk_entries/N`` of them, ``O(chunk_entries)`` memory).
    """

    def __init__(self, oracle, yc, w=None, chunk=None, cache=4_000_000, chunk_entries=4_000_000):
        self.oracle, self.yc, self.cache = oracle, yc, int(cache)
        self.w = np.ones(yc.size) if w is None else np.asarray(w, dtype=np.float64)
        self.wyc = self.w * yc
        # Large data and columns with a piecewise-linear form: Gram entries from prefix sums, no
        # column stored.  Small data keep the evaluated columns (cached): their Gram is formed
        # from the very numbers the certificate sees, which tiny-β problems need.
        use_forms = hasattr(oracle, "form") and yc.size * 64 > self.cache
        self.pg = PrefixGram(oracle.xs, self.w, yc) if use_forms else None
        self.chunk = int(chunk) if chunk is not None else max(1, int(chunk_entries) // max(1, yc.size))
        self.keys = np.empty((0, oracle.key_width), dtype=np.int64)
        self.means = np.empty(0)
        self._mem = np.empty(0)          # G's storage: its first k² numbers, rows of length k
        self.b = np.empty(0)
        self.raw = np.empty((yc.size, 0)) if self.pg is None else None
        self.members: set = set()

    def __len__(self):
        return self.keys.shape[0]

    @property
    def G(self) -> np.ndarray:
        """The centred Gram matrix of the working set (C-contiguous, a view of its storage)."""
        k = self.b.size
        return self._mem[:k * k].reshape(k, k)

    def release_gram(self) -> None:
        """Free the Gram matrix (and ``b``) once the solve is over; keys, means and columns stay."""
        self._mem, self.b = np.empty(0), np.empty(0)

    def _set_gram(self, G) -> None:
        k = G.shape[0]
        self._mem = np.empty(k * k + k * k // 4)
        self._mem[:k * k] = G.ravel()

    def _extend_gram(self, cross, Gnn) -> None:
        """``G ← [[G, cross], [crossᵀ, Gnn]]`` in place: the old rows move to their new length
        (:func:`regrid`), new storage only when it is full (25% room), never a second copy of
        ``G`` besides that.  Call before ``b`` grows."""
        k0, kn = cross.shape
        k1 = k0 + kn
        if k1 * k1 > self._mem.size:
            mem = np.empty(k1 * k1 + k1 * k1 // 4)
            mem[:k0 * k0] = self._mem[:k0 * k0]
            self._mem = mem
        regrid(self._mem, k0, k1)
        G = self._mem[:k1 * k1].reshape(k1, k1)
        G[:k0, k0:] = cross
        G[k0:, :k0] = cross.T
        G[k0:, k0:] = Gnn

    def centred(self, idx) -> np.ndarray:
        if self.raw is not None:
            return self.raw[:, idx] - self.means[idx]
        cols = self.oracle.matrix(self.keys[idx])
        cols -= self.means[idx]
        return cols

    def add(self, new_keys, *, distinct: bool = False) -> int:
        """Add the columns ``new_keys`` not in the working set yet and not constant on the data.

        ``distinct=True`` promises that the rows of ``new_keys`` are distinct (e.g.
        :meth:`StructuredOracle.all_keys`), which skips looking for repeats among them.
        Returns the number of columns added.
        """
        new = np.atleast_2d(np.asarray(new_keys, dtype=np.int64))
        ids = _row_ids(new)
        if self.members or not distinct:
            fresh = {}
            for r, i in enumerate(ids):
                if i not in self.members and i not in fresh:
                    fresh[i] = r
            if not fresh:
                return 0
            if len(fresh) < len(ids):
                new = new[list(fresh.values())]
                ids = list(fresh)
        if self.pg is None and hasattr(self.oracle, "form") and len(self) and (
                self.yc.size * (len(self) + new.shape[0]) > self.cache):
            self._to_forms()          # the columns outgrow the cache: re-evaluating them costs N·|W|
        if self.pg is not None:
            return self._add_forms(new, ids)
        raw = self.oracle.matrix(new)
        mu = (self.w @ raw) / self.w.sum()               # weighted means: the bias is eliminated
        cols = raw - mu
        spread = np.abs(cols).max(axis=0, initial=0.0)
        useful = spread > 1e-12 * float(spread.max(initial=0.0))   # not constant on the data (relative)
        if not useful.all():
            new, raw, cols, mu = new[useful], raw[:, useful], cols[:, useful], mu[useful]
            ids = [i for i, u in zip(ids, useful.tolist()) if u]
        if new.shape[0] == 0:
            return 0
        k0 = len(self)
        if k0 == 0:
            wcols = cols * self.w[:, None]
            self._set_gram(cols.T @ wcols)
            self.b, self.keys, self.means = cols.T @ self.wyc, new, mu
            if self.raw is not None:
                self.raw = raw if raw.size <= self.cache else None
            self.members.update(ids)
            return new.shape[0]
        wcols = cols * self.w[:, None]
        if self.raw is not None:
            cross = (self.raw - self.means).T @ wcols
        else:
            cross = np.empty((k0, new.shape[0]))
            for start in range(0, k0, self.chunk):
                idx = np.arange(start, min(k0, start + self.chunk))
                cross[idx] = self.centred(idx).T @ wcols
        k1 = k0 + new.shape[0]
        self._extend_gram(cross, cols.T @ wcols)
        self.b = np.concatenate([self.b, cols.T @ self.wyc])
        self.keys = np.concatenate([self.keys, new])
        self.means = np.concatenate([self.means, mu])
        if self.raw is not None:
            self.raw = np.hstack([self.raw, raw]) if self.yc.size * k1 <= self.cache else None
        self.members.update(ids)
        return new.shape[0]

    def _to_forms(self) -> None:
        """Gram matrix, means and ``b`` of the working set from prefix sums from now on (no columns kept)."""
        self.pg = PrefixGram(self.oracle.xs, self.w, self.yc)
        G, self.means, self.b = self.pg.centred(self.oracle.form(self.keys))
        self._set_gram(G)
        self.raw = None

    def _add_forms(self, new, ids) -> int:
        """:meth:`add` for oracles with piecewise-linear forms: ``O(log N)`` per Gram entry."""
        form = self.oracle.form(new)
        Gnn, mu, bn = self.pg.centred(form)
        rms = np.sqrt(np.maximum(np.diag(Gnn), 0.0) / self.pg.total_w)
        useful = np.flatnonzero(rms > 1e-12 * rms.max(initial=0.0))   # not constant on the data
        if useful.size == 0:
            return 0
        if useful.size < rms.size:
            new, ids = new[useful], [ids[i] for i in useful]
            form = PWLForm(*(np.asarray(v)[useful] for v in vars(form).values()))
            Gnn, mu, bn = Gnn[np.ix_(useful, useful)], mu[useful], bn[useful]
        k0 = len(self)
        if k0 == 0:
            self._set_gram(Gnn)
            self.b, self.keys, self.means = bn, new, mu
        else:
            self._extend_gram(self.pg.centred(self.oracle.form(self.keys), form)[0], Gnn)
            self.b = np.concatenate([self.b, bn])
            self.keys = np.concatenate([self.keys, new])
            self.means = np.concatenate([self.means, mu])
        self.members.update(ids)
        return new.shape[0]

    def keep(self, mask) -> None:
        """Drop the columns where ``mask`` is False."""
        idx = np.flatnonzero(mask)
        self.members.difference_update(_row_ids(self.keys[~mask]))
        compact(self._mem, self.b.size, idx)      # G[idx][:, idx] in place
        self.keys, self.means, self.b = self.keys[idx], self.means[idx], self.b[idx]
        if self.raw is not None:
            self.raw = self.raw[:, idx]

    def residual(self, z) -> tuple[np.ndarray, float]:
        """``λ = w ⊙ (y_c − A_c z)`` (sorted order) and ``½ Σ λ²/w``: one sweep for piecewise-linear forms."""
        if self.pg is not None:
            S = np.flatnonzero(z)
            return self.pg.residual(self.oracle.form(self.keys[S]), z[S], float(self.means[S] @ z[S]),
                                    self.yc, self.w)
        lam = self.w * (self.yc - self.fitted(z))
        return lam, float(0.5 * lam @ (lam / self.w))

    def fitted(self, z) -> np.ndarray:
        """``A_c z`` (sorted order), from the support of ``z`` only."""
        S = np.flatnonzero(z)
        if self.pg is not None:          # one sweep over the data (lassobook.solvers.gram)
            return self.pg.combination(self.oracle.form(self.keys[S]), z[S]) - float(self.means[S] @ z[S])
        if self.raw is not None:
            return self.centred(S) @ z[S]
        out = np.zeros(self.yc.size)
        for start in range(0, S.size, self.chunk):
            idx = S[start:start + self.chunk]
            out += self.centred(idx) @ z[idx]
        return out


# ============================================================================ compiled sweeps
# One pass over the sorted data each, no temporaries of size N: the structured oracles'
# per-iteration work (lassobook.families.two_layer, lassobook.families.deep_narrow).  The sums
# are accumulated in the order of numpy's cumulative sums (from the right for suffix sums), so
# the values are those of ResidualSums (lassobook.core.oracle) bit for bit.
@njit_cached
def ramp_sums(x, lam, right, left):
    """``right[j] = Σ_{n>j} λ_n (x_n − x_j)`` and ``left[j] = Σ_{n<j} λ_n (x_j − x_n)``; returns ``(Σλ, Σλx)``.

    ``x`` sorted (and shifted, see :class:`~lassobook.core.oracle.ResidualSums`): the
    correlations of the ReLU columns ``(x − x_j)_+`` and ``(x_j − x)_+`` with ``λ``.
    """
    n = x.size
    r = 0.0
    s = 0.0
    for j in range(n - 1, -1, -1):
        right[j] = s - x[j] * r
        r += lam[j]
        s += lam[j] * x[j]
    total, total_x = r, s
    r = 0.0
    s = 0.0
    for j in range(n):
        left[j] = x[j] * r - s
        r += lam[j]
        s += lam[j] * x[j]
    return total, total_x


@njit_cached
def ramp_partners(x, lam, F, corr, partner):
    """``F[i] = Σ_{n>i} λ_n (x_n − x_i)`` and, for every ``i < N − 1``, the partner ``j > i``
    maximizing ``|F_i − F_j|`` (``corr[i] = F_i − F_j``, ``partner[i] = j``); returns ``(max F, min F)``.

    One sweep from the right: the best partner of ``i`` is the argmax or the argmin of
    ``F`` over ``i + 1, …, N − 1`` (ties: the later point), whichever is farther from ``F_i``.
    """
    n = x.size
    r = 0.0
    s = 0.0
    hi = n - 1
    lo = n - 1
    for i in range(n - 1, -1, -1):
        F[i] = s - x[i] * r
        r += lam[i]
        s += lam[i] * x[i]
        if i < n - 1:
            m = i + 1
            if F[m] > F[hi]:
                hi = m
            if F[m] < F[lo]:
                lo = m
            j = lo if F[i] - F[lo] >= F[hi] - F[i] else hi
            partner[i] = j
            corr[i] = F[i] - F[j]
    fmax = F[0]
    fmin = F[0]
    for i in range(1, n):
        if F[i] > fmax:
            fmax = F[i]
        if F[i] < fmin:
            fmin = F[i]
    return fmax, fmin


@njit_cached
def peak_indices(values):
    """Indices of the local maxima of ``|values|`` (``≥`` both neighbours: plateaus give every point)."""
    n = values.size
    out = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        a = abs(values[i])
        if (i == 0 or a >= abs(values[i - 1])) and (i == n - 1 or a >= abs(values[i + 1])):
            out[k] = i
            k += 1
    return out[:k].copy()


@njit_cached
def pwl_sweep(x, pos, dslope, dlevel, alpha, beta, out):
    """``out[n] = α + (β + Σ_{pos_e ≤ n} dslope_e) x_n + Σ_{pos_e ≤ n} dlevel_e`` (``pos`` increasing)."""
    slope = 0.0
    level = 0.0
    e = 0
    for n in range(x.size):
        while e < pos.size and pos[e] <= n:
            slope += dslope[e]
            level += dlevel[e]
            e += 1
        out[n] = alpha + (beta + slope) * x[n] + level


@njit_cached
def suffix_moments(x, w, y, S):
    """``S[:, m] = Σ_{n ≥ m} (w, wx, wx², wy, wyx)_n`` (``S[:, N] = 0``), accumulated from the right."""
    n = x.size
    a0 = a1 = a2 = a3 = a4 = 0.0
    for q in range(5):
        S[q, n] = 0.0
    for m in range(n - 1, -1, -1):
        wx = w[m] * x[m]
        wy = w[m] * y[m]
        a0 += w[m]
        a1 += wx
        a2 += wx * x[m]
        a3 += wy
        a4 += wy * x[m]
        S[0, m] = a0
        S[1, m] = a1
        S[2, m] = a2
        S[3, m] = a3
        S[4, m] = a4


@njit_cached
def regrid(mem, k0, k1):
    """Rows of length ``k0`` at the start of ``mem`` moved to length ``k1 ≥ k0`` (in place, last row
    first: every target lies at or after its source)."""
    for i in range(k0 - 1, -1, -1):
        for j in range(k0 - 1, -1, -1):
            mem[i * k1 + j] = mem[i * k0 + j]


@njit_cached
def compact(mem, k, idx):
    """The ``k × k`` matrix at the start of ``mem`` replaced by its rows and columns ``idx``
    (increasing), rows of length ``len(idx)`` (in place, first row first: every target lies at or
    before its source)."""
    m = idx.size
    for a in range(m):
        for c in range(m):
            mem[a * m + c] = mem[idx[a] * k + idx[c]]


@njit_cached
def step_gram(ia, da, ib, db, tail, out):
    """``out[i, j] = Σ_p Σ_q da[i, p] db[j, q] tail[max(ia[i, p], ib[j, q])]``: the Gram block of two
    sets of step columns (``tail[m] = Σ_{n ≥ m} w_n``), without the ``k_A × k_B × q_A × q_B`` temporaries."""
    for i in range(ia.shape[0]):
        for j in range(ib.shape[0]):
            acc = 0.0
            for p in range(ia.shape[1]):
                a = ia[i, p]
                dp = da[i, p]
                if dp == 0.0:
                    continue
                for q in range(ib.shape[1]):
                    b = ib[j, q]
                    acc += dp * db[j, q] * tail[a if a > b else b]
            out[i, j] = acc


@njit_cached
def pwl_residual(x, pos, dslope, dlevel, alpha, beta, y, w, lam):
    """:func:`pwl_sweep`'s values ``f_n`` turned into ``λ_n = w_n (y_n − f_n)``; returns ``½ Σ w_n (y_n − f_n)²``."""
    slope = 0.0
    level = 0.0
    half = 0.0
    e = 0
    for n in range(x.size):
        while e < pos.size and pos[e] <= n:
            slope += dslope[e]
            level += dlevel[e]
            e += 1
        r = y[n] - (alpha + (beta + slope) * x[n] + level)
        lam[n] = w[n] * r
        half += w[n] * r * r
    return 0.5 * half
