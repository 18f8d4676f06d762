"""The output contract: frozen pydantic models, serialised as JSON by the CLI and shown by the app."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.profile import MerchantProfile, Module

Verdict = Literal["keep", "adopt_now", "adopt_later", "not_recommended"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Band(_Out):
    """P10 / P50 / P90 of a simulated quantity (``None`` where it is unbounded, e.g. no break-even)."""

    p10: float | None
    p50: float | None
    p90: float | None


class Reason(_Out):
    rule: str
    label: str
    text: str
    effect: str
    sources: list[str]


class ModuleResult(_Out):
    module: Module
    name: str
    verdict: Verdict
    phase: int | None
    fit: float
    defer: bool
    decision: str
    reasons: list[Reason]
    start_week: Band | None = None  # weeks from the plan's start; None unless adopted
    operational_week: Band | None = None
    steady_state_week: Band | None = None


class PhaseOut(_Out):
    phase: int
    modules: list[Module]
    start_week: Band


class PlanOut(_Out):
    label: str
    code: str
    fit: float  # mean fit of the new modules as the objective counts them
    modules: list[Module]
    kept: list[Module]
    phases: list[PhaseOut]


class CostOut(_Out):
    setup: Band
    monthly: Band
    first_year: Band


class RampOut(_Out):
    operational: Band
    steady_state: Band


class Item(_Out):
    module: Module | None
    kind: Literal["setup", "monthly", "seat", "gmv_share", "staff"]
    item: str
    label: str
    unit: str
    p10: float
    p50: float
    p90: float
    references: list[str]


class Staffing(_Out):
    required_fte: float
    available_fte: float
    shortfall_fte: float
    required_band: Band
    by_role: dict[str, float]


class WarningOut(_Out):
    code: str
    text: str
    sources: list[str] = []


class Alternative(_Out):
    plan: PlanOut
    mean_score: float
    win_probability: float
    cost_cny: CostOut
    ramp_weeks: RampOut
    shortfall_fte: float


class Counterfactual(_Out):
    change: str
    field: str
    value: float | str
    plan: str
    effects: list[str]


class Histogram(_Out):
    """Counts of draws in equal-width bins between ``edges``, for charts."""

    edges: list[float]
    counts: list[int]


class Recommendation(_Out):
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
    cost_cny: CostOut
    ramp_weeks: RampOut
    items: list[Item]
    staffing: Staffing
    warnings: list[WarningOut]
    alternatives: list[Alternative]
    win_probability: float
    win_probability_text: str
    module_set_win_probability: float
    mean_score: float
    break_even_gmv_cny: Band
    break_even_orders_per_month: Band
    counterfactuals: list[Counterfactual]
    first_year_histogram: Histogram
    candidates_evaluated: int
