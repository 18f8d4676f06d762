"""The :class:`~engine.result.Recommendation` of an analysis, written in a language: figures as P10/P50/P90
bands, each module's verdict and reasons, warnings, the cost items, the alternatives, what would change the plan
and the close calls. Nothing is drawn or scored again (:func:`render`), so a language switch costs no
simulation."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from engine import model
from engine.assumptions import AssumptionSet, Param
from engine.explain import close_calls, counterfactuals
from engine.fit import Fit
from engine.i18n import Lang, t
from engine.plans import Plan, module_name, module_verdicts, plan_code, plan_label
from engine.profile import MODULES, Module
from engine.ranking import Economics, Ranking, economics, set_masks
from engine.result import (
    Alternative,
    Band,
    CashMonth,
    CostOut,
    Histogram,
    Item,
    ModuleResult,
    Money,
    PhaseOut,
    PlanOut,
    RampOut,
    Reason,
    Recommendation,
    ScaleOut,
    Staffing,
    Value,
    WarningOut,
    band,
    band_of,
)
from engine.rules import Firing, describe_effect
from engine.text import amount

if TYPE_CHECKING:
    from engine.recommend import Analysis


def render(a: Analysis, lang: Lang) -> Recommendation:
    """The :class:`Recommendation` of an analysis, in ``lang`` (``prepare`` has checked the language)."""
    p, day, ov, aset, forced, r = a.profile, a.as_of, a.overrides, a.assumptions, a.forced, a.ranking
    sim, econ, set_win, phasing = a.sim, a.econ, a.set_win, a.phasing
    chosen_plan = r.plans[r.chosen]
    win = float(set_win[r.chosen])

    verdicts = module_verdicts(chosen_plan, p.existing_modules)
    gmv_by_module = {m: band(g) for m, g in _module_gmv(r, sim.mask).items()}
    modules = {
        m: ModuleResult(
            module=m,
            name=module_name(m, lang, day),
            verdict=verdicts[m][0],  # type: ignore[arg-type]
            phase=verdicts[m][1],
            fit=r.fit.fit[m],
            defer=m in r.fit.defer,
            decision=_decision(m, verdicts[m][0], verdicts[m][1], r, forced is not None, lang),
            reasons=_reasons(r.fit, m, lang, r.assumptions, r.as_of),
            operating_level=r.level(m),
            gmv_monthly_steady_cny=gmv_by_module.get(m),
            **_module_timing(m, chosen_plan, sim),
        )
        for m in MODULES
    }
    warnings = _warnings(r, sim, econ, forced is not None, lang)
    if forced is None and win < 0.5 and chosen_plan:
        warnings.append(WarningOut(code="close_call", text=t("warning.close_call", lang, share=f"{win:.0%}")))
    role_fte = r.table.roles(sim.mask)
    be = sim.break_even_gmv[0]
    with np.errstate(over="ignore"):
        orders = be / p.avg_order_value_cny
    scale = model.merchant_scale(p, aset, day)
    whatifs = counterfactuals(r, lang, found=a.levers) if a.levers is not None else []
    return Recommendation(
        profile=p,
        as_of=day,
        seed=a.seed,
        draws=a.draws,
        lang=lang,
        assumptions=aset.source,
        overrides=ov.active(),
        forced_plan=forced is not None,
        modules=modules,
        plan=_plan_out(chosen_plan, sim, p.existing_modules, lang, day),
        scale=ScaleOut(
            current_monthly_gmv_cny=scale.current_monthly_gmv_cny,
            reachable_customers=scale.reachable_customers,
            gmv_inferred=scale.gmv_inferred,
            reach_inferred=scale.reach_inferred,
        ),
        value=_value(econ, sim),
        cost_cny=_cost(sim, econ),
        ramp_weeks=_ramp(sim),
        items=_items(r, sim, lang),
        staffing=Staffing(
            required_fte=round(float(np.median(sim.required_fte)), 2),
            available_fte=p.staff_fte,
            hires_fte=round(float(np.median(sim.hired_fte)), 2),
            shortfall_fte=round(float(np.median(sim.shortfall_fte)), 2),
            required_band=band(sim.required_fte[0], 2),
            hires_band=band(sim.hired_fte[0], 2),
            by_role={role: round(float(np.median(v)), 2) for role, v in role_fte.items()},
        ),
        warnings=warnings,
        alternatives=_alternatives(r, set_win, phasing, lang),
        win_probability=round(win, 4),
        win_probability_text=win_text(win, lang),
        phasing_probability=round(float(phasing[r.chosen]), 4),
        mean_score=round(float(r.mean[r.chosen]), 4),
        break_even_gmv_cny=band(be),
        break_even_orders_per_month=band(orders, 1),
        counterfactuals=whatifs,
        close_calls=close_calls(r, set_win, phasing, whatifs, lang) if forced is None else [],
        first_year_histogram=_histogram(econ.total(econ.cost, 12)),
        net_histogram=_histogram(econ.total(econ.profit - econ.cost, 12)),
        candidates_evaluated=len(r.plans),
    )


def _module_gmv(r: Ranking, mask: int) -> dict[Module, np.ndarray]:
    """Each new module's own steady-state incremental GMV within the plan's set of modules."""
    returns = model.set_returns(
        mask,
        r.table.kept,
        model.demand(r.assumptions, r.cohort, r.draws),
        r.sims,
        model.fit_multiplier(r.assumptions, r.fit_array, r.as_of),
    )
    return {m: gmv[0] for m, (gmv, _, _) in returns.items()}


def _plan_out(plan: Plan, sim: model.PlanSim, kept: tuple[Module, ...], lang: Lang, as_of: date) -> PlanOut:
    phases = [
        PhaseOut(phase=i + 1, modules=list(phase), start_week=band(sim.phase_starts[i][0], 1))
        for i, phase in enumerate(plan)
    ]
    return PlanOut(
        label=plan_label(plan, kept, lang, as_of),
        code=plan_code(plan),
        fit=round(float(np.mean(sim.fit)), 4),
        modules=[m for m in MODULES if m in kept or any(m in p for p in plan)],
        kept=list(kept),
        phases=phases,
    )


def _value(econ: Economics, sim: model.PlanSim) -> Value:
    h = econ.horizon
    cost_fy, gp_fy = econ.total(econ.cost, 12), econ.total(econ.profit, 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = np.where(cost_fy > 0, (gp_fy - cost_fy) / cost_fy, np.nan)
    cum = econ.cumulative
    payback = econ.payback
    # every month's bands in one call: (3 series, 3 percentiles, months)
    months = np.percentile(np.stack([econ.cost[:h], econ.profit[:h], cum[:h]]), [10, 50, 90], axis=2)
    months = np.moveaxis(months, 0, 1)
    return Value(
        horizon_months=h,
        gmv_monthly_steady_cny=band(sim.gmv_steady[0]),
        gross_profit_cny=Money(first_year=band(gp_fy), horizon=band(econ.total(econ.profit, h))),
        cost_cny=Money(first_year=band(cost_fy), horizon=band(econ.total(econ.cost, h))),
        net_cny=Money(first_year=band(gp_fy - cost_fy), horizon=band(cum[h - 1])),
        roi_first_year=band(roi, 3) if sim.plan else Band(p10=None, p50=None, p90=None),
        payback_months=band(payback, 1),
        p_payback_within_horizon=round(float(np.mean(np.isfinite(payback))), 4),
        cashflow=[
            CashMonth(
                month=k + 1,
                cost=band_of(months[0, :, k]),
                gross_profit=band_of(months[1, :, k]),
                cumulative_net=band_of(months[2, :, k]),
            )
            for k in range(h)
        ],
    )


def _cost(sim: model.PlanSim, econ: Economics) -> CostOut:
    return CostOut(
        setup=band(sim.setup[0]), monthly=band(sim.monthly[0]), first_year=band(econ.total(econ.cost, 12))
    )


def _ramp(sim: model.PlanSim) -> RampOut:
    return RampOut(operational=band(sim.operational[0], 1), steady_state=band(sim.steady_state[0], 1))


def _effect_text(firing: Firing, module: Module, lang: Lang, assumptions: AssumptionSet, as_of: date) -> str:
    return "; ".join(
        part
        for e in firing.effects
        if e.module == module
        for part in describe_effect(e, lang, _delta(firing, e, assumptions, as_of))
    )


def _delta(firing: Firing, effect, assumptions: AssumptionSet, as_of: date) -> float | None:
    return assumptions.effect(firing.rule.id, effect.module).mode_at(as_of) if effect.fit else None


def _reasons(fit: Fit, module: Module, lang: Lang, assumptions: AssumptionSet, as_of: date) -> list[Reason]:
    return [
        Reason(
            rule=f.rule.id,
            label=f.rule.label[lang],
            text=f.rule.text(lang),
            effect=_effect_text(f, module, lang, assumptions, as_of),
            sources=list(f.sources),
        )
        for f in fit.firings
        if any(e.module == module for e in f.effects)
    ]


def _refs(param: Param) -> list[str]:
    return [x.seed or x.url or f"estimate: {x.estimate}" for x in param.references]  # type: ignore[misc]


def _items(r: Ranking, sim: model.PlanSim, lang: Lang) -> list[Item]:
    """Cost breakdown of a plan: one-time and monthly items per module at its level, and the pay of hires per
    role (platform fees and agents' commission are netted out of the gross profit, not listed here)."""
    rows: list[Item] = []

    def add(
        module: Module | None, kind: str, key: str, label: str, unit: str, values: np.ndarray, refs: list[str]
    ) -> None:
        p10, p50, p90 = (round(float(v), 2) for v in np.percentile(values, [10, 50, 90]))
        rows.append(
            Item(
                module=module,
                kind=kind,
                item=key,
                label=label,
                unit=unit,
                p10=p10,
                p50=p50,
                p90=p90,
                references=refs,
            )
        )

    new = model.modules_of(sim.mask)
    sections = (
        ("setup", "setup", "CNY"),
        ("monthly", "monthly", "CNY/month"),
        ("seat", "per_seat", "CNY/month"),
    )
    for m in new:
        a, s = r.assumptions.modules[m], r.sims[m]
        for kind, section, unit in sections:
            items = {"setup": s.setup_items, "monthly": s.monthly_items, "seat": s.seat_items}[kind]
            params = getattr(a, section)
            for key, values in items.items():
                add(m, kind, key, getattr(params[key].label, lang), unit, values[0], _refs(params[key]))
    if not new:
        return rows
    pay = model.salaries(r.cohort, r.draws)
    full = r.table.role_fte[sim.mask][:, 0]
    weight = {role: full[i] * pay[role][0] for i, role in enumerate(model.ROLES)}
    total = sum(weight.values(), np.zeros(r.draws.n))
    cost = r.table.staff_cost[sim.mask][0]
    salaries = r.assumptions.salaries.tier1_monthly
    with np.errstate(divide="ignore", invalid="ignore"):
        for role, w in weight.items():
            share = np.where(total > 0, w / total, 0.0) * cost
            if np.median(share) <= 0:  # a role the typical draw does not hire for
                continue
            label = t("item.staff", lang, role=t(f"role.{role}", lang))
            add(None, "staff", role, label, "CNY/month", share, _refs(salaries[role]))
    return rows


def _module_timing(module: Module, plan: Plan, sim: model.PlanSim) -> dict[str, Band]:
    """When an adopted module starts, becomes operational and reaches steady state (weeks from plan start)."""
    phase = next((i for i, ph in enumerate(plan) if module in ph), None)
    if phase is None:
        return {}
    return {
        "start_week": band(sim.phase_starts[phase][0], 1),
        "operational_week": band(sim.module_operational[module][0], 1),
        "steady_state_week": band(sim.module_steady[module][0], 1),
    }


def win_text(p: float, lang: Lang) -> str:
    key = "very_likely" if p >= 0.8 else "likely" if p >= 0.5 else "toss_up" if p >= 0.3 else "unlikely"
    return t(f"win.{key}", lang)


def _warnings(r: Ranking, sim: model.PlanSim, econ: Economics, forced: bool, lang: Lang) -> list[WarningOut]:
    p = r.profile
    out: list[WarningOut] = []
    if forced:
        out.append(WarningOut(code="forced_plan", text=t("warning.forced_plan", lang)))
        low = [m for m in model.modules_of(sim.mask) if m in r.below_threshold]
        if low:
            names = ", ".join(module_name(m, lang, r.as_of) for m in low)
            out.append(
                WarningOut(
                    code="module_below_threshold",
                    text=t("warning.module_below_threshold", lang, modules=names),
                )
            )
    if not sim.plan:
        out.append(WarningOut(code="nothing_new", text=t("warning.nothing_new", lang)))
    scale = model.merchant_scale(p, r.assumptions, r.as_of)
    if scale.gmv_inferred or scale.reach_inferred:
        out.append(
            WarningOut(
                code="scale_inferred",
                text=t(
                    "warning.scale_inferred",
                    lang,
                    gmv=amount(scale.current_monthly_gmv_cny, lang),
                    reach=amount(scale.reachable_customers, lang),
                ),
            )
        )
    required = float(np.median(sim.required_fte))
    shortfall = float(np.median(sim.shortfall_fte))
    hires = float(np.median(sim.hired_fte))
    if hires > 0.05:
        out.append(
            WarningOut(
                code="hires_needed",
                text=t("warning.hires_needed", lang, hires=f"{hires:.1f}", available=f"{p.staff_fte:g}"),
            )
        )
    if shortfall > 0.05:
        out.append(
            WarningOut(
                code="staffing_shortfall",
                text=t(
                    "warning.staffing_shortfall",
                    lang,
                    required=f"{required:.1f}",
                    available=f"{p.staff_fte:g}",
                    shortfall=f"{shortfall:.1f}",
                ),
            )
        )
    setup, monthly = float(np.median(sim.setup)), float(np.median(sim.monthly))
    for code, key, cost, budget in (
        ("budget_setup_overrun", "warning.budget_setup_overrun", setup, p.budget_setup_cny),
        ("budget_monthly_overrun", "warning.budget_monthly_overrun", monthly, p.budget_monthly_cny),
    ):
        if sim.plan and cost > budget:
            text = t(key, lang, cost=amount(cost, lang), budget=amount(budget, lang))
            out.append(WarningOut(code=code, text=text))
    if sim.plan and not np.isfinite(np.median(sim.break_even_gmv)):
        out.append(
            WarningOut(
                code="margin_below_fees",
                text=t("warning.margin_below_fees", lang, margin=f"{p.gross_margin:g}"),
            )
        )
    if sim.plan:
        share = float(np.mean(np.isfinite(econ.payback)))
        if share < 0.5:
            out.append(
                WarningOut(
                    code="payback_unlikely",
                    text=t("warning.payback_unlikely", lang, share=f"{share:.0%}", months=econ.horizon),
                )
            )
    running = set(model.modules_of(sim.mask)) | set(p.existing_modules)
    for f in r.fit.firings:
        if f.rule.warning and any(e.module in running for e in f.effects):
            out.append(
                WarningOut(
                    code=f.rule.id,
                    text=t("warning.rule", lang, label=f.rule.label[lang], text=f.rule.text(lang)),
                    sources=list(f.sources),
                )
            )
    return out


def _decision(m: Module, verdict: str, phase: int | None, r: Ranking, forced: bool, lang: Lang) -> str:
    fit = f"{r.fit.fit[m]:.2f}"
    if verdict == "keep":
        return t("decision.keep", lang)
    if phase is not None:
        return t("decision.in_plan", lang, fit=fit, phase=phase, level=t(f"level.{r.level(m)}", lang))
    if forced:
        return t("decision.forced_out", lang)
    if m in r.below_threshold:
        threshold = f"{r.assumptions.objective.min_fit.mode_at(r.as_of):.2f}"
        return t("decision.below_threshold", lang, fit=fit, threshold=threshold)
    return t("decision.not_chosen", lang, fit=fit)


def _alternatives(
    r: Ranking, set_win: np.ndarray, phasing: np.ndarray, lang: Lang, limit: int = 5
) -> list[Alternative]:
    """The best phasing of each other module set, best first."""
    order = np.argsort(-r.mean, kind="stable")
    masks = set_masks(r.plans)
    seen = {int(masks[r.chosen])}
    out: list[Alternative] = []
    for i in order:
        mask = int(masks[i])
        if mask in seen:
            continue
        seen.add(mask)
        sim = r.simulate(int(i))
        econ = economics(r, r.plans[i])
        out.append(
            Alternative(
                plan=_plan_out(r.plans[i], sim, r.profile.existing_modules, lang, r.as_of),
                mean_score=round(float(r.mean[i]), 4),
                win_probability=round(float(set_win[i]), 4),
                phasing_probability=round(float(phasing[i]), 4),
                cost_cny=_cost(sim, econ),
                ramp_weeks=_ramp(sim),
                shortfall_fte=round(float(np.median(sim.shortfall_fte)), 2),
                net_cny_first_year=band(econ.total(econ.profit - econ.cost, 12)),
                payback_months=band(econ.payback, 1),
                p_payback_within_horizon=round(float(np.mean(np.isfinite(econ.payback))), 4),
            )
        )
        if len(out) == limit:
            break
    return out


def _histogram(values: np.ndarray, bins: int = 30) -> Histogram:
    """Counts over the full range of the draws (no clipping, so the end bins hold no artificial spike)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    return Histogram(edges=[round(float(e), 2) for e in edges], counts=[int(c) for c in counts])
