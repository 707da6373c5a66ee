"""How a new thing spreads through a population: the Bass diffusion model (reading 2).

Frank Bass (1969, "A new product growth model for consumer durables", *Management Science* 15(5),
215-227) split the people who take up something new into two streams:

- **p**, the coefficient of *external* influence: each person who has not adopted yet adopts at rate p
  because of something from outside the population, such as advertising, the news, or a mandate from
  the top. This is the *broadcast* channel, the hierarchical route of reading 1.
- **q**, the coefficient of *internal* influence: each person who has not adopted yet also adopts at
  rate q times the share of people who already have, because they see it, hear about it or need it to
  work with them. This is the *word of mouth* channel, the viral route of reading 1.

So the share adopted, F(t), grows as

    dF/dt = (p + q F) (1 - F),    F(0) = 0,

which has the closed form

    F(t) = (1 - e^(-(p+q)t)) / (1 + (q/p) e^(-(p+q)t)).

With q = 0 (broadcast only) adoption is fastest on day one and slows down as fewer people are left.
With p = 0 (word of mouth only) nobody is first, so nothing ever happens: word of mouth needs a seed.
With both, adoption follows an S curve whose rate peaks at time ln(q/p) / (p + q) when q > p.

Pooling published applications of the model, Sultan, Farley & Lehmann (1990, "A meta-analysis of applications
of diffusion models", *Journal of Marketing Research* 27(1), 70-77) found average values of about
p = 0.03 and q = 0.38 per year: word of mouth usually does most of the work.

Functions
    :func:`bass_cumulative` (F), :func:`bass_adoption_rate` (f = dF/dt), :func:`bass_peak` and
    :func:`fit_bass`, which estimates p, q and the market size m from counts of adopters per period.

Everything here uses numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from syslead.models.arguments import number

__all__ = [
    "META_ANALYSIS_P",
    "META_ANALYSIS_Q",
    "BassFit",
    "Peak",
    "bass_adoption_rate",
    "bass_cumulative",
    "bass_peak",
    "fit_bass",
]

#: Average coefficient of external influence in a meta-analysis (Sultan, Farley & Lehmann 1990).
META_ANALYSIS_P = 0.03
#: Average coefficient of internal influence in a meta-analysis (Sultan, Farley & Lehmann 1990).
META_ANALYSIS_Q = 0.38


# --------------------------------------------------------------------------------------------------
# Checking arguments: one plain sentence for each mistake.


def _rate(name: str, value: object) -> float:
    """A coefficient p or q: a finite number, zero or more."""
    x = number(name, value, example="0.03")
    if x < 0:
        raise ValueError(f"{name} must be zero or more (a rate per period, such as 0.03); got {value!r}.")
    return x


def _times(t: object) -> np.ndarray:
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"t must be a number or a list of numbers (time since launch); got {t!r}.") from None
    if np.isnan(arr).any():
        raise ValueError("t must not contain missing values (NaN): give a time since launch for every point.")
    return arr


def _scalar_or_array(arr: np.ndarray, like: np.ndarray):
    return float(arr) if like.ndim == 0 else arr


# --------------------------------------------------------------------------------------------------
# The model


def _bass_terms(t, p, q):
    """The checked coefficients, the times as an array, the times from launch (t >= 0) and
    E = e^(-(p+q)t): what both closed forms start from."""
    p, q = _rate("p", p), _rate("q", q)
    t_arr = _times(t)
    tt = np.maximum(t_arr, 0.0)
    return p, q, t_arr, tt, np.exp(-(p + q) * tt)


def bass_cumulative(t, p, q):
    """The share of the population that has adopted by time ``t`` after launch, F(t), between 0 and 1.

    ``t`` may be one number or an array (the answer has the same shape); before launch (t < 0) the
    share is 0. ``p`` is the rate of adoption from outside (broadcast), ``q`` the rate from people who
    already adopted (word of mouth), both per unit of ``t``.

    >>> round(bass_cumulative(10, 0.03, 0.38), 3)
    0.813
    """
    p, q, t_arr, tt, decay = _bass_terms(t, p, q)
    if p == 0.0:  # nobody goes first, so nobody ever adopts
        out = np.zeros_like(tt)
    else:
        # the closed form written as p (1 - E) / (p + q E), with E = e^(-(p+q)t): exact for small (p+q)t
        out = p * -np.expm1(-(p + q) * tt) / (p + q * decay)
    return _scalar_or_array(out, t_arr)


def bass_adoption_rate(t, p, q):
    """The rate of adoption at time ``t``, f(t) = dF/dt: the share of the whole population adopting per
    unit of time. Multiply by the market size to get adopters per period.

    At launch f(0) = p (only broadcast works, since nobody has adopted yet); before launch it is 0.

    >>> round(bass_adoption_rate(0, 0.03, 0.38), 3)
    0.03
    """
    p, q, t_arr, tt, decay = _bass_terms(t, p, q)
    if p == 0.0:  # nobody goes first, so nobody ever adopts
        out = np.zeros_like(tt)
    else:
        out = p * (p + q) ** 2 * decay / (p + q * decay) ** 2
    out = np.where(t_arr < 0, 0.0, out)
    return _scalar_or_array(out, t_arr)


class Peak(NamedTuple):
    """When adoption is fastest: ``time`` after launch, the ``share`` adopted by then, and the ``rate``."""

    time: float
    share: float
    rate: float

    def __repr__(self) -> str:
        return f"Peak(time={self.time:.2f}, share={self.share:.3f}, rate={self.rate:.4g})"


def bass_peak(p, q) -> Peak:
    """When adoption is fastest: ``(time of peak, share adopted at peak, peak rate)``.

    When word of mouth is stronger than broadcast (q > p) the rate peaks at time ln(q/p) / (p + q),
    when (q - p) / (2q) of people have adopted, at a rate of (p + q)^2 / (4q). Otherwise (q <= p) the rate
    is highest at launch, (0, 0, p). With p = 0 nobody ever adopts, so the answer is (0, 0, 0).

    >>> round(bass_peak(0.03, 0.38).time, 2)
    6.19
    """
    p, q = _rate("p", p), _rate("q", q)
    if p == 0.0:
        return Peak(0.0, 0.0, 0.0)
    if q <= p:
        return Peak(0.0, 0.0, p)
    return Peak(math.log(q / p) / (p + q), (q - p) / (2 * q), (p + q) ** 2 / (4 * q))


# --------------------------------------------------------------------------------------------------
# Fitting the model to data


@dataclass(frozen=True, eq=False)
class BassFit:
    """The Bass model fitted to counts of adopters per period (made by :func:`fit_bass`).

    ``p`` and ``q`` are per unit of the periods you gave (per year, if you gave years); ``m`` is the
    market size, the number who would eventually adopt, in the units of the counts you gave; and
    ``r_squared`` is the share of the period-to-period variation in the counts that the fitted curve
    explains (1 is a perfect fit). ``start`` is when the model takes the launch to be: one period before
    the end of the first period.
    """

    p: float
    q: float
    m: float
    r_squared: float
    start: float
    periods: np.ndarray = field(repr=False)
    adopters: np.ndarray = field(repr=False)

    def cumulative(self, t):
        """Fitted number adopted by time ``t`` (in the units of the periods, e.g. a year)."""
        return self.m * bass_cumulative(np.asarray(t, dtype=float) - self.start, self.p, self.q)

    def rate(self, t):
        """Fitted number adopting per unit of time at time ``t``."""
        return self.m * bass_adoption_rate(np.asarray(t, dtype=float) - self.start, self.p, self.q)

    def per_period(self) -> np.ndarray:
        """Fitted number adopting in each of the periods you gave (to compare with ``adopters``)."""
        edges = np.concatenate([[self.start], self.periods])
        return np.diff(self.cumulative(edges))

    @property
    def peak(self) -> Peak:
        """The fitted peak, with its time in the units of the periods (e.g. a calendar year)."""
        pk = bass_peak(self.p, self.q)
        return Peak(self.start + pk.time, pk.share, pk.rate * self.m)

    def describe(self) -> str:
        """What the fit found, in one sentence for a reader who does not program."""
        return (
            f"The Bass model fitted to these counts: broadcast p = {self.p:.3f} and word of mouth q = {self.q:.2f} "
            f"a period (a year, if the periods are years); it expects m = {self.m:,.4g} adopters in all, in the "
            f"units of the counts; and it explains {100 * self.r_squared:.0f} % of the variation from one period "
            f"to the next (R² = {self.r_squared:.3f})."
        )

    def _repr_pretty_(self, printer, cycle) -> None:  # what a notebook shows for a fit: the sentence
        printer.text(self.describe())

    def __repr__(self) -> str:
        return (
            f"BassFit(p={self.p:.4f}, q={self.q:.3f}, m={self.m:,.4g}, r_squared={self.r_squared:.3f}): "
            f"broadcast p = {self.p:.3f} and word of mouth q = {self.q:.2f} per period; "
            f"market size m = {self.m:,.4g} (in the units of your counts)"
        )


def _check_series(periods, adopters) -> tuple[np.ndarray, np.ndarray]:
    try:
        t = np.asarray(periods, dtype=float).ravel()
        n = np.asarray(adopters, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError("periods and adopters must both be lists of numbers.") from None
    if t.size != n.size:
        raise ValueError(f"periods and adopters must be the same length; got {t.size} periods and {n.size} counts.")
    if t.size < 3:
        raise ValueError(f"Fitting p, q and m needs at least three periods of data; got {t.size}.")
    if not (np.isfinite(t).all() and np.isfinite(n).all()):
        raise ValueError("periods and adopters must not contain missing or infinite values.")
    if (n < 0).any():
        raise ValueError("adopters must be counts of zero or more in each period; one is negative.")
    if (np.diff(t) <= 0).any():
        raise ValueError("periods must increase from one to the next, such as 2007, 2008, 2009.")
    if n.sum() == 0:
        raise ValueError("adopters are all zero, so there is nothing to fit: at least one period needs adopters.")
    return t, n


def _increments(tau: np.ndarray, p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """F at each period end minus F at the previous one, for many (p, q) pairs at once.

    ``tau`` holds the period ends measured from launch; ``p`` and ``q`` are arrays of the same shape,
    and the result has that shape plus one axis for the periods."""
    s = (p + q)[..., None]
    decay = np.exp(-s * tau)
    big = p[..., None] * -np.expm1(-s * tau) / (p[..., None] + q[..., None] * decay)
    return np.diff(big, axis=-1, prepend=0.0)


def _profile(tau: np.ndarray, n: np.ndarray, p: np.ndarray, q: np.ndarray):
    """Best market size for each (p, q), and the sum of squared errors that leaves.

    For fixed p and q the counts are m times known increments, so the best m is a least-squares ratio."""
    g = _increments(tau, p, q)
    gg = (g * g).sum(axis=-1)
    m = np.where(gg > 0, (g * n).sum(axis=-1) / np.where(gg > 0, gg, 1.0), 0.0)
    sse = ((n - m[..., None] * g) ** 2).sum(axis=-1)
    return m, sse


def _nelder_mead(fun, x0: np.ndarray, step: float = 0.3, iterations: int = 400, tol: float = 1e-12):
    """Minimise ``fun`` over two numbers by the Nelder-Mead simplex (numpy only)."""
    simplex = np.array([x0, x0 + [step, 0.0], x0 + [0.0, step]])
    values = np.array([fun(x) for x in simplex])
    for _ in range(iterations):
        order = np.argsort(values)
        simplex, values = simplex[order], values[order]
        if abs(values[-1] - values[0]) <= tol * (abs(values[0]) + tol) and np.ptp(simplex, axis=0).max() < 1e-9:
            break
        centre = simplex[:-1].mean(axis=0)
        reflected = centre + (centre - simplex[-1])
        fr = fun(reflected)
        if fr < values[0]:
            expanded = centre + 2 * (centre - simplex[-1])
            fe = fun(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            inside = fr >= values[-1]
            contracted = centre + 0.5 * ((simplex[-1] if inside else reflected) - centre)
            fc = fun(contracted)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = contracted, fc
            else:  # shrink towards the best point
                simplex[1:] = simplex[0] + 0.5 * (simplex[1:] - simplex[0])
                values[1:] = [fun(x) for x in simplex[1:]]
    best = int(np.argmin(values))
    return simplex[best]


def fit_bass(periods, adopters) -> BassFit:
    """Fit the Bass model to counts of adopters per period; return a :class:`BassFit` with ``p``, ``q``,
    ``m`` (market size) and ``r_squared``.

    ``periods`` are the ends of the periods, increasing (for example fiscal years 2007 to 2018), and
    ``adopters[i]`` is how many adopted during period i. The model takes the launch to be one period
    before the end of the first period, and chooses p, q and m so that m times the modelled share
    adopting in each period is as close as possible to the counts (least squares, as in Srinivasan &
    Mason 1986, "Nonlinear least squares estimation of new product diffusion models", *Marketing
    Science* 5(2)). A coarse search over p and q is polished by the Nelder-Mead method; for each p and q
    the best m has a formula.

    >>> fit = fit_bass([1, 2, 3, 4, 5, 6], [30, 40, 52, 63, 72, 77])
    >>> fit.q > fit.p
    True
    """
    t, n = _check_series(periods, adopters)
    start = t[0] - (t[1] - t[0])
    unit = float(np.median(np.diff(t)))  # fit in "per typical period" units, so the search ranges suit any unit
    tau = (t - start) / unit

    # 1. coarse search over a grid of p and q (log scale), with the best m for each
    log_p = np.linspace(math.log(1e-6), math.log(2.0), 70)
    log_q = np.linspace(math.log(1e-4), math.log(5.0), 70)
    lp, lq = np.meshgrid(log_p, log_q, indexing="ij")
    _, sse = _profile(tau, n, np.exp(lp), np.exp(lq))
    i, j = np.unravel_index(int(np.argmin(sse)), sse.shape)

    # 2. polish with Nelder-Mead on (log p, log q)
    def objective(x: np.ndarray) -> float:
        x = np.clip(x, -30.0, 3.0)
        _, s = _profile(tau, n, np.exp(x[:1]), np.exp(x[1:]))
        return float(s[0])

    best = _nelder_mead(objective, np.array([lp[i, j], lq[i, j]]))
    best = np.clip(best, -30.0, 3.0)
    p_unit, q_unit = float(np.exp(best[0])), float(np.exp(best[1]))
    m_arr, sse_arr = _profile(tau, n, np.array([p_unit]), np.array([q_unit]))
    m, sse_best = float(m_arr[0]), float(sse_arr[0])
    sst = float(((n - n.mean()) ** 2).sum())
    r2 = 1.0 - sse_best / sst if sst > 0 else (1.0 if sse_best == 0 else 0.0)
    return BassFit(
        p=p_unit / unit,
        q=q_unit / unit,
        m=m,
        r_squared=r2,
        start=float(start),
        periods=t,
        adopters=n,
    )
