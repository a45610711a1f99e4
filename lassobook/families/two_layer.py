"""TODO docstring (families, structured)."""

from __future__ import annotations

import numpy as np
import torch

from lassobook.core.activations import HOMOGENEOUS, check_activation, numpy_activation
from lassobook.core.family import Family, breakpoint_candidates
from lassobook.core.oracle import StructuredOracle, _peaks, _top
from lassobook.solvers.gram import PWLForm


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
        check_activation(activation, rho if activation == "leaky_relu" else None)
        self.activation = activation
        self.rho = float(rho)
        self._sigma = numpy_activation(activation, self.rho)

    @property
    def orientations(self) -> tuple[int, ...]:
        """Orientations in the paper's dictionary (the paper's two-layer dictionaries)."""
        return (1, -1) if self.activation in ("relu", "leaky_relu") else (1,)

    @property
    def homogeneous(self) -> bool:
        return self.activation in HOMOGENEOUS

    @property
    def degree(self) -> int:
        """1 for ReLU, leaky ReLU and absolute value units; 0 for sign and threshold."""
        return 1 if self.homogeneous else 0

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
        orient = (1.0,) if self.activation == "abs" else (1.0, -1.0)
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
        c = np.asarray(coefficients, dtype=np.float64)
        a = np.asarray(params["breakpoint"], dtype=np.float64)
        o = np.asarray(params["orientation"], dtype=np.float64)
        if c.size == 0:  # the constant network: one unit with zero weights
            c, a, o = np.zeros(1), np.zeros(1), np.ones(1)
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
        extra = f", rho={self.rho}" if self.activation == "leaky_relu" else ""
        return f"TwoLayer({self.activation!r}{extra})"

    def oracle(self, data):
        """The exact dual oracle (:class:`TwoLayerOracle`)."""
        return TwoLayerOracle(self, data)


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
        act = self.family.activation
        if act in ("threshold", "sign"):
            tail = sums.RQ[j]                          # Σ_{n ≥ j} λ_n
            return tail if act == "threshold" else 2 * tail - sums.total
        right, left = sums.F_at(j), sums.L_at(j)
        if act == "abs":
            return right + left
        relu = np.where(o > 0, right, left)
        if act == "relu":
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
        """All ``2N`` (or ``N``) correlations in key order, from contiguous slices (no gathers);
        kept for the last ``sums`` (``maximum`` and ``search`` ask for the same vector)."""
        cached = getattr(self, "_every_cache", None)
        if cached is not None and cached[0] is sums:
            return cached[1]
        n, act = self.data.n, self.family.activation
        if act in ("threshold", "sign"):
            tail = sums.RQ[:n]
            out = tail if act == "threshold" else 2 * tail - sums.total
        else:
            right = sums.SQ[1:n + 1] - sums.x * sums.RQ[1:n + 1]
            left = sums.x * sums.RP[:n] - sums.SP[:n]
            if act == "abs":
                out = right + left
            else:
                parts = [right if o > 0 else left for o in self.orients]
                if act == "leaky_relu":
                    rho = self.family.rho
                    linear = sums.total_x - sums.x * sums.total
                    parts = [rho * o * linear + (1 - rho) * p for o, p in zip(self.orients, parts)]
                out = np.concatenate(parts)
        self._every_cache = (sums, out)
        return out

    def maximum(self, sums):
        return float(np.abs(self._every(sums)).max())

    @property
    def _all(self):
        if getattr(self, "_all_keys", None) is None:
            self._all_keys = self.all_keys()
        return self._all_keys

    def search(self, sums, k):
        """All ``2N`` (or ``N``) correlations; candidates: the top ``k`` local maxima along ``j``."""
        keys = self._all
        corr = self._every(sums)
        n = self.data.n
        peaks = np.concatenate([o * n + _peaks(corr[o * n:(o + 1) * n])
                                for o in range(self.orients.size)])
        idx = peaks[_top(corr[peaks], k)]
        return float(np.abs(corr).max()), keys[idx], corr[idx]

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
        k, act = a.size, self.family.activation
        zero, one = np.zeros(k), np.ones(k)
        if act in ("threshold", "sign"):
            alpha = zero if act == "threshold" else -one
            return PWLForm(alpha, zero, np.zeros((k, 0)), np.zeros((k, 0)), a[:, None],
                           (one if act == "threshold" else 2 * one)[:, None])
        if act == "abs":
            return PWLForm(a.copy(), -one, a[:, None], 2 * one[:, None], np.zeros((k, 0)), np.zeros((k, 0)))
        flip = o < 0                                     # relu(o(x − a)) for o = ±1
        alpha, beta, c = np.where(flip, a, 0.0), np.where(flip, -1.0, 0.0), one
        if act == "leaky_relu":
            rho = self.family.rho
            alpha, beta, c = (1 - rho) * alpha - rho * o * a, (1 - rho) * beta + rho * o, (1 - rho) * c
        return PWLForm(alpha, beta, a[:, None], c[:, None], np.zeros((k, 0)), np.zeros((k, 0)))

    def labels(self, keys):

        p = self.params(keys)
        return [_two_layer_label(self.family.activation, o, a)
                for o, a in zip(p["orientation"], p["breakpoint"])]
