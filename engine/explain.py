"""Why the recommendation is what it is, as codes and figures: what would change it (:func:`counterfactuals`,
from the one lever search in :mod:`engine.levers`) and why a close call went the way it did
(:func:`close_calls`)."""

from __future__ import annotations

import numpy as np

from engine import levers
from engine.i18n import Lang, t
from engine.plans import module_name, module_verdicts, plan_code, plan_label
from engine.profile import MODULES
from engine.ranking import Ranking, rank, set_masks
from engine.result import CloseCall, Counterfactual


def counterfactuals(
    r: Ranking, lang: Lang, draws: int = levers.SEARCH_DRAWS, found: levers.Search | None = None
) -> list[Counterfactual]:
    """What would change this: every lever whose smallest step (:func:`engine.levers.search`, the same search
    as the sensitivity flips table; ``found`` if it has run) changes the recommended plan, with how the
    modules move."""
    if found is None:
        found = levers.search(r, draws)
    kept = r.profile.existing_modules
    old = module_verdicts(found.base, kept)
    notes = {code: n for n in found.notes if n.kind == "same" for code in n.levers}
    out: list[Counterfactual] = []
    for o in found.outcomes:
        if o.step is None or o.plan is None:
            continue
        new = module_verdicts(o.plan, kept)
        effects = []
        for m in MODULES:
            p_old, p_new = old[m][1], new[m][1]
            if p_old == p_new:
                continue
            name = module_name(m, lang, r.as_of)
            if p_old is None:
                effects.append(t("counterfactual.change_adopt", lang, module=name, new=p_new))
            elif p_new is None:
                effects.append(t("counterfactual.change_drop", lang, module=name))
            else:
                effects.append(t("counterfactual.change_phase", lang, module=name, old=p_old, new=p_new))
        label = plan_label(o.plan, kept, lang, r.as_of)
        note = notes.get(o.lever.code)
        out.append(
            Counterfactual(
                change=levers.phrase(o.lever, o.step.value, lang),
                field=o.lever.code,
                value=o.step.value,
                plan=label,
                effects=effects,
                direction=o.lever.direction,
                base_value=o.lever.base,
                plan_code=plan_code(o.plan),
                note=levers.note_text(note, lang, label, r.assumptions)
                if note is not None and o.lever.direction == "down"
                else "",
            )
        )
    if not out:
        out.append(
            Counterfactual(change=t("counterfactual.none", lang), field="", value="", plan="", effects=[])
        )
    return out


def close_calls(
    r: Ranking, set_win: np.ndarray, phasing: np.ndarray, whatifs: list[Counterfactual], lang: Lang
) -> list[CloseCall]:
    """The reasons a close call went the way it did, as codes and figures (texts: ``closecall.<code>``).

    - ``simpler_within_margin``: another plan has the higher mean score, but the difference is within two
      standard errors or the tie margin (:func:`engine.ranking.choose`), and the recommended plan has fewer phases.
    - ``more_draws_elsewhere``: another module set ranks first in more draws, yet the recommended plan has the
      higher mean score: head to head, it is ahead by more when it is ahead than it is behind when behind.
    - ``phasings_pooled``: the set's win share counts all its phasings; this order is the set's best in
      fewer than half of the draws.
    - ``same_both_ways`` / ``..._noise``: a larger and a smaller team (or budget) give the same other plan;
      ``_noise`` when the unchanged merchant already gets it on the draws the what-ifs re-rank on.

    Money is risk-adjusted net in CNY (the score times the objective's cost scale, assumptions/objective.yaml)."""
    scale = float(np.asarray(r.objective.cost_scale).reshape(-1)[0])
    i = r.chosen
    masks = set_masks(r.plans)
    out: list[CloseCall] = []
    best = int(np.argmax(r.mean))
    if best != i:
        diff = r.scores[best] - r.scores[i]
        se = float(diff.std() / np.sqrt(diff.size))
        margin = max(2 * se, r.assumptions.objective.tie_margin.mode_at(r.as_of))
        out.append(
            CloseCall(
                code="simpler_within_margin",
                plan=plan_code(r.plans[best]),
                figures={
                    "gap_cny": round(float(diff.mean()) * scale),
                    "margin_cny": round(margin * scale),
                    "phases": len(r.plans[i]),
                    "other_phases": len(r.plans[best]),
                },
            )
        )
    else:
        rival = None  # the other set that ranks first most often, by its best phasing
        for j in np.argsort(-r.mean, kind="stable"):
            if (
                masks[j] != masks[i]
                and set_win[j] > set_win[i]
                and (rival is None or set_win[j] > set_win[rival])
            ):
                rival = int(j)
        if rival is not None:
            d = (r.scores[i] - r.scores[rival]) * scale
            behind, ahead = d < 0, d > 0
            out.append(
                CloseCall(
                    code="more_draws_elsewhere",
                    plan=plan_code(r.plans[rival]),
                    figures={
                        "win": round(float(set_win[i]), 4),
                        "other_win": round(float(set_win[rival]), 4),
                        "mean_cny": round(float(r.mean[i]) * scale),
                        "other_mean_cny": round(float(r.mean[rival]) * scale),
                        "share_behind": round(float(behind.mean()), 4),
                        "behind_by_cny": round(float(-d[behind].mean())) if behind.any() else 0,
                        "ahead_by_cny": round(float(d[ahead].mean())) if ahead.any() else 0,
                    },
                )
            )
    if r.plans[i] and int(np.sum(masks == masks[i])) > 1 and phasing[i] < 0.5:
        out.append(
            CloseCall(
                code="phasings_pooled",
                figures={"win": round(float(set_win[i]), 4), "phasing": round(float(phasing[i]), 4)},
            )
        )
    out += _both_ways(r, whatifs, lang)
    return out


def _both_ways(r: Ranking, whatifs: list[Counterfactual], lang: Lang) -> list[CloseCall]:
    """A what-if up and the same what-if down (more and fewer staff, a larger and a halved budget) giving the
    same plan: see :func:`close_calls`. The plan is named by the what-ifs themselves (``field`` and the
    ``up``/``down`` values lead to them), so ``plan`` stays empty."""
    p = r.profile
    centre = {"staff_fte": p.staff_fte, "budget_monthly_cny": 1.0}  # staff as a count, budget as a factor
    out: list[CloseCall] = []
    unchanged: str | None = None
    for field, mid in centre.items():
        up = [c for c in whatifs if c.field == field and float(c.value) > mid]
        down = [c for c in whatifs if c.field == field and float(c.value) < mid]
        same = next(((u, d) for u in up for d in down if u.plan == d.plan), None)
        if same is None:
            continue
        if unchanged is None:
            sub = r.draws.head(levers.SEARCH_DRAWS)
            rr = rank(p, r.assumptions, r.as_of, sub, horizon_months=int(r.objective.horizon_months))
            unchanged = plan_label(rr.plans[rr.chosen], p.existing_modules, lang, r.as_of)
        u, d = same
        out.append(
            CloseCall(
                code="same_both_ways_noise" if unchanged == u.plan else "same_both_ways",
                field=field,
                figures={"up": float(u.value), "down": float(d.value), "draws": levers.SEARCH_DRAWS},
            )
        )
    return out
