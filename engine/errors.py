"""Turn validation errors into one clear line per problem: the field, what was given, what is allowed."""

from __future__ import annotations

from pydantic import ValidationError

from engine.profile import FIELD_CHOICES, MerchantProfile


def _allowed(field: str) -> str | None:
    choices = FIELD_CHOICES.get(field)
    return ", ".join(str(c) for c in choices) if choices else None


def _range(field: str) -> str | None:
    """'a number > 0 and <= 1000' from the field's constraints, or None."""
    info = MerchantProfile.model_fields.get(field)
    if info is None:
        return None
    bounds = []
    for meta in info.metadata:
        for attr, sym in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
            value = getattr(meta, attr, None)
            if value is not None:
                bounds.append(f"{sym} {value:g}")
    if not bounds:
        return None
    kind = "an integer" if info.annotation is int else "a number"
    return f"{kind} {' and '.join(bounds)}"


def profile_problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) for each problem in a profile; the message names the allowed values or range."""
    out: list[tuple[str, str]] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        field = loc[0] if loc else "profile"
        kind = err["type"]
        given = err.get("input")
        if kind == "missing":
            msg = "is required"
            allowed = _allowed(field)
            if allowed:
                msg += f"; allowed: {allowed}"
            elif _range(field):
                msg += f"; {_range(field)}"
        elif kind == "extra_forbidden":
            msg = f"is not a profile field; allowed fields: {', '.join(MerchantProfile.model_fields)}"
        elif kind == "literal_error":
            msg = f"{given!r} is not allowed; allowed: {_allowed(field) or err['ctx'].get('expected')}"
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            msg = f"{given!r} is out of range; allowed: {_range(field) or err['msg'].lower()}"
        else:
            msg = f"{given!r}: {err['msg'].removeprefix('Value error, ')}"
            allowed = _allowed(field) or _range(field)
            if allowed and kind not in ("string_too_long",):
                msg += f"; allowed: {allowed}"
        if len(loc) > 1 and kind != "extra_forbidden":
            msg = f"item {loc[1]}: {msg}"
        out.append((field, msg))
    return out


def format_profile_error(exc: ValidationError) -> str:
    return "\n".join(f"profile field '{f}': {m}" for f, m in profile_problems(exc))
