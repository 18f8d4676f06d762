"""The merchant profile: what a merchant (or their consultant) tells wxplan about the business."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from engine.i18n import LANGS, t
from engine.text import code_point, first_invisible

Module = Literal["channels", "shop", "miniprogram", "wecom"]
MODULES: tuple[Module, ...] = get_args(Module)

BusinessType = Literal["brand", "individual", "chain_store", "social_commerce", "manufacturer"]
Category = Literal[
    "apparel",
    "food",
    "beauty",
    "home",
    "jewelry",
    "education",
    "electronics",
    "health",
    "mother_baby",
    "other",
]
DouyinPresence = Literal["none", "starting", "established", "leading"]
ShelfPlatform = Literal["taobao", "jd", "pdd"]
PrivateDomain = Literal["none", "basic", "established", "advanced"]
Goal = Literal["acquisition", "repeat", "both"]
AudienceAge = Literal["young", "mixed", "older"]
CityTier = Literal[1, 2, 3]

# Ordered levels, used by rules and counterfactuals ("one level more private-domain maturity").
DOUYIN_LEVELS: tuple[DouyinPresence, ...] = get_args(DouyinPresence)
PRIVATE_DOMAIN_LEVELS: tuple[PrivateDomain, ...] = get_args(PrivateDomain)


def _split_csv(value: object) -> object:
    """Accept ``"a,b"`` as well as ``["a", "b"]`` for list fields (query strings, CSV cells)."""
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


# Validation context of a profile read from a JSON document (a profile file, stdin): numbers must be JSON
# numbers there (``"0.5"`` is refused). Forms, share links and lead CSVs hand the model text and validate
# without it. ``{"stored": True}`` (a scenario row read back, see engine.store) skips the name rules added
# since, so an old row stays readable.
STRICT_JSON: dict[str, Any] = {"strict_json": True}

NUMBER_FIELDS: tuple[str, ...] = (
    "distributors",
    "staff_fte",
    "budget_setup_cny",
    "budget_monthly_cny",
    "avg_order_value_cny",
    "gross_margin",
    "current_monthly_gmv_cny",
    "reachable_customers",
)


def _context(info: ValidationInfo, key: str) -> bool:
    return bool((info.context or {}).get(key))


def _labels(name: str) -> dict[str, str]:
    extra: dict[str, str] = {}
    for lang in LANGS:
        extra[f"label_{lang}"] = t(f"field.{name}.label", lang)
        extra[f"help_{lang}"] = t(f"field.{name}.help", lang)
    return extra


Section = Literal["business", "channels", "team", "scale", "goal"]


@dataclass(frozen=True)
class Entry:
    """How a person enters a field, declared on the field (``Annotated[..., Entry(...)]``) and read by the
    app's form, the link parser and the lead-list reader: the form section and column it sits in, and a
    number's step and display format. Lists, choices and numbers follow from the field's type."""

    section: Section
    column: int = 0  # 0: left, 1: right
    step: float | None = None  # numbers: the +/- step of the input
    format: str | None = None  # numbers: printf-style display ("%.0f")


def _field(name: str, default: object = ..., **kwargs: object):
    return Field(
        default,
        title=t(f"field.{name}.label", "en"),
        description=t(f"field.{name}.help", "en"),
        json_schema_extra=_labels(name),
        **kwargs,
    )


class MerchantProfile(BaseModel):
    """A merchant's business as wxplan needs it. Frozen; unknown keys are rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="MerchantProfile")

    name: Annotated[str, Entry("business")] = _field("name", "", max_length=120)
    business_type: Annotated[BusinessType, Entry("business")] = _field("business_type")
    category: Annotated[Category, Entry("business", 1)] = _field("category")
    douyin_presence: Annotated[DouyinPresence, Entry("channels")] = _field("douyin_presence")
    shelf_platforms: Annotated[tuple[ShelfPlatform, ...], BeforeValidator(_split_csv), Entry("channels")] = (
        _field("shelf_platforms", ())
    )
    private_domain: Annotated[PrivateDomain, Entry("channels", 1)] = _field("private_domain")
    existing_modules: Annotated[tuple[Module, ...], BeforeValidator(_split_csv), Entry("channels", 1)] = (
        _field("existing_modules", ())
    )
    distributors: Annotated[int, Entry("channels", 0, 1, "%d")] = _field(
        "distributors", 0, ge=0, le=1_000_000
    )
    staff_fte: Annotated[float, Entry("team", 0, 0.5)] = _field("staff_fte", gt=0, le=1_000)
    budget_setup_cny: Annotated[float, Entry("team", 0, 5000.0, "%.0f")] = _field(
        "budget_setup_cny", ge=0, le=1e10
    )
    budget_monthly_cny: Annotated[float, Entry("team", 0, 5000.0, "%.0f")] = _field(
        "budget_monthly_cny", ge=0, le=1e9
    )
    city_tier: Annotated[CityTier, Entry("business", 1)] = _field("city_tier")
    avg_order_value_cny: Annotated[float, Entry("team", 1, 10.0, "%.0f")] = _field(
        "avg_order_value_cny", gt=0, le=1e6
    )
    gross_margin: Annotated[float, Entry("team", 1, 0.05, "%.2f")] = _field("gross_margin", gt=0, lt=1)
    goal: Annotated[Goal, Entry("goal")] = _field("goal")
    audience_age: Annotated[AudienceAge, Entry("goal", 1)] = _field("audience_age")
    current_monthly_gmv_cny: Annotated[float | None, Entry("scale", 0, 10000.0, "%.0f")] = _field(
        "current_monthly_gmv_cny", None, ge=0, le=1e11
    )
    reachable_customers: Annotated[int | None, Entry("scale", 1, 500, "%d")] = _field(
        "reachable_customers", None, ge=0, le=1_000_000_000
    )

    @model_validator(mode="before")
    @classmethod
    def _upgrade(cls, data: object) -> object:
        """Read profiles saved before version 2 (2026-12): their ``monthly_gmv_cny`` was the GMV the merchant
        *expected* through WeChat and only priced platform fees; the return model replaced it, so it is dropped
        (it is neither the business's current GMV nor a return the model could use)."""
        if isinstance(data, dict) and "monthly_gmv_cny" in data:
            data = {k: v for k, v in data.items() if k != "monthly_gmv_cny"}
        return data

    @field_validator("name", mode="before")
    @classmethod
    def _nfc(cls, value: object) -> object:
        """Names are kept in Unicode NFC: "café" typed either way is one name."""
        return unicodedata.normalize("NFC", value) if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str, info: ValidationInfo) -> str:
        """No control, invisible or text-direction characters: a name is printed in reports and terminals,
        where a newline would add a heading and an escape would drive the terminal."""
        bad = first_invisible(value)
        if bad is not None and not _context(info, "stored"):
            raise PydanticCustomError(
                "name_character",
                "must not contain {character} (at character {at}); a name is one line of text, without "
                "control, invisible or text-direction characters",
                {"character": code_point(bad), "at": value.index(bad) + 1},
            )
        return value

    @field_validator(*NUMBER_FIELDS, mode="before")
    @classmethod
    def _number(cls, value: object, info: ValidationInfo) -> object:
        """A number is a number: true/false never counts as 1 or 0, and in a JSON document a string such
        as ``"0.5"`` is not read as one (forms, links and CSV cells are text, converted by the model)."""
        if isinstance(value, bool):
            raise PydanticCustomError("number_type", "true/false is not a number")
        if isinstance(value, str) and _context(info, "strict_json"):
            raise PydanticCustomError(
                "number_type", "a string is not a number; write the number without quotes"
            )
        return value

    @field_validator("city_tier", mode="before")
    @classmethod
    def _tier(cls, value: object) -> object:
        """A city tier is the whole number 1, 2 or 3: not true, not 2.0."""
        if isinstance(value, bool | float) or (not isinstance(value, int) and not isinstance(value, str)):
            raise PydanticCustomError("literal_error", "Input should be 1, 2 or 3", {"expected": "1, 2 or 3"})
        return value

    @field_validator("shelf_platforms", "existing_modules", mode="after")
    @classmethod
    def _canonical_order(cls, value: tuple[str, ...], info) -> tuple[str, ...]:
        """Drop repeats and keep the catalog order, so equal profiles compare and hash equal."""
        order = get_args(ShelfPlatform) if info.field_name == "shelf_platforms" else MODULES
        return tuple(item for item in order if item in set(value))


PROFILE_VERSION = 2  # 2: current GMV and reachable customers replace the expected WeChat GMV

# --- what each field is, read off its declaration --------------------------------------------------
# Every consumer (the app's form and link parser, the lead-list reader, error messages) asks here, so a new
# field is declared once, on the model, with its Entry.

FIELD_ENTRIES: dict[str, Entry] = {
    name: next(m for m in f.metadata if isinstance(m, Entry))
    for name, f in MerchantProfile.model_fields.items()
}
SECTIONS: tuple[Section, ...] = get_args(Section)  # the form's sections, in order


def _choices(annotation: object) -> tuple[object, ...] | None:
    """The values a Literal (or a tuple of one) allows, in their declared order; None for other types."""
    if get_origin(annotation) is tuple:
        annotation = get_args(annotation)[0]
    return get_args(annotation) if get_origin(annotation) is Literal else None


# Fields holding several values (a list in forms, ``a;b`` in CSV cells, ``a,b`` in links).
LIST_FIELDS: tuple[str, ...] = tuple(
    n for n, f in MerchantProfile.model_fields.items() if get_origin(f.annotation) is tuple
)
# Values a user can choose for each enumerated field (for forms, CSV and error messages).
FIELD_CHOICES: dict[str, tuple[object, ...]] = {
    n: values
    for n, f in MerchantProfile.model_fields.items()
    if (values := _choices(f.annotation)) is not None
}
# Fields a merchant may leave empty (the engine estimates them and says so).
OPTIONAL_FIELDS: tuple[str, ...] = tuple(
    n for n, f in MerchantProfile.model_fields.items() if f.default is None
)
# Enumerated fields whose values are whole numbers (a link or a CSV cell gives "2", the field wants 2).
INT_CHOICE_FIELDS: tuple[str, ...] = tuple(
    n for n, values in FIELD_CHOICES.items() if all(isinstance(v, int) for v in values)
)
