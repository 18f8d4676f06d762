"""User overrides of the key assumptions: multipliers on salary level, SaaS/development prices, promotion spend and
the sales potential of the modules (returns).

Overrides make a new assumption set (``Param.scaled`` copies); the shared set is never changed.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from engine.assumptions import AssumptionSet, Param

# Which parameters each override scales (dotted paths as in ``AssumptionSet.params()``).
TARGETS: dict[str, tuple[str, ...]] = {
    "salary": ("salaries.tier1_monthly.",),
    "saas": (
        "modules.miniprogram.setup.mall_build",
        "modules.miniprogram.monthly.saas_subscription",
        "modules.miniprogram.monthly.servers_and_plugins",
        "modules.wecom.setup.scrm_onboarding",
        "modules.wecom.per_seat.scrm_seat",
    ),
    "promotion": (
        "modules.channels.monthly.promotion",
        "modules.shop.monthly.promotion",
        "modules.miniprogram.monthly.member_incentives",
    ),
    "returns": (
        "returns.channels_share_of_current_gmv",
        "returns.channels_base_gmv_cny",
        "returns.channels_contact_orders",
        "returns.agent_monthly_gmv",
        "returns.shop_organic_share",
        "returns.shop_contact_orders",
        "returns.shelf_migration_share",
        "returns.mall_contact_orders",
        "returns.wecom_contact_orders",
    ),
}


class Overrides(BaseModel):
    """Multipliers (1 = as in the assumptions) a consultant can set for a client."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    salary: float = Field(1.0, gt=0.1, le=10, description="multiplier on every salary")
    saas: float = Field(
        1.0, gt=0.1, le=10, description="multiplier on SaaS subscriptions, mall builds and SCRM"
    )
    promotion: float = Field(1.0, ge=0, le=10, description="multiplier on promotion spend and member perks")
    returns: float = Field(
        1.0, ge=0, le=4, description="multiplier on every module's sales potential (the GMV it can bring)"
    )

    @field_validator("*", mode="before")
    @classmethod
    def _finite(cls, value: object, info: ValidationInfo) -> object:
        """NaN and infinities are not multipliers: say so, rather than that they are out of range."""
        if isinstance(value, float) and not math.isfinite(value):
            field = cls.model_fields[info.field_name]
            bounds = [
                f"{sym} {getattr(m, attr):g}"
                for m in field.metadata
                for attr, sym in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))
                if getattr(m, attr, None) is not None
            ]
            raise PydanticCustomError(
                "finite_number",
                "{value} is not a finite number; allowed: a multiplier {bounds}",
                {"value": str(value), "bounds": " and ".join(bounds)},
            )
        return value

    def active(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v != 1.0}


def apply(assumptions: AssumptionSet, overrides: Overrides) -> AssumptionSet:
    """A new assumption set with the overrides applied (the input set is not modified)."""
    active = overrides.active()
    if not active:
        return assumptions
    data = assumptions.model_copy(deep=True)
    for key, factor in active.items():
        for path, param in assumptions.params():
            if any(path == t or (t.endswith(".") and path.startswith(t)) for t in TARGETS[key]):
                _set(data, path, param.scaled(factor))
    label = ", ".join(f"{k} ×{v:g}" for k, v in active.items())
    return AssumptionSet.model_validate(
        {**data.model_dump(by_alias=True), "source": f"{assumptions.source} + overrides ({label})"}
    )


def _set(root: AssumptionSet, path: str, value: Param) -> None:
    """Replace the parameter at ``path`` inside a deep copy (dicts are mutable; models are rebuilt later)."""
    *parents, last = path.split(".")
    node: object = root
    for part in parents:
        node = node[_key(node, part)] if isinstance(node, dict) else getattr(node, part)
    if isinstance(node, dict):
        node[_key(node, last)] = value
    else:
        object.__setattr__(node, last, value)


def _key(mapping: dict, part: str) -> object:
    return next(k for k in mapping if str(k) == part)
