"""Assumptions as data with provenance, loaded strictly.

Each number in ``assumptions/`` is a :class:`Param`: a bilingual label, a unit, a distribution, dated
values (the value in force from each date on) and at least one reference (a seed line ``FILE:LINE``,
a public URL with the date it was read, or ``estimate`` with a one-line reason).

Loading is strict: unknown keys, duplicate keys, ``low > mode > high``, a missing unit or reference,
a wrong unit for its section, a missing or unexpected file are all errors naming the file and field.
:func:`check` reports every problem of a directory at once; :func:`load` raises on the first file.
"""

from __future__ import annotations

from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.profile import (
    DOUYIN_LEVELS,
    MODULES,
    PRIVATE_DOMAIN_LEVELS,
    BusinessType,
    DouyinPresence,
    Module,
    PrivateDomain,
)
from engine.sources import parse_cite

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "assumptions"

Role = Literal["host", "live_ops", "content", "shop_ops", "customer_service", "private_domain_ops"]
Unit = Literal[
    "CNY",
    "CNY/month",
    "CNY/year",
    "CNY/month/seat",
    "CNY/month/FTE",
    "share_of_gmv",
    "FTE",
    "weeks",
    "multiplier",
    "share",
    "score",
    "fit",
    "fit_change",
    "months",
    "customers",
    "customers/seat",
    "orders/month/customer",
    "orders/month/FTE",
    "CNY/month/agent",
]
Level = Literal["lean", "standard", "scaled"]
LEVELS: tuple[Level, ...] = Level.__args__


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Reference(_Strict):
    """Exactly one of ``seed`` (``FILE:LINE``), ``url`` (with ``accessed``) or ``estimate`` (a reason)."""

    seed: str | None = None
    url: str | None = None
    accessed: date | None = None
    title: str | None = None
    estimate: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        kinds = [k for k in ("seed", "url", "estimate") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("a reference needs exactly one of 'seed', 'url' or 'estimate'")
        if self.seed:
            parse_cite(self.seed)
        if self.url:
            if not self.url.startswith(("https://", "http://")):
                raise ValueError(f"url '{self.url}' must start with https:// or http://")
            if self.accessed is None:
                raise ValueError("a url reference needs 'accessed' (the date it was read)")
        if self.estimate is not None and len(self.estimate.strip()) < 10:
            raise ValueError("an 'estimate' reference needs a one-line reason")
        return self

    @property
    def kind(self) -> str:
        return "seed" if self.seed else "url" if self.url else "estimate"


class DatedValue(_Strict):
    """A value in force from ``from`` on: ``low``/``mode``/``high`` (pert), ``low``/``high``
    (interval90, a 90 % interval) or ``value`` (fixed)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    value: float | None = None


class Param(_Strict):
    label: Text
    unit: Unit
    distribution: Literal["pert", "interval90", "fixed"]
    values: list[DatedValue] = Field(min_length=1)
    references: list[Reference] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _check_values(self) -> Self:
        needed = {"pert": ("low", "mode", "high"), "interval90": ("low", "high"), "fixed": ("value",)}
        need = needed[self.distribution]
        for i, v in enumerate(self.values):
            given = tuple(k for k in ("low", "mode", "high", "value") if getattr(v, k) is not None)
            if given != need:
                raise ValueError(
                    f"values[{i}]: a {self.distribution} value needs exactly {', '.join(need)}"
                    f" (got {', '.join(given) or 'nothing'})"
                )
            numbers = [getattr(v, k) for k in need]
            if numbers != sorted(numbers):
                raise ValueError(f"values[{i}]: need {' <= '.join(need)}, got {', '.join(map(str, numbers))}")
            if self.unit in ("share_of_gmv", "share") and not all(0 <= x <= 1 for x in numbers):
                raise ValueError(f"values[{i}]: a {self.unit} must lie between 0 and 1")
            if self.unit not in ("score", "fit_change") and any(x < 0 for x in numbers):
                raise ValueError(f"values[{i}]: a {self.unit} cannot be negative")
        dates = [v.from_ for v in self.values]
        if dates != sorted(set(dates)):
            raise ValueError("values: 'from' dates must be distinct and in increasing order")
        return self

    def at(self, as_of: date) -> DatedValue:
        """The value in force on ``as_of``."""
        current = [v for v in self.values if v.from_ <= as_of]
        if not current:
            raise ValueError(f"no value in force on {as_of} (first value from {self.values[0].from_})")
        return current[-1]

    def mode_at(self, as_of: date) -> float:
        """The most likely value on ``as_of`` (mode, midpoint of a 90 % interval, or the fixed value)."""
        v = self.at(as_of)
        if self.distribution == "fixed":
            return float(v.value)  # type: ignore[arg-type]
        if self.distribution == "pert":
            return float(v.mode)  # type: ignore[arg-type]
        return float(np.sqrt(v.low * v.high)) if v.low > 0 else (v.low + v.high) / 2  # type: ignore[operator]

    def draw(self, rng: np.random.Generator, n: int, as_of: date) -> np.ndarray:
        from engine.distributions import pert, to

        v = self.at(as_of)
        if self.distribution == "fixed":
            return np.full(n, float(v.value))  # type: ignore[arg-type]
        if self.distribution == "pert":
            return pert(rng, v.low, v.mode, v.high, n)  # type: ignore[arg-type]
        return to(rng, v.low, v.high, n)  # type: ignore[arg-type]

    def scaled(self, factor: float) -> Param:
        """A copy with every value multiplied by ``factor`` (for user overrides); the original is untouched."""
        values = [
            v.model_copy(
                update={
                    k: getattr(v, k) * factor
                    for k in ("low", "mode", "high", "value")
                    if getattr(v, k) is not None
                }
            )
            for v in self.values
        ]
        note = f"{self.note + '; ' if self.note else ''}scaled ×{factor:g} by user override"
        return self.model_copy(update={"values": values, "note": note})


def _unit(unit: str) -> Any:
    """A Param that must be in ``unit`` (the error lands on the parameter's own path)."""

    def check(param: Param) -> Param:
        if param.unit != unit:
            raise ValueError(f"unit must be '{unit}', got '{param.unit}'")
        return param

    return Annotated[Param, AfterValidator(check)]


class _Section(_Strict):
    """A group of parameters; ``REQUIRED_KEYS`` lists the keys a mapping field must have."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[object, ...]]] = {}

    @field_validator("*", mode="after")
    @classmethod
    def _required_keys(cls, value: Any, info: ValidationInfo) -> Any:
        missing = [str(k) for k in cls.REQUIRED_KEYS.get(info.field_name or "", ()) if k not in value]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        return value


class Ramp(_Section):
    operational_weeks: _unit("weeks")
    steady_state_extra_weeks: _unit("weeks")
    concurrent_weight: _unit("multiplier")  # how much this module slows others started in the same phase


class LevelFactors(_Section):
    """How an operating level scales a module: discretionary spend, staffing, sales potential and ramp."""

    spend: _unit("multiplier")
    staffing: _unit("multiplier")
    reach: _unit("multiplier")
    ramp: _unit("multiplier")


ProfileDriver = Literal["douyin_presence", "private_domain", "shelf_experience"]


class Reuse(_Strict):
    """What a merchant's existing operation lends a module: ``by`` the profile trait, lowering the module's
    discretionary set-up (``setup``, or only ``setup_items``) and the staffing of ``roles``."""

    by: Literal["douyin_presence", "private_domain", "shelf_platforms"]
    setup: bool = False
    setup_items: list[str] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)


class Traits(_Strict):
    """What a module is, as facts rather than branches: whether it is a shelf and from when Channels can sell
    through it, whether it brings traffic, what speeds its ramp, what it reuses, what its seats count."""

    shelf: bool
    channels_shelf_from: date | None = None
    brings_traffic: bool
    ramp_driver: ProfileDriver
    reuse: Reuse | None = None
    seats_hold_contacts: bool = False

    @model_validator(mode="after")
    def _shelf_date(self) -> Self:
        if self.channels_shelf_from is not None and not self.shelf:
            raise ValueError("channels_shelf_from is only for a shelf")
        return self


class ModuleAssumptions(_Section):
    """Costs, staffing, ramp and operating levels of one module. Seat items are priced per seat (at least one
    per FTE working the module; WeCom also by the contacts it holds)."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[object, ...]]] = {"levels": LEVELS}

    module: Module
    description: Text
    traits: Traits
    setup: dict[str, _unit("CNY")] = Field(default_factory=dict)
    monthly: dict[str, _unit("CNY/month")] = Field(default_factory=dict)
    per_seat: dict[str, _unit("CNY/month/seat")] = Field(default_factory=dict)
    gmv_share: dict[str, _unit("share_of_gmv")] = Field(default_factory=dict)
    staffing: dict[Role, _unit("FTE")] = Field(min_length=1)
    ramp: Ramp
    levels: dict[Level, LevelFactors]


class Salaries(_Section):
    """Monthly salary per FTE by role in a tier-1 city; tier multipliers and employer on-costs."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[object, ...]]] = {
        "tier1_monthly": Role.__args__,
        "tier_multiplier": (1, 2, 3),
    }

    tier1_monthly: dict[Role, _unit("CNY/month/FTE")]
    tier_multiplier: dict[Literal[1, 2, 3], _unit("multiplier")]
    employer_on_cost: _unit("multiplier")


class Adjustments(_Section):
    """How the profile shapes ramp, staffing and discretionary spend."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[object, ...]]] = {
        "channels_ramp_by_douyin": DOUYIN_LEVELS,
        "private_ramp_by_private_domain": PRIVATE_DOMAIN_LEVELS,
        "channels_reuse_by_douyin": DOUYIN_LEVELS,
        "wecom_reuse_by_private_domain": PRIVATE_DOMAIN_LEVELS,
    }

    channels_ramp_by_douyin: dict[DouyinPresence, _unit("multiplier")]
    private_ramp_by_private_domain: dict[PrivateDomain, _unit("multiplier")]
    shop_ramp_with_shelf_experience: _unit("multiplier")
    role_overlap: _unit("share")
    shortfall_ramp_elasticity: _unit("multiplier")
    channels_reuse_by_douyin: dict[DouyinPresence, _unit("multiplier")]
    wecom_reuse_by_private_domain: dict[PrivateDomain, _unit("multiplier")]
    shop_content_reuse_with_shelf: _unit("multiplier")
    concurrent_ramp_drag: _unit("multiplier")
    defer_ramp_stretch: _unit("multiplier")
    hiring_lag_weeks: _unit("weeks")


class Returns(_Section):
    """What a plan earns: each module's GMV potential at steady state and what the merchant keeps of it."""

    channels_share_of_current_gmv: _unit("share")
    channels_base_gmv_cny: _unit("CNY/month")
    channels_contact_orders: _unit("orders/month/customer")
    mall_channels_conversion: _unit("share")
    promotion_roas: _unit("multiplier")
    promotion_saturation_cny: _unit("CNY/month")
    promotion_budget_share: _unit("share")
    agent_monthly_gmv: _unit("CNY/month/agent")
    agent_active_share: _unit("share")
    daihuoren_share_of_agent_gmv: _unit("share")
    agent_commission: _unit("share_of_gmv")
    shop_organic_share: _unit("share")
    shop_contact_orders: _unit("orders/month/customer")
    shelf_migration_share: _unit("share")
    mall_contact_orders: _unit("orders/month/customer")
    wecom_contact_orders: _unit("orders/month/customer")
    private_order_value_uplift: _unit("multiplier")
    return_rate_public: _unit("share")
    return_rate_private: _unit("share")
    capture_rate: _unit("share")
    capture_months: _unit("months")
    shelf_overlap: _unit("share")
    orders_per_service_fte: _unit("orders/month/FTE")
    contacts_per_seat: _unit("customers/seat")
    agent_seat_share: _unit("share")


class Scale(_Section):
    """Defaults for a merchant's scale when the profile does not give it (shown to the user as used)."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[object, ...]]] = {
        "current_gmv_per_budget_yuan": BusinessType.__args__,
        "reachable_customers_by_private_domain": PRIVATE_DOMAIN_LEVELS,
        "reachable_customers_by_business_type": BusinessType.__args__,
    }

    current_gmv_per_budget_yuan: dict[BusinessType, _unit("multiplier")]
    reachable_customers_by_private_domain: dict[PrivateDomain, _unit("customers")]
    reachable_customers_by_business_type: dict[BusinessType, _unit("multiplier")]


Weight = Literal["downside", "budget_overrun", "staff_shortfall"]


class Objective(_Section):
    """The transparent objective that ranks plans (see README, "How the model works")."""

    REQUIRED_KEYS: ClassVar[dict[str, tuple[object, ...]]] = {"base_fit": MODULES, "weights": Weight.__args__}

    horizon_months: _unit("months")
    cost_scale_floor: _unit("CNY")
    neutral_fit: _unit("fit")
    fit_gmv_elasticity: _unit("multiplier")
    base_fit: dict[Module, _unit("fit")]
    min_fit: _unit("fit")
    weights: dict[Weight, _unit("score")]


class RuleEffects(_Section):
    """How much each rule moves a module's fit: ``effects[rule id][module]`` (the rules in engine/rules.py
    say which modules they move and in which direction; the size is data)."""

    effects: dict[str, dict[Module, _unit("fit_change")]]


class AssumptionSet(_Strict):
    modules: dict[Module, ModuleAssumptions]
    salaries: Salaries
    adjustments: Adjustments
    returns: Returns
    scale: Scale
    objective: Objective
    rules: RuleEffects
    source: str = "default"

    def effect(self, rule: str, module: str) -> Param:
        """The fit change of ``rule`` on ``module`` (a missing one is an error in the set, see check_rules)."""
        return self.rules.effects[rule][module]  # type: ignore[index]

    @cached_property
    def param_map(self) -> dict[str, Param]:
        """Every parameter by dotted path (computed once per set)."""
        return dict(self.params())

    def params(self) -> list[tuple[str, Param]]:
        """Every parameter with its dotted path (file.section.key), for listings and checks."""
        out: list[tuple[str, Param]] = []

        def walk(prefix: str, node: Any) -> None:
            if isinstance(node, Param):
                out.append((prefix, node))
            elif isinstance(node, BaseModel):
                for name in type(node).model_fields:
                    walk(f"{prefix}.{name}" if prefix else name, getattr(node, name))
            elif isinstance(node, dict):
                for key, value in node.items():
                    walk(f"{prefix}.{key}", value)

        walk("", self.model_copy(update={"source": ""}))
        return out


class AssumptionError(ValueError):
    """Problems found in an assumptions directory; ``problems`` lists each as 'file: field: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


# --- strict YAML -----------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    pass


def _mapping_no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a plain value, got {type(key).__name__}", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_no_duplicates)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, rejecting duplicate keys."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)


# --- loading ---------------------------------------------------------------------------------

_LAYOUT: dict[str, tuple[str, type[BaseModel]]] = {
    **{f"modules/{m}.yaml": (f"modules.{m}", ModuleAssumptions) for m in MODULES},
    "salaries.yaml": ("salaries", Salaries),
    "adjustments.yaml": ("adjustments", Adjustments),
    "returns.yaml": ("returns", Returns),
    "scale.yaml": ("scale", Scale),
    "objective.yaml": ("objective", Objective),
    "rules.yaml": ("rules", RuleEffects),
}


def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _load_file(root: Path, rel: str, model: type[BaseModel], problems: list[str]) -> BaseModel | None:
    path = root / rel
    if not path.is_file():
        problems.append(f"{rel}: file is missing")
        return None
    try:
        data = read_yaml(path)
    except UnicodeDecodeError:
        problems.append(f"{rel}: not UTF-8 text; save the file as UTF-8")
        return None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).replace('in "<unicode string>", ', "").split())
        problems.append(f"{rel}: {message}")
        return None
    if not isinstance(data, dict):
        problems.append(f"{rel}: expected a mapping at the top level")
        return None
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{rel}: {_format_loc(err['loc'])}: {msg}")
        return None
    if isinstance(obj, ModuleAssumptions) and obj.module != Path(rel).stem:
        problems.append(f"{rel}: module: must be '{Path(rel).stem}' to match the file name")
        return None
    return obj


def check(directory: str | Path) -> list[str]:
    """Every problem in an assumptions directory (empty list when it is valid)."""
    root = Path(directory)
    if not root.is_dir():
        return [f"{directory}: not a directory"]
    problems: list[str] = []
    for rel, (_, model) in _LAYOUT.items():
        _load_file(root, rel, model, problems)
    return problems + _unexpected_files(root)


def _unexpected_files(root: Path) -> list[str]:
    return [
        f"{rel}: unexpected file (expected: {', '.join(_LAYOUT)})"
        for rel in sorted(p.relative_to(root).as_posix() for p in root.rglob("*.y*ml"))
        if rel not in _LAYOUT
    ]


@cache
def _load_cached(directory: str, label: str, stamp: tuple[tuple[str, int], ...]) -> AssumptionSet:
    root = Path(directory)
    problems: list[str] = []
    parts: dict[str, BaseModel | None] = {}
    for rel, (key, model) in _LAYOUT.items():
        parts[key] = _load_file(root, rel, model, problems)
    problems += [p for p in _unexpected_files(root)]
    if problems:
        raise AssumptionError(problems)
    return AssumptionSet(
        modules={m: parts[f"modules.{m}"] for m in MODULES},  # type: ignore[misc]
        salaries=parts["salaries"],  # type: ignore[arg-type]
        adjustments=parts["adjustments"],  # type: ignore[arg-type]
        returns=parts["returns"],  # type: ignore[arg-type]
        scale=parts["scale"],  # type: ignore[arg-type]
        objective=parts["objective"],  # type: ignore[arg-type]
        rules=parts["rules"],  # type: ignore[arg-type]
        source=label,
    )


def load(directory: str | Path | None = None) -> AssumptionSet:
    """Load (once per process, until a file changes) the assumption set in ``directory``."""
    root = Path(directory) if directory is not None else DEFAULT_DIR
    if not root.is_dir():
        raise AssumptionError([f"{root}: not a directory"])
    stamp = tuple(sorted((p.as_posix(), p.stat().st_mtime_ns) for p in root.rglob("*.y*ml")))
    label = "bundled" if root.resolve() == DEFAULT_DIR else str(directory)
    return _load_cached(str(root.resolve()), label, stamp)
