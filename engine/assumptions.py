"""Assumptions as data with provenance, loaded strictly.

Each number in ``assumptions/`` is a :class:`Param`: a bilingual label, a unit, a distribution, dated
values (the value in force from each date on) and at least one reference (a seed line ``FILE:LINE``,
a public URL with the date it was read, or ``estimate`` with a one-line reason).

Loading is strict: unknown keys, duplicate keys, ``low > mode > high``, a missing unit or reference,
a wrong unit for its section, a missing or unexpected file are all errors naming the file and field.
:func:`check` reports every problem of a directory at once; :func:`load` raises on the first file.
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from engine.errors import AssumptionError
from engine.profile import (
    DOUYIN_LEVELS,
    MODULES,
    PRIVATE_DOMAIN_LEVELS,
    BusinessType,
    DouyinPresence,
    Module,
    PrivateDomain,
)
from engine.resources import data_dir
from engine.sources import EARLIEST_EVIDENCE, parse_cite

DEFAULT_DIR = data_dir("assumptions").resolve()  # the bundled set: the checkout's, or the wheel's copy

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


# --- strict scalars ------------------------------------------------------------------------------

MAX_MAGNITUDE = 1e12  # no assumption comes near; products of a few of them stay finite in float arithmetic
MAX_MULTIPLIER = 1000.0  # every multiplier of the model is a factor near 1 (at most tens)
MAX_ELASTICITY = 10.0  # exponents: a ratio to this power stays finite
HORIZONS: tuple[int, ...] = (12, 24, 36)  # months a plan can be judged over (objective and --horizon)
DIVIDES = " (the model divides by it)"


@dataclass(frozen=True)
class Unreadable:
    """A YAML scalar that could not be read as what it looks like (a date such as ``2020-13-01``, an integer
    of thousands of digits, a block nested too deep): kept in place so that validation reports it on its
    field and goes on to the rest of the file."""

    reason: str


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"text ({_clip(repr(value), 40)})"
    if isinstance(value, (date, datetime)):
        return f"a date ({value})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    return {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _number(value: Any) -> Any:
    """A finite number (an int or a float in the YAML; a boolean or a text is not a number)."""
    if value is None:
        return None
    if isinstance(value, Unreadable):
        raise ValueError(value.reason)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a number, got {_kind(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(
            f"must lie within ±{MAX_MAGNITUDE:g}, got an integer of {len(str(abs(value)))} digits"
        ) from None
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, got {value}")
    if abs(number) > MAX_MAGNITUDE:
        raise ValueError(f"must lie within ±{MAX_MAGNITUDE:g}, got {number:g}")
    return number


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: Any) -> Any:
    """A calendar date: a YAML date (``2024-08-01``) or such a text; not a number, a boolean or a time."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, Unreadable):
        raise ValueError(value.reason)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"'{value.strip()}' is not a valid date ({exc})") from None
    raise ValueError(f"must be a date of the form YYYY-MM-DD, got {_kind(value)}")


Number = Annotated[float, BeforeValidator(_number)]
OptionalNumber = Annotated[float | None, BeforeValidator(_number)]
Day = Annotated[date, BeforeValidator(_date)]
OptionalDay = Annotated[date | None, BeforeValidator(_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Strict):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Reference(_Strict):
    """Exactly one of ``seed`` (``FILE:LINE``), ``url`` (with ``accessed``) or ``estimate`` (a reason)."""

    seed: str | None = None
    url: str | None = None
    accessed: OptionalDay = None
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

    from_: Day = Field(alias="from")
    low: OptionalNumber = None
    mode: OptionalNumber = None
    high: OptionalNumber = None
    value: OptionalNumber = None


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
            if self.unit in ("share_of_gmv", "share", "fit") and not all(0 <= x <= 1 for x in numbers):
                raise ValueError(f"values[{i}]: a {self.unit} must lie between 0 and 1")
            if self.unit not in ("score", "fit_change") and any(x < 0 for x in numbers):
                raise ValueError(f"values[{i}]: a {self.unit} cannot be negative")
            if self.unit == "multiplier" and any(x > MAX_MULTIPLIER for x in numbers):
                raise ValueError(f"values[{i}]: a multiplier must be at most {MAX_MULTIPLIER:g}")
        dates = [v.from_ for v in self.values]
        if dates != sorted(set(dates)):
            raise ValueError("values: 'from' dates must be distinct and in increasing order")
        if dates[0] > EARLIEST_EVIDENCE:
            raise ValueError(
                f"values[0]: the first value must be in force from {EARLIEST_EVIDENCE} (the earliest evidence, "
                f"the first date a plan can be made for) or earlier, got from {dates[0]}"
            )
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


def _unit(
    unit: str,
    *,
    above: float | None = None,
    at_most: float | None = None,
    choices: tuple[float, ...] | None = None,
    why: str = "",
) -> Any:
    """A Param that must be in ``unit`` (the error lands on the parameter's own path). Parameters with a
    structural meaning also bound every number of every dated value: ``above`` (strictly: the model divides by
    it, or takes its logarithm), ``at_most``, or one of ``choices`` (a fixed value); ``why`` says why."""

    def check(param: Param) -> Param:
        if param.unit != unit:
            raise ValueError(f"unit must be '{unit}', got '{param.unit}'")
        if choices is not None and param.distribution != "fixed":
            raise ValueError(f"must be a fixed value, one of {', '.join(f'{c:g}' for c in choices)}{why}")
        for i, v in enumerate(param.values):
            for key in ("low", "mode", "high", "value"):
                x = getattr(v, key)
                if x is None:
                    continue
                if above is not None and not x > above:
                    raise ValueError(f"values[{i}].{key}: must be above {above:g}{why}, got {x:g}")
                if at_most is not None and x > at_most:
                    raise ValueError(f"values[{i}].{key}: must be at most {at_most:g}{why}, got {x:g}")
                if choices is not None and x not in choices:
                    raise ValueError(
                        f"values[{i}].{key}: must be one of {', '.join(f'{c:g}' for c in choices)}{why}, got {x:g}"
                    )
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
    channels_shelf_from: OptionalDay = None
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
    shortfall_ramp_elasticity: _unit("multiplier", at_most=MAX_ELASTICITY, why=" (an exponent)")
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
    promotion_saturation_cny: _unit("CNY/month", above=0, why=DIVIDES)
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
    orders_per_service_fte: _unit("orders/month/FTE", above=0, why=DIVIDES)
    contacts_per_seat: _unit("customers/seat", above=0, why=DIVIDES)
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

    horizon_months: _unit("months", choices=HORIZONS, why=" (the months a plan can be judged over)")
    cost_scale_floor: _unit("CNY", above=0, why=DIVIDES)
    neutral_fit: _unit("fit", above=0, why=DIVIDES)
    fit_gmv_elasticity: _unit("multiplier", at_most=MAX_ELASTICITY, why=" (an exponent)")
    base_fit: dict[Module, _unit("fit")]
    min_fit: _unit("fit")
    tie_margin: _unit("score")
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


# --- strict YAML -----------------------------------------------------------------------------


MAX_DEPTH = 32  # the bundled files nest 6 levels deep
MAX_INT_DIGITS = 100
MAX_FILE_BYTES = 4 * 1024 * 1024
_COLLECTION_START = (yaml.SequenceStartEvent, yaml.MappingStartEvent)


class TooDeep(yaml.YAMLError):
    """A block nested deeper than ``MAX_DEPTH``: the file is not read further (its field and line are kept)."""

    def __init__(self, field: str, line: int) -> None:
        self.field, self.line = field, line
        super().__init__(f"{field}: nested more than {MAX_DEPTH} levels deep (line {line})")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys, aliases and blocks nested deeper than ``MAX_DEPTH`` (before
    composing them, so neither recursion nor the scanner's cost grows with the nesting) and keeps a scalar it
    cannot read (an invalid date, a huge integer) as :class:`Unreadable`, so that validation names its field."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._path: list[str] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases (*{event.anchor}) are not allowed; write the value out",
                event.start_mark,
            )
        if isinstance(index, yaml.ScalarNode):
            part = index.value
        elif isinstance(index, int) and not isinstance(index, bool):
            part = str(index)
        else:
            part = "(key)" if parent is not None else ""
        self._path.append(_clip(part, 40))
        try:
            if len(self._path) > MAX_DEPTH and self.check_event(*_COLLECTION_START):
                field = ".".join(p for p in self._path[1:5] if p) + "…"
                raise TooDeep(field, self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._path.pop()


def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        return Unreadable(f"'{_clip(node.value, 40)}' is not a valid date ({exc})")


def _int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    if len(node.value) > MAX_INT_DIGITS:
        return Unreadable(
            f"an integer of {len(node.value)} digits is out of range (at most ±{MAX_MAGNITUDE:g})"
        )
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        return Unreadable(f"'{_clip(node.value, 40)}' is not a valid integer")


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
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:int", _int)


class FileProblem(ValueError):
    """A path where an assumptions file belongs that is not a readable regular file (the message says what)."""


_KINDS = (
    (stat.S_ISDIR, "is a directory, not a file"),
    (stat.S_ISFIFO, "is a FIFO (named pipe), not a regular file"),
    (stat.S_ISCHR, "is a character device, not a regular file"),
    (stat.S_ISBLK, "is a block device, not a regular file"),
    (stat.S_ISSOCK, "is a socket, not a regular file"),
)


def _link_note(path: Path) -> str:
    try:
        return f" (a symlink to {_clip(os.readlink(path), 120)})" if path.is_symlink() else ""
    except OSError:
        return ""


def _stat(path: Path) -> os.stat_result:
    """``os.stat`` of a path where an assumptions file belongs, or :class:`FileProblem` saying what is wrong."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise FileProblem(f"is a dangling symlink{_link_note(path)}: its target does not exist") from None
        raise FileProblem("file is missing") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileProblem("is a symlink loop (a symlink that leads back to itself)") from None
        if exc.errno == errno.ENOTDIR:
            raise FileProblem("cannot be read: a folder on its path is a file") from None
        raise FileProblem(f"cannot be read ({exc.strerror})") from None


def _regular(mode: int, path: Path) -> None:
    for test, what in _KINDS:
        if test(mode):
            raise FileProblem(f"{what}{_link_note(path)}")
    if not stat.S_ISREG(mode):
        raise FileProblem(f"is not a regular file{_link_note(path)}")


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file. A directory, FIFO, device or socket is a :class:`FileProblem` and is never
    read: it is checked before it is opened, and opened non-blocking (so a FIFO swapped in meanwhile cannot
    hang) and checked again."""
    _regular(_stat(path).st_mode, path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FileProblem(f"cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        _regular(info.st_mode, path)
        if info.st_size > MAX_FILE_BYTES:
            raise FileProblem(f"is too large ({info.st_size} bytes; at most {MAX_FILE_BYTES} bytes)")
        try:
            data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise FileProblem(f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(f"is too large (more than {MAX_FILE_BYTES} bytes)")
    return data


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, rejecting duplicate keys, aliases and deep nesting (:class:`FileProblem` if it is
    not a regular file)."""
    return parse_yaml(_read_bytes(path))


def parse_yaml(data: bytes) -> Any:
    """Parse the bytes of one YAML file as :func:`read_yaml` does (UTF-8; ``UnicodeDecodeError`` otherwise)."""
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(f"is too large ({len(data)} bytes; at most {MAX_FILE_BYTES} bytes)")
    loader = _UniqueKeyLoader(data.decode("utf-8"))
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _one_line(text: str, size: int = 600) -> str:
    """A problem as one printable line: control characters escaped, clipped."""
    return _clip("".join(c if c.isprintable() else repr(c)[1:-1] for c in text), size)


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


@dataclass(frozen=True)
class Overlay:
    """Files that take the place of a directory's own (``files``: layout name → bytes) and values set on top of
    them (``edits``: layout name → {field path in the file → the parameter's new keys, e.g.
    ``{"distribution": "fixed", "values": [...]}``}). Both are checked exactly as a directory's files are."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    edits: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)


def _load_file(
    root: Path, rel: str, model: type[BaseModel], problems: list[str], overlay: Overlay | None = None
) -> BaseModel | None:
    found = len(problems)
    try:
        return _validate_file(root, rel, model, problems, overlay)
    except RecursionError:
        problems.append(f"{rel}: nested too deeply to be read")
        return None
    finally:
        problems[found:] = [_one_line(p) for p in problems[found:]]


def _validate_file(
    root: Path, rel: str, model: type[BaseModel], problems: list[str], overlay: Overlay | None = None
) -> BaseModel | None:
    path = root / rel
    try:
        given = overlay.files.get(rel) if overlay is not None else None
        data = parse_yaml(given) if given is not None else read_yaml(path)
    except FileProblem as exc:
        problems.append(f"{rel}: {exc}")
        return None
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
    if overlay is not None and overlay.edits.get(rel):
        data = _edited(rel, data, overlay.edits[rel], problems)
        if data is None:
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


def _edited(rel: str, data: dict, edits: Mapping[str, Mapping[str, Any]], problems: list[str]) -> dict | None:
    """``data`` (a file as parsed) with the parameters at ``edits``' field paths given new keys; a path that
    names no parameter is a problem of that file and field."""
    import copy

    out = copy.deepcopy(data)
    ok = True
    for where, keys in edits.items():
        node: Any = out
        for part in where.split("."):
            key = next((k for k in node if str(k) == part), None) if isinstance(node, dict) else None
            if key is None:
                node = None
                break
            node = node[key]
        if not isinstance(node, dict) or "values" not in node:
            problems.append(f"{rel}: {where}: no such parameter in this file")
            ok = False
            continue
        node.update(keys)
    return out if ok else None


def check(directory: str | Path, overlay: Overlay | None = None) -> list[str]:
    """Every problem in an assumptions directory (empty list when it is valid); with ``overlay``, of the
    directory with those files in place of its own and those values set."""
    root = Path(directory)
    if not root.is_dir():
        return [f"{directory}: not a directory"]
    problems: list[str] = []
    for rel, (_, model) in _LAYOUT.items():
        _load_file(root, rel, model, problems, overlay)
    return problems + _unexpected_files(root) + _unexpected_overlay(overlay)


def _unexpected_overlay(overlay: Overlay | None) -> list[str]:
    if overlay is None:
        return []
    names = [*overlay.files, *overlay.edits]
    return [
        _one_line(f"{rel}: unexpected file (expected: {', '.join(_LAYOUT)})")
        for rel in names
        if rel not in _LAYOUT
    ]


def layout() -> tuple[str, ...]:
    """The files of an assumption set (paths relative to its directory), in order."""
    return tuple(_LAYOUT)


def file_of(path: str) -> tuple[str, str] | None:
    """The file of an assumption set that holds the parameter at a dotted path, and its field path in that
    file: ``salaries.tier1_monthly.host`` → (``salaries.yaml``, ``tier1_monthly.host``); None if no file does."""
    for rel, (key, _) in _LAYOUT.items():
        if path.startswith(key + "."):
            return rel, path.removeprefix(key + ".")
    return None


def _yaml_paths(root: Path) -> list[Path]:
    try:
        return sorted(root.rglob("*.y*ml"))
    except OSError:  # an unreadable sub-folder: the expected files report themselves
        return []


def _unexpected_files(root: Path) -> list[str]:
    out = []
    for path in _yaml_paths(root):
        rel = path.relative_to(root).as_posix()
        if rel in _LAYOUT:
            continue
        try:
            _stat(path)
            what = ""
        except FileProblem as exc:
            what = f"{exc}; "
        out.append(_one_line(f"{rel}: {what}unexpected file (expected: {', '.join(_LAYOUT)})"))
    return out


def _stamp(path: Path) -> tuple[str, int, int]:
    try:
        info = os.stat(path)
    except OSError:  # reported by the loader
        return (path.as_posix(), -1, -1)
    return (path.as_posix(), info.st_mtime_ns, info.st_size)


@cache
def _load_cached(directory: str, label: str, stamp: tuple[tuple[str, int, int], ...]) -> AssumptionSet:
    return _assemble(Path(directory), label)


def load_overlay(overlay: Overlay, label: str, directory: str | Path | None = None) -> AssumptionSet:
    """The assumption set of ``directory`` (default: the bundled one) with ``overlay`` on top, checked as
    :func:`check` checks it (:class:`AssumptionError` with every problem). Not cached: callers key it."""
    return _assemble(Path(directory) if directory is not None else DEFAULT_DIR, label, overlay)


def _assemble(root: Path, label: str, overlay: Overlay | None = None) -> AssumptionSet:
    problems: list[str] = []
    parts: dict[str, BaseModel | None] = {}
    for rel, (key, model) in _LAYOUT.items():
        parts[key] = _load_file(root, rel, model, problems, overlay)
    problems += [p for p in _unexpected_files(root)] + _unexpected_overlay(overlay)
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
    stamp = tuple(_stamp(p) for p in _yaml_paths(root))
    label = "bundled" if root.resolve() == DEFAULT_DIR else str(directory)
    return _load_cached(str(root.resolve()), label, stamp)
