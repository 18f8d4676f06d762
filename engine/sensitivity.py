"""What drives the answer: sensitivity of a plan's figures and of the recommendation.

For a plan (the recommended one, or one the user names):

- **Tornado** (one at a time): every uncertain assumption the plan's figures depend on is held at its
  central value (``Param.mode_at``: the PERT mode, the median of a 90 % interval) and swung alone to its
  P10 and its P90; the first-year net (gross profit less cost) and the weeks to steady state are recomputed
  at each setting.
- **Sobol indices** (first-order and total) of the same two figures, with
  :func:`scipy.stats.sobol_indices` over the same assumptions' distributions.

Both evaluate the existing model (:mod:`engine.model`) on a :class:`Settings` object: a stand-in for
:class:`engine.model.Draws` whose "draws" are chosen values, so one vectorised pass computes every setting.

For the recommendation:

- the probability that each plan ranks first (the share of draws in which it scores best), and
- the smallest change to staff, the monthly budget or an objective weight that changes the recommended plan,
  re-ranked on a subsample of the same draws.

Pure: randomness comes in as a ``np.random.Generator``; nothing touches global state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from scipy import stats

from engine import levers, model
from engine.assumptions import AssumptionSet, Param
from engine.distributions import Z90
from engine.errors import InputError
from engine.fit import Fit, fit_arrays
from engine.heap import keep_heap
from engine.i18n import Lang
from engine.inputs import prepare
from engine.overrides import Overrides
from engine.plans import Plan, plan_code, plan_label
from engine.profile import MerchantProfile
from engine.ranking import Ranking, rank
from engine.result import Output as _Out

DEFAULT_SOBOL_N = 2048  # base sample size (a power of two); the model runs n x (d + 2) times
MAX_SOBOL_N = 16_384
FLIP_DRAWS = levers.SEARCH_DRAWS
BOOTSTRAP_RESAMPLES = 200
CONFIDENCE = 0.95
SCREEN_POINTS = 128  # settings used to find which assumptions the plan's figures depend on
FIGURES = 3  # first-year net, weeks to steady state, weeks to operational
CHUNK = 16_384  # settings evaluated per model pass (bounds memory: the set table is 16 x roles x CHUNK)


# --- the output contract -----------------------------------------------------------------------


class Tornado(_Out):
    """The plan's figures with one assumption at its P10 (``*_low``) and at its P90 (``*_high``), every other
    assumption at its central value; ``*_swing`` is the absolute difference."""

    net_low: float
    net_high: float
    net_swing: float
    steady_low: float
    steady_high: float
    steady_swing: float
    operational_low: float  # weeks until every module is operational
    operational_high: float
    operational_swing: float


class SensitivityRow(_Out):
    parameter: str  # dotted path, as in ``AssumptionSet.params()``
    label: str
    unit: str
    distribution: str
    value_p10: float
    value_central: float
    value_p90: float
    tornado: Tornado
    sobol_first: float  # of first-year net
    sobol_total: float
    sobol_first_ci: tuple[float, float] | None  # bootstrap interval (CONFIDENCE), None if not computed
    sobol_total_ci: tuple[float, float] | None
    sobol_first_steady: float  # of weeks to steady state
    sobol_total_steady: float
    sobol_first_steady_ci: tuple[float, float] | None
    sobol_total_steady_ci: tuple[float, float] | None
    sobol_first_operational: float  # of weeks to operational
    sobol_total_operational: float
    sobol_first_operational_ci: tuple[float, float] | None
    sobol_total_operational_ci: tuple[float, float] | None


class PlanRef(_Out):
    code: str
    label: str


class PlanWin(_Out):
    code: str
    label: str
    probability: float
    recommended: bool


class Flip(_Out):
    """The smallest step of one lever (engine/levers.py), in one direction, that changes the recommended plan."""

    lever: str  # a profile field (staff_fte, budget_monthly_cny, private_domain, ...) or weight.<name>
    label: str
    direction: str  # up, down, or other (the goal)
    found: bool
    base_value: float | str
    value: float | str | None  # the lever's value at the change (None when no step changes the plan)
    change: str  # in the user's words: "月预算 +¥8,000（…）", or what was searched
    plan: str | None  # code of the plan it changes to
    plan_label: str | None


class FlipNote(_Out):
    """Why the two directions of a lever give the same answer (``kind``: neither, same)."""

    levers: list[str]
    kind: str
    text: str


class Sensitivity(_Out):
    plan: PlanRef  # the plan analysed
    forced_plan: bool
    recommended: PlanRef
    as_of: date
    seed: int
    draws: int
    lang: Lang
    assumptions: str
    overrides: dict[str, float]
    central_net: float  # the plan's figures with every assumption at its central value
    central_steady: float
    p50_net: float  # Monte Carlo medians over the draws: the figures the recommendation's headline shows
    p50_steady: float
    central_operational: float
    p50_operational: float
    sobol_n: int
    sobol_evaluations: int
    confidence: float
    rows: list[SensitivityRow]
    plan_win_probabilities: list[PlanWin]
    flip_draws: int
    flips: list[Flip]
    flip_notes: list[FlipNote]


# --- settings: a Draws stand-in with chosen values ---------------------------------------------


class Settings:
    """``n`` chosen settings of the assumptions, read by the model exactly like :class:`model.Draws`.

    ``columns`` gives the values of the assumptions that vary; every other assumption sits at its central
    value. ``read`` records every path the model asked for.
    """

    def __init__(self, params: dict[str, Param], as_of: date, n: int, columns: dict[str, np.ndarray]):
        self.params = params
        self.as_of = as_of
        self.n = n
        self.columns = columns
        self.read: set[str] = set()

    def __getitem__(self, path: str) -> np.ndarray:
        self.read.add(path)
        values = self.columns.get(path)
        return np.full(self.n, central(self.params[path], self.as_of)) if values is None else values

    def head(self, n: int) -> Settings:
        n = min(n, self.n)
        return Settings(self.params, self.as_of, n, {k: v[:n] for k, v in self.columns.items()})


def central(param: Param, as_of: date) -> float:
    """The central value of an assumption: the PERT mode, the median of a 90 % interval, or the value."""
    return param.mode_at(as_of)


def frozen(param: Param, as_of: date):
    """The scipy distribution of an uncertain assumption on ``as_of`` (as :mod:`engine.distributions`
    draws it), or ``None`` when it is fixed or degenerate on that date."""
    v = param.at(as_of)
    if param.distribution == "pert":
        low, mode, high = float(v.low), float(v.mode), float(v.high)  # type: ignore[arg-type]
        span = high - low
        if span <= 0:
            return None
        alpha = 1.0 + 4.0 * (mode - low) / span
        beta = 1.0 + 4.0 * (high - mode) / span
        return stats.beta(alpha, beta, loc=low, scale=span)
    if param.distribution == "interval90":
        low, high = float(v.low), float(v.high)  # type: ignore[arg-type]
        if high <= low:
            return None
        if low > 0:
            mu = (math.log(low) + math.log(high)) / 2
            return stats.lognorm(s=(math.log(high) - math.log(low)) / (2 * Z90), scale=math.exp(mu))
        return stats.norm((low + high) / 2, (high - low) / (2 * Z90))
    return None


# --- the plan's figures on a batch of settings -------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What the model needs besides the assumptions' values: one plan for one profile, at the operating levels
    and over the horizon the recommendation used."""

    assumptions: AssumptionSet
    profile: MerchantProfile
    as_of: date
    plan: Plan
    fit: Fit
    levels: dict
    horizon_months: int

    @classmethod
    def of(cls, r: Ranking, plan: Plan) -> Context:
        return cls(
            r.assumptions, r.profile, r.as_of, plan, r.fit, r.levels(), int(r.objective.horizon_months)
        )

    def settings(self, columns: dict[str, np.ndarray], n: int) -> Settings:
        return Settings(self.assumptions.param_map, self.as_of, n, columns)

    def figures(self, settings: Settings | model.Draws) -> np.ndarray:
        """First-year net (gross profit less cost, months 1-12), weeks to steady state and weeks to
        operational, shape (FIGURES, n)."""
        a = self.assumptions
        cohort = model.Cohort.of([self.profile], a, self.as_of, [self.levels])
        fit, defer = fit_arrays([self.fit], a, settings)  # type: ignore[arg-type]
        objective = model.Objective.for_cohort(a, cohort, settings, self.horizon_months)  # type: ignore[arg-type]
        sims = model.cohort_sims(a, cohort, settings, fit, self.horizon_months)  # type: ignore[arg-type]
        masks, prefix = [0], 0
        for phase in self.plan:
            prefix |= model.mask_of(phase)
            masks += [prefix, model.mask_of(phase)]
        table = model.cohort_table(a, sims, cohort, settings, fit, sorted(set(masks)))  # type: ignore[arg-type]
        flow = model.cashflow(self.plan, sims, table, objective, defer, 12)
        weeks = [np.broadcast_to(w[0], (settings.n,)) for w in (flow.steady_state, flow.operational)]
        return np.stack([(flow.profit - flow.cost).sum(axis=0)[0], *weeks])

    def evaluate(self, paths: list[str], x: np.ndarray) -> np.ndarray:
        """Figures for settings ``x`` of shape (len(paths), n): row i holds the values of ``paths[i]``."""
        n = x.shape[1]
        out = np.empty((FIGURES, n))
        for lo in range(0, n, CHUNK):
            hi = min(lo + CHUNK, n)
            out[:, lo:hi] = self.figures(self.settings(dict(zip(paths, x[:, lo:hi], strict=True)), hi - lo))
        return out


@dataclass(frozen=True)
class Input:
    path: str
    param: Param
    dist: object  # a frozen scipy distribution


def uncertain_inputs(ctx: Context, rng: np.random.Generator, points: int = SCREEN_POINTS) -> list[Input]:
    """The uncertain assumptions (not fixed, not degenerate on the date) the plan's figures depend on.

    First the paths the model reads for this profile (so other city tiers, Douyin levels and business
    types drop out); then a screen: each is resampled alone across ``points`` settings spread over every
    assumption's range (quantiles 0.5 %-99.5 %), and kept only if the cost or the weeks change.
    """
    probe = ctx.settings({}, 1)
    ctx.figures(probe)
    params = ctx.assumptions.param_map
    inputs = [
        Input(path, params[path], dist)
        for path in sorted(probe.read)
        if (dist := frozen(params[path], ctx.as_of)) is not None
    ]
    if not inputs or not ctx.plan:
        return []
    d = len(inputs)
    base = _ppf(inputs, rng.uniform(0.005, 0.995, size=(d, points)))
    other = _ppf(inputs, rng.uniform(0.005, 0.995, size=(d, points)))
    x = np.tile(base, (1, d + 1))  # block 0: base; block i + 1: input i resampled
    for i in range(d):
        x[i, (i + 1) * points : (i + 2) * points] = other[i]
    f = ctx.evaluate([i.path for i in inputs], x).reshape(FIGURES, d + 1, points)
    ref = f[:, :1]
    changed = np.abs(f[:, 1:] - ref) > 1e-9 * (1.0 + np.abs(ref))
    keep = changed.any(axis=(0, 2))
    return [inp for inp, k in zip(inputs, keep, strict=True) if k]


def _ppf(inputs: list[Input], u: np.ndarray) -> np.ndarray:
    return np.stack([inp.dist.ppf(u[i]) for i, inp in enumerate(inputs)])  # type: ignore[attr-defined]


def tornado(ctx: Context, inputs: list[Input]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One at a time: returns (central figures (FIGURES,), figures at each input's P10 (FIGURES, d), at its
    P90 (FIGURES, d)).

    One model pass over 1 + 2d settings: all central, then each input at its P10 and at its P90."""
    d = len(inputs)
    centre = np.array([central(i.param, ctx.as_of) for i in inputs])
    x = np.tile(centre[:, None], (1, 1 + 2 * d))
    for i, inp in enumerate(inputs):
        x[i, 1 + 2 * i] = inp.dist.ppf(0.1)  # type: ignore[attr-defined]
        x[i, 2 + 2 * i] = inp.dist.ppf(0.9)  # type: ignore[attr-defined]
    f = ctx.evaluate([i.path for i in inputs], x)
    return f[:, 0], f[:, 1::2], f[:, 2::2]


@dataclass(frozen=True)
class SobolOut:
    first: np.ndarray  # (FIGURES, d)
    total: np.ndarray
    first_ci: np.ndarray | None  # (FIGURES, d, 2): low, high
    total_ci: np.ndarray | None
    evaluations: int


def _saltelli(f_a: np.ndarray, f_b: np.ndarray, f_ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Saltelli (2010) first-order and Jansen total indices, as ``scipy.stats.sobol_indices`` computes them
    (f_a, f_b: (s, n); f_ab: (d, s, n)); returns (s, d) arrays, zero where the output does not vary."""
    var = np.var([f_a, f_b], axis=(0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        first = (np.mean(f_b * (f_ab - f_a), axis=-1) / var).T
        total = (0.5 * np.mean((f_a - f_ab) ** 2, axis=-1) / var).T
    first[~np.isfinite(first)] = 0.0
    total[~np.isfinite(total)] = 0.0
    return first, total


def sobol(
    ctx: Context,
    inputs: list[Input],
    n: int,
    rng: np.random.Generator,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> SobolOut:
    """First-order and total Sobol indices of each figure (net, weeks to steady state, to operational).

    ``scipy.stats.sobol_indices`` draws the scrambled Sobol' sample from ``rng`` and runs the model on
    n x (d + 2) settings. Confidence intervals: a percentile bootstrap over the same runs (resampling the
    n base points with ``rng``; scipy's own bootstrap takes no generator, so it would not be reproducible).
    """
    d = len(inputs)
    paths = [i.path for i in inputs]
    res = stats.sobol_indices(
        func=lambda x: ctx.evaluate(paths, x), n=n, dists=[i.dist for i in inputs], rng=rng
    )
    first = np.atleast_2d(res.first_order).reshape(FIGURES, d)
    total = np.atleast_2d(res.total_order).reshape(FIGURES, d)
    first_ci = total_ci = None
    f_a, f_b, f_ab = (getattr(res, k, None) for k in ("_f_A", "_f_B", "_f_AB"))
    if resamples > 0 and f_a is not None and f_b is not None and f_ab is not None:
        boot_first = np.empty((resamples, FIGURES, d))
        boot_total = np.empty((resamples, FIGURES, d))
        for b, idx in enumerate(rng.integers(0, n, size=(resamples, n))):
            boot_first[b], boot_total[b] = _saltelli(f_a[:, idx], f_b[:, idx], f_ab[..., idx])
        q = [(1 - CONFIDENCE) / 2 * 100, (1 + CONFIDENCE) / 2 * 100]
        first_ci = np.moveaxis(np.percentile(boot_first, q, axis=0), 0, -1)
        total_ci = np.moveaxis(np.percentile(boot_total, q, axis=0), 0, -1)
    return SobolOut(first, total, first_ci, total_ci, n * (d + 2))


# --- the recommendation ------------------------------------------------------------------------


def win_probabilities(r: Ranking, lang: Lang) -> list[PlanWin]:
    """The share of draws in which each plan scores best, most likely first: every plan that ever does, and
    the recommended plan even if it never does (it can be chosen as the simpler of statistically tied plans)."""
    winners = np.argmax(r.scores, axis=0)
    counts = np.bincount(winners, minlength=len(r.plans))
    kept = r.profile.existing_modules
    listed = (i for i in range(len(r.plans)) if counts[i] > 0 or i == r.chosen)
    order = sorted(listed, key=lambda i: (-counts[i], i))
    return [
        PlanWin(
            code=plan_code(r.plans[i]),
            label=plan_label(r.plans[i], kept, lang, r.as_of),
            probability=round(float(counts[i] / r.scores.shape[1]), 4),
            recommended=i == r.chosen,
        )
        for i in order
    ]


def flips(r: Ranking, lang: Lang, draws: int = FLIP_DRAWS) -> tuple[list[Flip], int, list[FlipNote]]:
    """For each lever and direction, the smallest step that changes the recommended plan: the one search of
    :func:`engine.levers.search`, which the recommendation's "what would change this" reads too. Returns the
    flips, the number of draws re-ranked on and, for levers whose two directions agree, why."""
    found = levers.search(r, draws)
    kept = r.profile.existing_modules
    out: list[Flip] = []
    for o in found.outcomes:
        lever = o.lever
        out.append(
            Flip(
                lever=lever.code,
                label=levers.label(lever.code, lang, r.assumptions),
                direction=lever.direction,
                found=o.found,
                base_value=lever.base,
                value=o.step.value if o.step is not None else None,
                change=levers.outcome_change(o, lang),
                plan=plan_code(o.plan) if o.plan is not None else None,
                plan_label=plan_label(o.plan, kept, lang, r.as_of) if o.plan is not None else None,
            )
        )
    notes = [
        FlipNote(
            levers=list(n.levers),
            kind=n.kind,
            text=levers.note_text(
                n,
                lang,
                plan_label(n.plan, kept, lang, r.as_of) if n.plan is not None else None,
                r.assumptions,
            ),
        )
        for n in found.notes
    ]
    return out, found.draws, notes


# --- putting it together -----------------------------------------------------------------------


def _ci(ci: np.ndarray | None, k: int, i: int) -> tuple[float, float] | None:
    return None if ci is None else (round(float(ci[k, i, 0]), 4), round(float(ci[k, i, 1]), 4))


def rows(ctx: Context, inputs: list[Input], sobol_n: int, rng: np.random.Generator, lang: Lang):
    """Sensitivity rows sorted by the total Sobol index of cost; also the central figures and run count."""
    centre, low, high = tornado(ctx, inputs)
    if not inputs:
        return [], centre, 0
    s = sobol(ctx, inputs, sobol_n, rng)
    out: list[SensitivityRow] = []
    for i, inp in enumerate(inputs):
        net_low, net_high = float(low[0, i]), float(high[0, i])
        steady_low, steady_high = float(low[1, i]), float(high[1, i])
        op_low, op_high = float(low[2, i]), float(high[2, i])
        out.append(
            SensitivityRow(
                parameter=inp.path,
                label=getattr(inp.param.label, lang),
                unit=inp.param.unit,
                distribution=inp.param.distribution,
                value_p10=_r(inp.dist.ppf(0.1)),  # type: ignore[attr-defined]
                value_central=_r(central(inp.param, ctx.as_of)),
                value_p90=_r(inp.dist.ppf(0.9)),  # type: ignore[attr-defined]
                tornado=Tornado(
                    net_low=round(net_low, 2),
                    net_high=round(net_high, 2),
                    net_swing=round(abs(net_high - net_low), 2),
                    steady_low=round(steady_low, 3),
                    steady_high=round(steady_high, 3),
                    steady_swing=round(abs(steady_high - steady_low), 3),
                    operational_low=round(op_low, 3),
                    operational_high=round(op_high, 3),
                    operational_swing=round(abs(op_high - op_low), 3),
                ),
                sobol_first=round(float(s.first[0, i]), 4),
                sobol_total=round(float(s.total[0, i]), 4),
                sobol_first_ci=_ci(s.first_ci, 0, i),
                sobol_total_ci=_ci(s.total_ci, 0, i),
                sobol_first_steady=round(float(s.first[1, i]), 4),
                sobol_total_steady=round(float(s.total[1, i]), 4),
                sobol_first_steady_ci=_ci(s.first_ci, 1, i),
                sobol_total_steady_ci=_ci(s.total_ci, 1, i),
                sobol_first_operational=round(float(s.first[2, i]), 4),
                sobol_total_operational=round(float(s.total[2, i]), 4),
                sobol_first_operational_ci=_ci(s.first_ci, 2, i),
                sobol_total_operational_ci=_ci(s.total_ci, 2, i),
            )
        )
    out.sort(key=lambda row: (-row.sobol_total, -row.tornado.net_swing, row.parameter))
    return out, centre, s.evaluations


def _r(value: float) -> float:
    return float(f"{float(value):.6g}")


def analyse(
    r: Ranking,
    plan: Plan,
    rng: np.random.Generator,
    *,
    lang: Lang = "zh",
    sobol_n: int = DEFAULT_SOBOL_N,
    flip_draws: int = FLIP_DRAWS,
    seed: int = 0,
    forced: bool = False,
    overrides: dict[str, float] | None = None,
) -> Sensitivity:
    """Sensitivity of ``plan`` (scored by ranking ``r``'s objective) and of ``r``'s recommendation.

    ``r`` is the unforced ranking (its chosen plan is the recommendation); ``rng`` supplies the screen's
    settings, the Sobol' sample and the bootstrap.
    """
    kept = r.profile.existing_modules
    ctx = Context.of(r, plan)
    inputs = uncertain_inputs(ctx, rng)
    table, centre, evaluations = rows(ctx, inputs, sobol_n, rng, lang)
    mc = ctx.figures(r.draws)
    flip_list, used, notes = flips(r, lang, flip_draws)
    return Sensitivity(
        plan=PlanRef(code=plan_code(plan), label=plan_label(plan, kept, lang, r.as_of)),
        forced_plan=forced,
        recommended=PlanRef(
            code=plan_code(r.plans[r.chosen]), label=plan_label(r.plans[r.chosen], kept, lang, r.as_of)
        ),
        as_of=r.as_of,
        seed=seed,
        draws=r.draws.n,
        lang=lang,
        assumptions=r.assumptions.source,
        overrides=overrides or {},
        central_net=round(float(centre[0]), 2),
        central_steady=round(float(centre[1]), 3),
        p50_net=round(float(np.median(mc[0])), 2),
        p50_steady=round(float(np.median(mc[1])), 3),
        central_operational=round(float(centre[2]), 3),
        p50_operational=round(float(np.median(mc[2])), 3),
        sobol_n=sobol_n if inputs else 0,
        sobol_evaluations=evaluations,
        confidence=CONFIDENCE,
        rows=table,
        plan_win_probabilities=win_probabilities(r, lang),
        flip_draws=used,
        flips=flip_list,
        flip_notes=notes,
    )


def _check_sobol_n(n: int) -> None:
    if not isinstance(n, int) or n < 64 or n > MAX_SOBOL_N or n & (n - 1):
        raise InputError("sobol_n", f"must be a power of two from 64 to {MAX_SOBOL_N}, got {n!r}")


def sensitivity(
    profile: MerchantProfile | dict,
    *,
    as_of: date | str | None = None,
    draws: int = 10_000,
    seed: int = 0,
    plan: str | list | tuple | None = None,
    assumptions: AssumptionSet | str | Path | None = None,
    lang: Lang = "zh",
    overrides: Overrides | dict | None = None,
    sobol_n: int = DEFAULT_SOBOL_N,
    flip_draws: int = FLIP_DRAWS,
) -> Sensitivity:
    """What drives the answer for a merchant: the recommended plan (or ``plan``) and the recommendation.

    Inputs and errors as :func:`engine.recommend.recommend`; the draws are the same as its draws for the same
    ``seed``, so the probabilities of the recommended set's phasings add up to its ``win_probability`` (which is
    of the module set).
    """
    p, day, ov, aset, forced = prepare(profile, as_of, draws, seed, plan, assumptions, lang, overrides)
    _check_sobol_n(sobol_n)
    rng = np.random.default_rng(seed)
    keep_heap()
    d = model.draw(aset, day, draws, rng)
    r = rank(p, aset, day, d)
    chosen = r.plans[r.chosen]
    if forced is not None:
        rf = rank(p, aset, day, d, forced)
        chosen = rf.plans[rf.chosen]
    return analyse(
        r,
        chosen,
        rng,
        lang=lang,
        sobol_n=sobol_n,
        flip_draws=flip_draws,
        seed=seed,
        forced=forced is not None,
        overrides=ov.active(),
    )
