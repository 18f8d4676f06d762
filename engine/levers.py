"""Levers: what a merchant or a consultant can change, and the one search for the smallest change that alters
the recommended plan.

A :class:`Lever` is one thing changed in one direction — staff, the monthly budget, private-domain maturity,
Douyin presence, the main goal, or one of the objective's weights (``assumptions/objective.yaml``) — with its
steps from the smallest change up. :func:`search` re-ranks every step on the same subsample of the draws (common
random numbers, so a difference is the change's own) and returns, per lever, the smallest step that changes the
plan. Both the recommendation's "what would change this" (:func:`engine.recommend.counterfactuals`) and the
sensitivity flips table (:func:`engine.sensitivity.flips`) read this one search, so they name the same answers.

Results are codes and numbers; :func:`phrase` and :func:`note_text` put them in the user's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from engine.assumptions import AssumptionSet, Weight
from engine.i18n import Lang, t
from engine.plans import Plan
from engine.profile import DOUYIN_LEVELS, PRIVATE_DOMAIN_LEVELS, MerchantProfile

if TYPE_CHECKING:
    from engine.recommend import Ranking

SEARCH_DRAWS = 1_000  # draws each step is re-ranked on (doubled while the subsample disagrees with all draws)
STAFF_STEPS = (0.5, 1.0, 2.0, 3.0, 5.0)  # FTE added or removed
BUDGET_FACTORS = (1.25, 1.5, 2.0, 3.0)  # the monthly budget times (up) or divided by (down) these
BUDGET_FROM_ZERO = (5_000.0, 10_000.0, 20_000.0, 50_000.0)  # CNY a month, when there is no budget yet
WEIGHT_FACTORS = (2.0, 5.0)  # an objective weight times or divided by these
WEIGHTS: tuple[Weight, ...] = Weight.__args__
PAIRED = (
    "staff_fte",
    "budget_monthly_cny",
    *(f"weight.{w}" for w in WEIGHTS),
)  # levers with an up and a down

Direction = Literal["up", "down", "other"]


@dataclass(frozen=True)
class Step:
    """One setting of a lever: the value it takes and the inputs re-ranked with it."""

    value: float | str
    profile: MerchantProfile
    assumptions: AssumptionSet


@dataclass(frozen=True)
class Lever:
    """One thing changed in one direction. ``code`` is the profile field or ``weight.<name>``; ``ordered``
    levers have steps that grow (more staff, more budget, a higher level); ``goal`` has no order."""

    code: str
    direction: Direction
    base: float | str
    steps: tuple[Step, ...]  # the smallest change first

    @property
    def ordered(self) -> bool:
        return self.direction != "other"


def _with_weight(assumptions: AssumptionSet, weight: Weight, factor: float) -> AssumptionSet:
    """A copy of the set with one objective weight scaled (the shared set is left untouched)."""
    o = assumptions.objective
    weights = {**o.weights, weight: o.weights[weight].scaled(factor)}
    return assumptions.model_copy(update={"objective": o.model_copy(update={"weights": weights})})


def levers(profile: MerchantProfile, assumptions: AssumptionSet, as_of) -> list[Lever]:
    """Every lever for a profile, in the order they are shown: staff, budget, private domain, Douyin, goal,
    then the objective's weights."""
    p, a = profile, assumptions

    def with_(**update) -> Step:
        ((_field, value),) = update.items()
        return Step(value, p.model_copy(update=update), a)

    out: list[Lever] = []
    up = tuple(with_(staff_fte=round(p.staff_fte + d, 4)) for d in STAFF_STEPS)
    down = tuple(with_(staff_fte=round(p.staff_fte - d, 4)) for d in STAFF_STEPS if p.staff_fte - d > 0)
    out += [Lever("staff_fte", "up", p.staff_fte, up), Lever("staff_fte", "down", p.staff_fte, down)]

    budget = p.budget_monthly_cny
    if budget > 0:
        up = tuple(with_(budget_monthly_cny=round(budget * f, 2)) for f in BUDGET_FACTORS)
        down = tuple(with_(budget_monthly_cny=round(budget / f, 2)) for f in BUDGET_FACTORS)
    else:
        up, down = tuple(with_(budget_monthly_cny=v) for v in BUDGET_FROM_ZERO), ()
    out += [Lever("budget_monthly_cny", "up", budget, up), Lever("budget_monthly_cny", "down", budget, down)]

    for field, levels in (("private_domain", PRIVATE_DOMAIN_LEVELS), ("douyin_presence", DOUYIN_LEVELS)):
        current = getattr(p, field)
        higher = levels[levels.index(current) + 1 :]
        out.append(Lever(field, "up", current, tuple(with_(**{field: lv}) for lv in higher)))
    others = tuple(with_(goal=g) for g in ("acquisition", "repeat", "both") if g != p.goal)
    out.append(Lever("goal", "other", p.goal, others))

    for w in WEIGHTS:
        value = a.objective.weights[w].mode_at(as_of)
        for direction, factors in (("up", WEIGHT_FACTORS), ("down", tuple(1 / f for f in WEIGHT_FACTORS))):
            steps = (
                tuple(Step(round(value * f, 6), p, _with_weight(a, w, f)) for f in factors) if value else ()
            )
            out.append(Lever(f"weight.{w}", direction, value, steps))  # type: ignore[arg-type]
    return out


# --- the search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """The smallest step of a lever that changes the plan (``step``/``plan`` None when no step does)."""

    lever: Lever
    step: Step | None
    plan: Plan | None

    @property
    def found(self) -> bool:
        return self.step is not None


@dataclass(frozen=True)
class Note:
    """Why the two directions of a lever give the same answer.

    ``kind``: ``neither`` (no step either way changes the plan) or ``same`` (both change it to ``plan``);
    ``lead_cny``: the recommended plan's lead in mean risk-adjusted net over the horizon (the objective, in CNY)
    over ``plan``: the plan both change to, or the next best plan (None when there is no other plan);
    ``tie``: the lead is within the tie margin, so the plan with fewer phases was chosen.
    """

    levers: tuple[str, ...]  # the levers this holds for (grouped when the reason is the same)
    kind: Literal["neither", "same"]
    plan: Plan | None  # the plan both directions change to (same), or the next best plan (neither)
    lead_cny: float | None
    tie: bool


@dataclass(frozen=True)
class Search:
    base: Plan  # the plan the subsample recommends (the recommendation, unless all draws were needed)
    draws: int  # draws every step was re-ranked on
    outcomes: list[Outcome]
    notes: list[Note]


def _subsample(r: Ranking, draws: int) -> tuple[Ranking, int]:
    """The ranking on the first ``draws`` draws, doubled until it recommends what all the draws do."""
    from engine.recommend import rank

    base = r.plans[r.chosen]
    n = min(draws, r.draws.n)
    while True:
        rr = rank(r.profile, r.assumptions, r.as_of, r.draws.head(n), horizon_months=_horizon(r))
        if rr.plans[rr.chosen] == base or n >= r.draws.n:
            return rr, n
        n = min(2 * n, r.draws.n)


def _horizon(r: Ranking) -> int:
    return round(r.objective.horizon_months)


def search(r: Ranking, draws: int = SEARCH_DRAWS) -> Search:
    """For each lever, the smallest step that changes the recommended plan of ranking ``r``.

    Every step is re-ranked on the same subsample (:func:`_subsample`) at the horizon ``r`` used. An ordered
    lever is searched only when its largest step changes the plan (then from the smallest step up), so a
    lever reported as unchanged is unchanged at its largest step; the goal's alternatives are each tried.
    The changed merchants are ranked together, as one cohort per round (:func:`engine.batch.chosen_plans`:
    each one's plan is what ranking it alone gives): first every largest step and the goal's alternatives,
    then every step of the levers whose largest step changed the plan.
    """
    from engine.recommend import rescore

    sub, n = _subsample(r, draws)
    base = sub.plans[sub.chosen]
    memo: dict[tuple[MerchantProfile, int], Plan] = {}

    def key(step: Step) -> tuple[MerchantProfile, int]:
        return step.profile, id(step.assumptions)

    def settle(pairs: list[tuple[Lever, Step]]) -> None:
        """The plan of every step not ranked yet: weight levers re-score the plans; the merchants changed
        otherwise are ranked together."""
        from engine.batch import chosen_plans

        todo: dict[tuple[MerchantProfile, int], Step] = {}
        for lever, step in pairs:
            if key(step) in memo or key(step) in todo:
                continue
            if lever.code.startswith("weight."):  # the same merchant judged otherwise: only the scores move
                rr = rescore(sub, step.assumptions)
                memo[key(step)] = rr.plans[rr.chosen]
            else:
                todo[key(step)] = step
        for assumptions in {id(s.assumptions): s.assumptions for s in todo.values()}.values():
            steps = [s for s in todo.values() if s.assumptions is assumptions]
            plans = chosen_plans([s.profile for s in steps], assumptions, r.as_of, sub.draws, _horizon(r))
            memo.update((key(s), plan) for s, plan in zip(steps, plans, strict=True))

    every = levers(r.profile, r.assumptions, r.as_of)
    settle([(lv, lv.steps[-1] if lv.ordered else s) for lv in every for s in lv.steps])
    moved = [lv for lv in every if lv.ordered and lv.steps and memo[key(lv.steps[-1])] != base]
    settle([(lv, s) for lv in moved for s in lv.steps])
    outcomes: list[Outcome] = []
    for lever in every:
        found = None
        if lever.steps and (not lever.ordered or memo[key(lever.steps[-1])] != base):
            found = next(((s, plan) for s in lever.steps if (plan := memo[key(s)]) != base), None)
        outcomes.append(Outcome(lever, *(found or (None, None))))
    return Search(base, n, outcomes, _notes(sub, outcomes))


def _lead(r: Ranking, other: Plan | None) -> tuple[float | None, Plan | None]:
    """The chosen plan's mean objective less ``other``'s (or the next best plan's), in CNY, and that plan."""
    scale = float(np.asarray(r.objective.cost_scale).ravel()[0])
    if other is None:
        rest = [i for i in range(len(r.plans)) if i != r.chosen]
        if not rest:
            return None, None
        j = max(rest, key=lambda i: r.mean[i])
    else:
        if other not in r.plans:
            return None, other
        j = r.plans.index(other)
    return round(float(r.mean[r.chosen] - r.mean[j]) * scale, 0), r.plans[j]


def _notes(sub: Ranking, outcomes: list[Outcome]) -> list[Note]:
    """A note for the paired levers whose up and down give the same answer, one per reason."""
    margin = sub.assumptions.objective.tie_margin.mode_at(sub.as_of)
    scale = float(np.asarray(sub.objective.cost_scale).ravel()[0])
    out: dict[tuple, list[str]] = {}
    for code in PAIRED:
        pair = {o.lever.direction: o for o in outcomes if o.lever.code == code}
        up, down = pair.get("up"), pair.get("down")
        if up is None or down is None or not up.lever.steps or not down.lever.steps:
            continue
        if not up.found and not down.found:
            kind, plan = "neither", None
        elif up.found and down.found and up.plan == down.plan:
            kind, plan = "same", up.plan
        else:
            continue
        lead, plan = _lead(sub, plan)
        tie = lead is not None and lead <= margin * scale
        out.setdefault((kind, plan, lead, tie), []).append(code)
    return [Note(tuple(codes), *key) for key, codes in out.items()]


# --- in the user's words --------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"


def label(code: str, lang: Lang, assumptions: AssumptionSet | None = None) -> str:
    """The lever's name: "月预算", "monthly budget", or the weight's label."""
    if code.startswith("weight.") and assumptions is not None:
        return getattr(assumptions.objective.weights[code.removeprefix("weight.")].label, lang)
    return t(f"lever.{code}", lang)


def phrase(lever: Lever, value: float | str, lang: Lang) -> str:
    """One step of a lever as the user says it: "月预算 +¥8,000（¥40,000 → ¥48,000）", "monthly budget
    +¥8,000 (¥40,000 → ¥48,000)", "if each yuan lost counted as ¥1.25 (now ¥1.50)"."""
    code, base = lever.code, lever.base
    if code == "goal":
        return t("lever.step.goal", lang, goal=t(f"enum.goal.{value}", lang))
    if code in ("private_domain", "douyin_presence"):
        return t(f"lever.step.{code}", lang, level=t(f"enum.{code}.{value}", lang))
    if code == "staff_fte":
        delta = float(value) - float(base)
        sign = "+" if delta >= 0 else "−"
        return t(
            "lever.step.staff_fte",
            lang,
            delta=f"{sign}{abs(delta):g}",
            old=f"{float(base):g}",
            new=f"{float(value):g}",
        )
    if code == "budget_monthly_cny":
        delta = float(value) - float(base)
        sign = "+" if delta >= 0 else "−"
        return t(
            "lever.step.budget_monthly_cny",
            lang,
            delta=f"{sign}¥{abs(delta):,.0f}",
            old=f"¥{float(base):,.0f}",
            new=f"¥{float(value):,.0f}",
        )
    weight = code.removeprefix("weight.")
    # downside and staff shortfall read as "counts as X" (1 + weight yuan per yuan lost; weight x pay);
    # the budget overrun as "an extra X per yuan over budget"
    old, new = float(base), float(value)
    if weight == "downside":
        old, new = 1 + old, 1 + new
    return t(f"lever.step.weight.{weight}", lang, old=f"{old:.2f}", new=f"{new:.2f}")


def outcome_change(outcome: Outcome, lang: Lang) -> str:
    """The change an outcome names, or what was searched when no step changes the plan."""
    lever = outcome.lever
    if outcome.step is not None:
        return phrase(lever, outcome.step.value, lang)
    if not lever.steps:
        return t("lever.none.not_applicable", lang)
    if not lever.ordered:
        return t("lever.none.any", lang)
    return t("lever.none.up_to", lang, change=phrase(lever, lever.steps[-1].value, lang))


def note_text(
    note: Note, lang: Lang, plan_label: str | None, assumptions: AssumptionSet | None = None
) -> str:
    """Why both directions of a lever give the same answer, in plain words."""
    name = t("lever.and", lang).join(label(code, lang, assumptions) for code in note.levers)
    if note.kind == "same":
        key = "lever.note.same_tie" if note.tie else "lever.note.same"
    else:
        key = (
            "lever.note.neither_alone"
            if note.lead_cny is None
            else ("lever.note.neither_tie" if note.tie else "lever.note.neither")
        )
    lead = _num(abs(note.lead_cny)) if note.lead_cny is not None else ""
    return t(key, lang, lever=name, plan=plan_label or "", lead=lead)
