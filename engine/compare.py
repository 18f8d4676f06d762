"""Side-by-side comparison of several results (scenarios, profiles, or one profile under variants).

A *variant* of an assessment is a list of changes to it, each ``field<op>value``: ``staff_fte+2``,
``budget_monthly_cny*1.5``, ``douyin_presence+1`` (one level up), ``category=food``, ``plan=channels,shop>wecom``
(a forced plan), ``salary=1.2`` (an override), ``as_of=2026-01-01``, ``label=…``. Changes are relative where
they can be, so "+2 staff" stays "+2 staff" when the assessment it varies changes.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from engine.errors import Message, VariantError, msg
from engine.i18n import Lang, t
from engine.overrides import Overrides
from engine.plans import parse_plan, plan_label
from engine.profile import DOUYIN_LEVELS, FIELD_CHOICES, MODULES, PRIVATE_DOMAIN_LEVELS, MerchantProfile
from engine.result import Band, CloseCall, Recommendation
from engine.result import Output as _Out
from engine.text import clip, number

MIN_ITEMS, MAX_ITEMS = 2, 6
MAX_VARIANTS = MAX_ITEMS - 1  # the assessment itself is the first column
MAX_CHANGES = 8


class CompareRow(_Out):
    """One line of the comparison: a label and each column's value, and whether the columns differ."""

    key: str
    label: str
    values: list[str]
    differs: bool


class Comparison(_Out):
    lang: Lang
    labels: list[str]
    rows: list[CompareRow]
    results: list[Recommendation]
    # per column: why its ranking is close, what a forced plan is measured against
    notes: list[list[str]] = []  # noqa: RUF012 (a pydantic field: each model gets its own copy)


# --- variants ------------------------------------------------------------------------------------

Op = Literal["=", "+", "-", "*"]
PROFILE_FIELDS: tuple[str, ...] = tuple(f for f in MerchantProfile.model_fields if f != "name")
NUMBER_FIELDS = (
    "distributors", "staff_fte", "budget_setup_cny", "budget_monthly_cny", "avg_order_value_cny",
    "gross_margin", "current_monthly_gmv_cny", "reachable_customers",
)  # fmt: skip
WHOLE_FIELDS = ("distributors", "reachable_customers")
LEVEL_FIELDS: dict[str, tuple[str, ...]] = {
    "douyin_presence": DOUYIN_LEVELS,
    "private_domain": PRIVATE_DOMAIN_LEVELS,
}
LIST_FIELDS = ("shelf_platforms", "existing_modules")
OPTION_FIELDS = ("plan", "as_of", "label", *Overrides.model_fields)
VARIANT_FIELDS = (*PROFILE_FIELDS, *OPTION_FIELDS)
_TOKEN = re.compile(r"^\s*([a-z_]+)\s*([=+\-*]|\s(?=\d))\s*(.*?)\s*$")  # "a+1" read back as "a 1" too


class Change(_Out):
    """One change of a variant: ``field`` (a profile field, ``plan``, ``as_of``, ``label`` or an override)
    set to (``=``), raised by (``+``), lowered by (``-``) or multiplied by (``*``) ``value``; for Douyin and
    private-domain levels ``+``/``-`` step that many levels."""

    field: str
    op: Op
    value: str

    @property
    def text(self) -> str:
        return f"{self.field}{self.op}{self.value}"


class Variant(_Out):
    """A variant of an assessment: changes applied to its profile and options, in order."""

    changes: tuple[Change, ...]

    @property
    def text(self) -> str:
        return ";".join(c.text for c in self.changes)

    @property
    def label(self) -> str:
        return next((c.value for c in reversed(self.changes) if c.field == "label"), "")

    @property
    def plan(self) -> str | None:
        return next((c.value or None for c in reversed(self.changes) if c.field == "plan"), None)


class VariantInputs(_Out):
    """What a variant evaluates: the changed profile, a forced plan (None: recommend), overrides, date."""

    profile: MerchantProfile
    plan: str | None
    overrides: dict[str, float]
    as_of: date | None


def _name(field: str) -> Message | str:
    """A field's name in a message, rendered in the message's language."""
    if field in PROFILE_FIELDS:
        return msg(f"field.{field}.label")
    if field in Overrides.model_fields:
        return msg(f"ui.override.{field}")
    if field in ("plan", "as_of", "label"):
        return msg(f"variant.field.{field}")
    return clip(field)


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise VariantError(msg("error.variant.number", field=_name(field), value=clip(text))) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise VariantError(msg("error.variant.number", field=_name(field), value=clip(text)))
    return value


def change(field: str, op: str, value: object) -> Change:
    """A checked change (the field exists and takes that operation; a number where one is needed)."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    if ";" in text:
        raise VariantError(msg("error.variant.semicolon", field=_name(field)))
    if field not in VARIANT_FIELDS:
        raise VariantError(msg("error.variant.field", field=clip(field), allowed=", ".join(VARIANT_FIELDS)))
    if op not in ("=", "+", "-", "*"):
        raise VariantError(msg("error.variant.op", field=_name(field), op=clip(op)))
    if op != "=":
        steps = field in LEVEL_FIELDS and op in "+-"
        if field not in NUMBER_FIELDS and not steps:
            raise VariantError(msg("error.variant.set_only", field=_name(field)))
        number = _number(text, field)
        if steps and (number != int(number) or number < 0):
            raise VariantError(msg("error.variant.steps", field=_name(field), value=clip(text)))
    elif field in Overrides.model_fields:
        _number(text, field)
    elif field == "as_of" and text:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise VariantError(msg("error.url.as_of_format", value=clip(text))) from None
    return Change(field=field, op=op, value=text)  # type: ignore[arg-type]


def parse_variant(text: str) -> Variant:
    """Read ``staff_fte+2;budget_monthly_cny*1.5`` (see the module's docstring). Raises VariantError."""
    tokens = [part for part in text.split(";") if part.strip()]
    if not tokens:
        raise VariantError(msg("error.variant.empty"))
    if len(tokens) > MAX_CHANGES:
        raise VariantError(msg("error.variant.too_many", limit=MAX_CHANGES))
    out = []
    for token in tokens:
        m = _TOKEN.match(token)
        if m is None:
            raise VariantError(msg("error.variant.syntax", token=clip(token)))
        out.append(change(m[1], m[2].strip() or "+", m[3]))
    return Variant(changes=tuple(out))


def apply_variant(
    variant: Variant, profile: MerchantProfile, overrides: dict[str, float], as_of: date | None
) -> VariantInputs:
    """The inputs of ``variant`` of an assessment. Raises VariantError for a step off a scale or a
    relative change of a figure that was not given, and pydantic's ValidationError for a profile the model
    cannot take (e.g. no staff left)."""
    values = profile.model_dump()
    plan, ov, day = None, dict(overrides), as_of
    for c in variant.changes:
        if c.field == "plan":
            plan = c.value.strip() or None
        elif c.field == "as_of":
            day = date.fromisoformat(c.value) if c.value else as_of
        elif c.field == "label":
            continue
        elif c.field in Overrides.model_fields:
            ov[c.field] = float(c.value)
        elif c.op == "=":
            if c.field in LIST_FIELDS:
                values[c.field] = [part.strip() for part in c.value.split(",") if part.strip()]
            elif c.field in NUMBER_FIELDS and c.value == "":
                values[c.field] = None
            else:
                values[c.field] = c.value
        elif c.field in LEVEL_FIELDS:
            levels = LEVEL_FIELDS[c.field]
            at = levels.index(values[c.field]) + int(float(c.value)) * (1 if c.op == "+" else -1)
            if not 0 <= at < len(levels):
                raise VariantError(
                    msg(
                        "error.variant.off_scale",
                        field=_name(c.field),
                        value=msg(f"enum.{c.field}.{values[c.field]}"),
                    )
                )
            values[c.field] = levels[at]
        else:
            old = values[c.field]
            if old is None:
                raise VariantError(msg("error.variant.not_given", field=_name(c.field)))
            x = float(c.value)
            new = old + x if c.op == "+" else old - x if c.op == "-" else old * x
            values[c.field] = round(new) if c.field in WHOLE_FIELDS else new
    try:
        clean = Overrides.model_validate(ov).active()
    except ValueError:
        bad = next(k for k in ov if k in Overrides.model_fields)
        raise VariantError(msg("error.url.multiplier", value=clip(str(ov[bad])))) from None
    return VariantInputs(
        profile=MerchantProfile.model_validate(values), plan=plan, overrides=clean, as_of=day
    )


def _value_text(c: Change, lang: Lang) -> str:
    if c.field in FIELD_CHOICES and c.op == "=":
        values = c.value.split(",") if c.field in LIST_FIELDS else [c.value]
        shown = [t(f"enum.{c.field}.{v}", lang) for v in values if v]
        return "、".join(shown) if lang == "zh" else ", ".join(shown) or "—"
    return c.value


def _plan_text(text: str, lang: Lang) -> str:
    """A forced plan's code in words (``视频号 + 微信小店 → 企业微信``); as typed if it cannot be read."""
    if not text.strip():
        return t("variant.recommended", lang)
    try:
        modules, phases = parse_plan(text)
    except ValueError:
        return text
    return plan_label(phases or (modules,), (), lang, date.today())


def describe(variant: Variant, lang: Lang) -> str:
    """The variant's label, or its changes in words: ``员工人数 +2；月预算 ×1.5``."""
    if variant.label:
        return variant.label
    quick = next(
        (
            key
            for key, changes in QUICK_VARIANTS.items()
            if tuple(c.text for c in variant.changes) == tuple(f + o + v for f, o, v in changes)
        ),
        None,
    )
    if quick is not None:
        return t(f"quick.{quick}", lang)
    parts = []
    for c in variant.changes:
        if c.field == "label":
            continue
        if c.field in PROFILE_FIELDS:
            name = t(f"field.{c.field}.label", lang)
        elif c.field in Overrides.model_fields:
            name = t(f"ui.override.{c.field}", lang)
        else:
            name = t(f"variant.field.{c.field}", lang)
        if c.field in LEVEL_FIELDS and c.op in "+-":
            key = "variant.levels_up" if c.op == "+" else "variant.levels_down"
            parts.append(t(key, lang, field=name, n=c.value))
        elif c.field == "plan":
            parts.append(t("variant.forced", lang, plan=_plan_text(c.value, lang)))
        else:
            op = {"=": " = ", "+": " +", "-": " −", "*": " ×"}[c.op]
            parts.append(f"{name}{op}{_value_text(c, lang)}")
    return t("variant.sep", lang).join(parts)


# One-click variants (the Assess page's buttons): id → changes. "runner_up" forces the best alternative.
QUICK_VARIANTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "staff_up": (("staff_fte", "+", "2"),),
    "staff_down": (("staff_fte", "-", "1"),),
    "budget_up": (("budget_setup_cny", "*", "1.5"), ("budget_monthly_cny", "*", "1.5")),
    "budget_down": (("budget_setup_cny", "*", "0.5"), ("budget_monthly_cny", "*", "0.5")),
    "douyin_up": (("douyin_presence", "+", "1"),),
    "private_up": (("private_domain", "+", "1"),),
}


def quick_variants(rec: Recommendation) -> dict[str, Variant]:
    """The one-click variants that make sense for a result: those the profile can take (no "−1 staff" for a
    team of one, no level up from the top), and the runner-up plan forced when there is one."""
    p = rec.profile
    out: dict[str, Variant] = {}
    for key, changes in QUICK_VARIANTS.items():
        variant = Variant(changes=tuple(change(*c) for c in changes))
        try:
            apply_variant(variant, p, {}, None)
        except ValueError:  # VariantError, or a profile the model cannot take
            continue
        out[key] = variant
    if rec.alternatives and not rec.forced_plan:
        out["runner_up"] = Variant(changes=(change("plan", "=", rec.alternatives[0].plan.code),))
    return out


# --- close calls, in words ------------------------------------------------------------------------


def close_call_text(call: CloseCall, rec: Recommendation, lang: Lang) -> str:
    """One close-call explanation of ``rec`` (engine.explain.close_calls) in plain words."""
    f = call.figures
    other = call.plan
    if call.plan:
        try:
            modules, phases = parse_plan(call.plan, rec.profile.existing_modules)
            other = plan_label(phases or (modules,), rec.profile.existing_modules, lang, rec.as_of)
        except ValueError:
            pass
    money = {k: number(v) for k, v in f.items() if k.endswith("_cny")}
    shares = {k: f"{v:.0%}" for k, v in f.items() if k in ("win", "other_win", "share_behind", "phasing")}
    args: dict[str, object] = {**money, **shares, "plan": rec.plan.label, "other": other}
    if call.code.startswith("same_both_ways"):
        whatif = next(
            (c for c in rec.counterfactuals if c.field == call.field and float(c.value) == f["up"]), None
        )
        args |= {
            "field": t(f"closecall.field.{call.field}", lang),
            "other": whatif.plan if whatif else "",
            "draws": number(f["draws"]),
        }
    if call.code == "simpler_within_margin":
        args |= {"phases": f"{f['phases']:g}", "other_phases": f"{f['other_phases']:g}"}
    return t(f"closecall.{call.code}", lang, **args)


def _band(band: Band, digits: int = 0) -> str:
    return f"{number(band.p50, digits)} ({number(band.p10, digits)}–{number(band.p90, digits)})"


def _payback(band: Band, horizon: int, lang: Lang) -> str:
    """Payback month as P50 (P10–P90); a percentile beyond the horizon says so."""

    def f(v: float | None) -> str:
        return t("report.beyond_horizon", lang, months=horizon) if v is None else f"{v:g}"

    return f"{f(band.p50)} ({f(band.p10)}–{f(band.p90)})"


def _notes(rec: Recommendation, reference: Recommendation | None, lang: Lang) -> list[str]:
    """A column's notes: for a forced plan, what the engine would recommend instead; else its close calls."""
    if rec.forced_plan:
        if reference is None:
            return [t("compare.note.forced", lang, plan=rec.plan.label, win=f"{rec.win_probability:.0%}")]
        return [
            t(
                "compare.note.forced_vs",
                lang,
                plan=rec.plan.label,
                win=f"{rec.win_probability:.0%}",
                recommended=reference.plan.label,
                recommended_win=f"{reference.win_probability:.0%}",
            )
        ]
    return [close_call_text(c, rec, lang) for c in rec.close_calls]


def compare(
    items: list[tuple[str, Recommendation]],
    lang: Lang = "zh",
    references: list[Recommendation | None] | None = None,
) -> Comparison:
    """Line up 2–6 results; rows whose values differ are flagged so a page or report can highlight them.

    A forced plan is labelled as such, never as the recommendation; ``references`` (one per item, None where
    not known) give what the engine recommends for a forced item's inputs, shown in a row of its own."""
    if not MIN_ITEMS <= len(items) <= MAX_ITEMS:
        raise ValueError(f"compare needs {MIN_ITEMS} to {MAX_ITEMS} items, got {len(items)}")
    recs = [rec for _, rec in items]
    refs = list(references) if references is not None else [None] * len(recs)
    if len(refs) != len(recs):
        raise ValueError(f"{len(refs)} references for {len(recs)} items")

    def row(key: str, label: str, values: list[str]) -> CompareRow:
        return CompareRow(key=key, label=label, values=values, differs=len(set(values)) > 1)

    def recommended(r: Recommendation, ref: Recommendation | None) -> str:
        if not r.forced_plan:
            return t("compare.same_plan", lang)
        return "—" if ref is None else f"{ref.plan.label} ({ref.win_probability:.0%})"

    kinds = [t("compare.kind.forced" if r.forced_plan else "compare.kind.recommended", lang) for r in recs]
    forced_rows = (
        [
            row(
                "recommended",
                t("compare.recommended", lang),
                [recommended(r, f) for r, f in zip(recs, refs, strict=True)],
            )
        ]
        if any(r.forced_plan for r in recs)
        else []
    )
    rows = [
        row("kind", t("compare.kind", lang), kinds),
        row("plan", t("compare.plan", lang), [r.plan.label for r in recs]),
        *forced_rows,
        *(
            row(
                f"verdict.{m}",
                t(f"module.{m}.name", lang),
                [
                    t(f"verdict.{r.modules[m].verdict}", lang)
                    + (
                        f" · {t('report.phase', lang, phase=r.modules[m].phase)}"
                        if r.modules[m].phase
                        else ""
                    )
                    for r in recs
                ],
            )
            for m in MODULES
        ),
        # the money first: what each plan earns back, and when
        row(
            "value.net_first_year",
            f"{t('report.net_first_year', lang)} ({t('unit.CNY', lang)})",
            [_band(r.value.net_cny.first_year) for r in recs],
        ),
        row(
            "value.horizon",
            f"{t('compare.horizon', lang)} ({t('unit.months', lang)})",
            [str(r.value.horizon_months) for r in recs],
        ),
        row(
            "value.net_horizon",
            f"{t('compare.net_horizon', lang)} ({t('unit.CNY', lang)})",
            [_band(r.value.net_cny.horizon) for r in recs],
        ),
        row(
            "value.payback",
            t("report.payback", lang),
            [_payback(r.value.payback_months, r.value.horizon_months, lang) for r in recs],
        ),
        row(
            "value.p_payback",
            t("compare.p_payback", lang),
            [f"{r.value.p_payback_within_horizon:.0%}" for r in recs],
        ),
        row(
            "value.gmv_steady",
            f"{t('report.gmv_steady', lang)} ({t('unit.CNY/month', lang)})",
            [_band(r.value.gmv_monthly_steady_cny) for r in recs],
        ),
        row(
            "cost.setup",
            f"{t('report.setup', lang)} ({t('unit.CNY', lang)})",
            [_band(r.cost_cny.setup) for r in recs],
        ),
        row(
            "cost.monthly",
            f"{t('report.monthly', lang)} ({t('unit.CNY/month', lang)})",
            [_band(r.cost_cny.monthly) for r in recs],
        ),
        row(
            "cost.first_year",
            f"{t('report.first_year', lang)} ({t('unit.CNY', lang)})",
            [_band(r.cost_cny.first_year) for r in recs],
        ),
        row(
            "ramp.operational",
            f"{t('report.operational', lang)} ({t('unit.weeks', lang)})",
            [_band(r.ramp_weeks.operational, 1) for r in recs],
        ),
        row(
            "ramp.steady_state",
            f"{t('report.steady_state', lang)} ({t('unit.weeks', lang)})",
            [_band(r.ramp_weeks.steady_state, 1) for r in recs],
        ),
        row(
            "staffing.required",
            f"{t('report.required', lang)} ({t('unit.FTE', lang)})",
            [_band(r.staffing.required_band, 1) for r in recs],
        ),
        row(
            "staffing.available",
            f"{t('report.available', lang)} ({t('unit.FTE', lang)})",
            [f"{r.staffing.available_fte:g}" for r in recs],
        ),
        row(
            "staffing.hires",
            f"{t('report.hires', lang)} ({t('unit.FTE', lang)})",
            [f"{r.staffing.hires_fte:.1f}" for r in recs],
        ),
        row(
            "staffing.shortfall",
            f"{t('report.shortfall', lang)} ({t('unit.FTE', lang)})",
            [f"{r.staffing.shortfall_fte:.1f}" for r in recs],
        ),
        row(
            "win_probability", t("compare.win_probability", lang), [f"{r.win_probability:.0%}" for r in recs]
        ),
        row("as_of", t("report.as_of", lang), [r.as_of.isoformat() for r in recs]),
        row(
            "overrides",
            t("compare.overrides", lang),
            [", ".join(f"{k} ×{v:g}" for k, v in r.overrides.items()) or "—" for r in recs],
        ),
    ]
    return Comparison(
        lang=lang,
        labels=[label for label, _ in items],
        rows=rows,
        results=recs,
        notes=[_notes(r, f, lang) for r, f in zip(recs, refs, strict=True)],
    )
