r"""Two-layer networks: the paper's first theorem, its dictionary and its exact oracle.

A two-layer unit ``α σ(w x + b)`` with a positively homogeneous σ (ReLU, leaky
ReLU, absolute value) is ``α|w|·σ(o (x − a))`` with orientation ``o = sign(w)`` and
breakpoint ``a = −b/w``; by AM–GM ``(β/2)(w² + α²) ≥ β|α w|``, with equality for
balanced weights, so the unit is ``c·σ(o (x − a))`` at cost ``β|c|``.  (Sign and
threshold units are scale invariant in ``w``; an amplitude ``s`` carries the
scale instead, penalized as ``(β/2)(α² + s²)``.)  The dual correlation
``λᵀσ(o(X − a))`` is linear in ``a`` between data points, so it peaks at a data
point: the dictionary ``{σ(o (x − x_j))}`` with the orientations of
:attr:`TwoLayer.orientations` is complete.

:class:`TwoLayerOracle` evaluates all ``2N`` (or ``N``) correlations at once from
the residual's prefix sums (:class:`lassobook.core.oracle.ResidualSums`):
``F(x_j) = Σ_{n ≥ j} λ_n (x_n − x_j)`` for ``(x − x_j)_+``, ``L(x_j)`` for the
other side, and from them leaky ReLU ``ρ·(linear) + (1 − ρ)·(ReLU)``, absolute value
``F + L`` and steps ``off·Σλ + (on − off)·Σ_{n ≥ j} λ_n`` — all read off the
activation's record (:mod:`lassobook.core.activations`), not its name.
"""

from __future__ import annotations

import numpy as np
import torch

from lassobook.core.activations import activation as activation_record
from lassobook.core.activations import check_activation, numpy_activation, rho_for
from lassobook.core.family import Family, breakpoint_candidates
from lassobook.core.oracle import StructuredOracle, top_indices
from lassobook.solvers.gram import PWLForm, peak_indices, ramp_sums


class TwoLayer(Family):
    """Two-layer networks ``f(x) = Σ_k α_k σ(w_k x + b_k) + ξ`` (the paper's two-layer theorem).

    Homogeneous σ (ReLU, leaky ReLU, absolute value): penalty
    ``(β/2) Σ (w_k² + α_k²)``; unit shapes ``σ(o (x − a))`` with orientation
    ``o = ±1`` (only ``+1`` for the absolute value) and breakpoint ``a``.

    Sign and threshold: each unit has an amplitude ``s_k``,
    ``α_k s_k σ(w_k x + b_k)``, penalty ``(β/2) Σ (α_k² + s_k²)``; inner weights
    are scale-free and not penalized.  Unit shapes ``σ(o (x − a))``.

    Parameters
    ----------
    activation : {"relu", "leaky_relu", "abs", "threshold", "sign"}
    rho : float in (0, 1)
        Negative-side slope of the leaky ReLU (ignored otherwise).
    """

    depth = 2

    def __init__(self, activation: str, rho: float = 0.1):
        check_activation(activation, rho_for(activation, rho))
        self.activation = activation
        self.rho = float(rho)
        self._sigma = numpy_activation(activation, self.rho)

    @property
    def record(self):
        """The activation's facts (:class:`lassobook.core.activations.Activation`)."""
        return activation_record(self.activation)

    @property
    def orientations(self) -> tuple[int, ...]:
        """Orientations in the paper's dictionary: the activation's own
        (:attr:`lassobook.core.activations.Activation.orientations`)."""
        return self.record.orientations

    @property
    def homogeneous(self) -> bool:
        """σ(s·t) = s·σ(t) for s > 0 (ReLU, leaky ReLU, absolute value)."""
        return self.record.homogeneous

    @property
    def degree(self) -> int:
        """1 for ReLU, leaky ReLU and absolute value units; 0 for sign and threshold."""
        return self.record.degree

    def shape(self, x, breakpoint, orientation):
        return self._sigma(orientation * (x - breakpoint))

    def raw_dictionary(self, data):
        xs = data.x_sorted
        o = np.repeat(np.array(self.orientations, dtype=np.float64), xs.size)
        a = np.tile(xs, len(self.orientations))
        labels = [_two_layer_label(self.activation, oi, ai) for oi, ai in zip(o, a)]
        return {"breakpoint": a, "orientation": o}, labels

    def kinks(self, params):
        return np.array([float(params["breakpoint"])])

    def candidate_params(self, data, resolution=2000):
        a = breakpoint_candidates(data.x_sorted, resolution)
        orient = tuple(float(o) for o in self.record.orientations)
        return {
            "breakpoint": np.tile(a, len(orient)),
            "orientation": np.repeat(np.array(orient), a.size),
        }

    def network(self, width, n_models=1):
        from lassobook.core.networks import TwoLayerNet

        return TwoLayerNet(self.activation, width, n_models=n_models, rho=self.rho)

    def reconstruct(self, params, coefficients, xi):
        """One unit per coefficient ``c_k`` on shape ``σ(o_k (x − a_k))``.

        Homogeneous σ: ``w = o √|c|``, ``b = −w a``, ``α = sign(c) √|c|``, so that
        ``α σ(w x + b) = c σ(o (x − a))`` and ``(β/2)(w² + α²) = β |c|``.
        Sign/threshold: ``w = o``, ``b = −o a``, ``s = √|c|``, ``α = sign(c) √|c|``.
        """
        c, p = self.units(params, coefficients, ("breakpoint", "orientation"), {"orientation": 1.0})
        a, o = p["breakpoint"], p["orientation"]
        root = np.sqrt(np.abs(c))
        net = self.network(width=c.size)
        w = o * root if self.homogeneous else o
        with torch.no_grad():
            net.w.copy_(torch.as_tensor(w)[None])
            net.b.copy_(torch.as_tensor(-w * a)[None])
            net.alpha.copy_(torch.as_tensor(np.sign(c) * root)[None])
            net.xi.fill_(float(xi))
            if net.amplitude is not None:
                net.amplitude.copy_(torch.as_tensor(root)[None])
        return net

    @property
    def penalty_formula(self):
        if self.homogeneous:
            return r"\frac{\beta}{2}\sum_k (w_k^2 + \alpha_k^2)"
        return r"\frac{\beta}{2}\sum_k (\alpha_k^2 + s_k^2)"

    def __repr__(self):
        extra = f", rho={self.rho}" if self.record.needs_rho else ""
        return f"TwoLayer({self.activation!r}{extra})"

    def oracle(self, data):
        """The exact dual oracle (:class:`TwoLayerOracle`)."""
        return TwoLayerOracle(self, data)


def _step_correlation(levels, tail, total):
    """``λᵀσ`` of a step unit with (off, on) ``levels``: ``off·Σλ + (on − off)·Σ_{n≥j} λ_n``
    (exactly ``tail`` for the threshold, ``2·tail − Σλ`` for the sign)."""
    off, on = levels
    return tail if (off, on) == (0.0, 1.0) else (on - off) * tail + off * total


def _two_layer_label(activation: str, orientation: float, breakpoint: float) -> str:
    inner = f"x - {breakpoint:g}" if orientation > 0 else f"{breakpoint:g} - x"
    return f"{activation}({inner})"


class TwoLayerOracle(StructuredOracle):
    """Two-layer families: columns ``σ(o (x − x_j))``, keys ``(o_index, j)``.

    ``o_index`` indexes :attr:`TwoLayer.orientations` (``(1, −1)`` for ReLU and
    leaky ReLU, ``(1,)`` otherwise).  Correlations, with ``F, L`` of :class:`ResidualSums`:
    ReLU ``F(x_j)``, ``L(x_j)``; leaky ReLU ``ρ·(±(Σλx − x_j Σλ)) + (1 − ρ)·(ReLU)``;
    abs ``F + L``; threshold ``Σ_{n≥j} λ_n``; sign ``2Σ_{n≥j} λ_n − Σλ``.
    """

    key_width = 2

    def __init__(self, family, data):
        super().__init__(family, data)
        self.orients = np.array(family.orientations, dtype=np.float64)

    @property
    def n_columns(self):
        return int(self.orients.size * self.data.n)

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        o, j = self.orients[keys[:, 0]], keys[:, 1]
        rec = self.family.record
        if not rec.homogeneous:
            tail = sums.RQ[j]                          # Σ_{n ≥ j} λ_n
            return _step_correlation(rec.levels, tail, sums.total)
        right, left = sums.F_at(j), sums.L_at(j)
        if rec.even:
            return right + left
        relu = np.where(o > 0, right, left)
        if not rec.needs_rho:
            return relu
        rho = self.family.rho                           # leaky: ρ t + (1 − ρ) t_+
        linear = o * (sums.total_x - sums.x[j] * sums.total)
        return rho * linear + (1 - rho) * relu

    def all_keys(self):
        n = self.data.n
        return np.stack([np.repeat(np.arange(self.orients.size), n),
                         np.tile(np.arange(n), self.orients.size)], axis=1)

    fast_maximum = True

    def _every(self, sums) -> np.ndarray:
        """All ``2N`` (or ``N``) correlations in key order, from one compiled sweep each way
        (:func:`lassobook.solvers.gram.ramp_sums`); kept for the last ``sums`` (``maximum`` and
        ``search`` ask for the same vector)."""
        cached = getattr(self, "_every_cache", None)
        if cached is not None and cached[0] is sums:
            return cached[1]
        n, rec = self.data.n, self.family.record
        if not rec.homogeneous:
            tail = sums.RQ[:n]
            out = _step_correlation(rec.levels, tail, sums.total)
        else:
            out = np.empty(n * (2 if rec.even or rec.needs_rho else self.orients.size))
            right, left = out[:n], out[n:2 * n] if out.size > n else np.empty(n)
            sums.total, sums.total_x = ramp_sums(sums.x, sums.lam, right, left)
            if self.orients.size == 2 and self.orients[0] < 0:    # orientation order (-1, 1)
                out = np.concatenate([left, right])
            if rec.even:
                out = right + left
            elif rec.needs_rho:
                rho = self.family.rho
                linear = sums.total_x - sums.x * sums.total
                out = np.concatenate([rho * o * linear + (1 - rho) * (right if o > 0 else left)
                                      for o in self.orients])
        self._every_cache = (sums, out)
        return out

    def maximum(self, sums):
        return float(np.abs(self._every(sums)).max())

    def search(self, sums, k):
        """All ``2N`` (or ``N``) correlations; candidates: the top ``k`` local maxima along ``j``."""
        corr = self._every(sums)
        n = self.data.n
        peaks = np.concatenate([o * n + peak_indices(corr[o * n:(o + 1) * n])
                                for o in range(self.orients.size)])
        idx = peaks[top_indices(corr[peaks], k)]
        keys = np.stack([idx // n, idx % n], axis=1).astype(np.int64)
        return float(np.abs(corr).max()), keys, corr[idx]

    def params(self, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        return {"breakpoint": self.xs[keys[:, 1]].copy(), "orientation": self.orients[keys[:, 0]].copy()}

    def form(self, keys) -> PWLForm:
        """The columns as ``α + βx + c (x − a)_+ + d 1[x ≥ a]`` (:mod:`lassobook.solvers.gram`).

        ``(a − x)_+ = (x − a)_+ − (x − a)``; leaky ReLU ``ρu + (1 − ρ)u_+``; absolute value
        ``2(x − a)_+ − (x − a)``; threshold ``1[x ≥ a]``; sign ``2·1[x ≥ a] − 1``.
        """
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        o, a = self.orients[keys[:, 0]], self.xs[keys[:, 1]]
        k, rec = a.size, self.family.record
        zero, one = np.zeros(k), np.ones(k)
        if not rec.homogeneous:
            off, on = rec.levels
            return PWLForm(off * one, zero, np.zeros((k, 0)), np.zeros((k, 0)), a[:, None],
                           ((on - off) * one)[:, None])
        if rec.even:
            return PWLForm(a.copy(), -one, a[:, None], 2 * one[:, None], np.zeros((k, 0)), np.zeros((k, 0)))
        flip = o < 0                                     # relu(o(x − a)) for o = ±1
        alpha, beta, c = np.where(flip, a, 0.0), np.where(flip, -1.0, 0.0), one
        if rec.needs_rho:
            rho = self.family.rho
            alpha, beta, c = (1 - rho) * alpha - rho * o * a, (1 - rho) * beta + rho * o, (1 - rho) * c
        return PWLForm(alpha, beta, a[:, None], c[:, None], np.zeros((k, 0)), np.zeros((k, 0)))

    def labels(self, keys):

        p = self.params(keys)
        return [_two_layer_label(self.family.activation, o, a)
                for o, a in zip(p["orientation"], p["breakpoint"])]
