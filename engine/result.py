"""The output contract: frozen pydantic models, serialised as JSON by the CLI and shown by the app."""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from engine.profile import MerchantProfile, Module

Verdict = Literal["keep", "adopt_now", "adopt_later", "not_recommended"]
OperatingLevel = Literal["lean", "standard", "scaled"]


class Output(BaseModel):
    """The base of every result model (here, in engine.compare and engine.sensitivity): frozen, and no field
    it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Band(Output):
    """P10 / P50 / P90 of a simulated quantity (``None`` where it is unbounded, e.g. no break-even)."""

    p10: float | None
    p50: float | None
    p90: float | None


def band(values: np.ndarray, digits: int = 0) -> Band:
    """P10/P50/P90, with ``None`` for a percentile that is unbounded (e.g. break-even out of reach)."""
    with np.errstate(invalid="ignore"):
        return band_of(np.percentile(values, [10, 50, 90]), digits)


def band_of(quantiles: np.ndarray, digits: int = 0) -> Band:
    """A band from P10/P50/P90 already computed, rounded to ``digits`` (``None`` where unbounded)."""
    out = [round(float(v), digits) if np.isfinite(v) else None for v in quantiles]
    return Band(p10=out[0], p50=out[1], p90=out[2])


class Reason(Output):
    rule: str
    label: str
    text: str
    effect: str
    sources: list[str]


class ModuleResult(Output):
    module: Module
    name: str
    verdict: Verdict
    phase: int | None
    fit: float
    defer: bool
    decision: str
    reasons: list[Reason]
    operating_level: OperatingLevel  # the level the module runs (or would run) at for this merchant
    gmv_monthly_steady_cny: Band | None = (
        None  # the module's own incremental GMV at steady state; None unless adopted
    )
    start_week: Band | None = None  # weeks from the plan's start; None unless adopted
    operational_week: Band | None = None
    steady_state_week: Band | None = None


class PhaseOut(Output):
    phase: int
    modules: list[Module]
    start_week: Band


class PlanOut(Output):
    label: str
    code: str
    fit: float  # mean fit of the new modules as the objective counts them
    modules: list[Module]
    kept: list[Module]
    phases: list[PhaseOut]


class CostOut(Output):
    setup: Band
    monthly: Band
    first_year: Band


class RampOut(Output):
    operational: Band
    steady_state: Band


class Item(Output):
    module: Module | None
    kind: Literal["setup", "monthly", "seat", "gmv_share", "staff"]
    item: str
    label: str
    unit: str
    p10: float
    p50: float
    p90: float
    references: list[str]


class Staffing(Output):
    required_fte: float
    available_fte: float
    hires_fte: float  # hired with the budget (costed, after a hiring lag)
    shortfall_fte: float  # what can be neither done by the team nor hired with the budget
    required_band: Band
    hires_band: Band
    by_role: dict[str, float]


class WarningOut(Output):
    code: str
    text: str
    sources: list[str] = []


class Alternative(Output):
    plan: PlanOut
    mean_score: float
    win_probability: float  # of the module set, its phasings pooled
    phasing_probability: float  # of this phasing among the set's phasings
    cost_cny: CostOut
    ramp_weeks: RampOut
    shortfall_fte: float
    net_cny_first_year: Band
    payback_months: Band
    p_payback_within_horizon: float


class Counterfactual(Output):
    """The smallest step of one lever (engine/levers.py) that changes the recommended plan."""

    change: str  # in the user's words: "月预算 +¥8,000（¥40,000 → ¥48,000）"
    field: str  # the lever: a profile field, or weight.<name>
    value: float | str  # the lever's value at the change
    plan: str
    effects: list[str]
    direction: str = ""  # up, down, or other (the goal)
    base_value: float | str = ""  # the lever's value today
    plan_code: str = ""
    note: str = ""  # why more and less of the lever give the same plan, when they do


class CloseCall(Output):
    """Why a close call went the way it did: ``code`` (translated at the edge as ``closecall.<code>``), the
    other plan concerned (its code), the profile field a what-if changed, and the figures the text quotes
    (shares 0-1, money in CNY of risk-adjusted net, counts)."""

    code: Literal[
        "more_draws_elsewhere",
        "simpler_within_margin",
        "phasings_pooled",
        "same_both_ways",
        "same_both_ways_noise",
    ]
    plan: str = ""
    field: str = ""
    figures: dict[str, float] = {}


class Money(Output):
    first_year: Band  # months 1-12
    horizon: Band  # months 1..horizon


class CashMonth(Output):
    month: int
    cost: Band
    gross_profit: Band
    cumulative_net: Band


class Value(Output):
    """What the plan earns back: money a merchant can check, as P10 / P50 / P90 over the draws."""

    horizon_months: int
    gmv_monthly_steady_cny: Band  # incremental GMV of the new modules at steady state
    gross_profit_cny: Money  # margin kept on that GMV, net of returns, fees and agents' commission
    cost_cny: Money
    net_cny: Money
    roi_first_year: Band  # first-year net / first-year cost
    payback_months: Band  # month the cumulative net turns positive; None where beyond the horizon
    p_payback_within_horizon: float
    cashflow: list[CashMonth]


class ScaleOut(Output):
    """The merchant's scale the model used: the profile's figures, or defaults it inferred (flagged)."""

    current_monthly_gmv_cny: float
    reachable_customers: float
    gmv_inferred: bool
    reach_inferred: bool


class Histogram(Output):
    """Counts of draws in equal-width bins between ``edges``, for charts."""

    edges: list[float]
    counts: list[int]


class Recommendation(Output):
    profile: MerchantProfile
    as_of: date
    seed: int
    draws: int
    lang: Literal["zh", "en"]
    assumptions: str
    overrides: dict[str, float]
    forced_plan: bool
    modules: dict[Module, ModuleResult]
    plan: PlanOut
    scale: ScaleOut
    value: Value
    cost_cny: CostOut
    ramp_weeks: RampOut
    items: list[Item]
    staffing: Staffing
    warnings: list[WarningOut]
    alternatives: list[Alternative]
    win_probability: float  # the recommended module set ranks first (its phasings pooled)
    win_probability_text: str
    phasing_probability: float  # the recommended phasing is the best phasing of that set
    mean_score: float
    break_even_gmv_cny: Band
    break_even_orders_per_month: Band
    counterfactuals: list[Counterfactual]
    close_calls: list[CloseCall] = []  # why the ranking is close, when it is (engine.explain.close_calls)
    first_year_histogram: Histogram  # first-year cost
    net_histogram: Histogram  # first-year net
    candidates_evaluated: int
