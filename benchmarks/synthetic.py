"""Synthetic merchant leads for the batch benchmark: a seeded generator and a lead-CSV writer.

``generate(n, seed)`` returns ``n`` valid, varied :class:`MerchantProfile` s, the same list for the same
arguments. Every value of every enumerated field (``FIELD_CHOICES``) occurs once ``n >= 10``: the first ten
leads walk through the choices, the rest are drawn. Numbers are drawn in ranges a lead list of Chinese
merchants shows: staff from a one-person shop to a few dozen, budgets that scale with the team, order values
from tens to thousands of yuan, margins of 15-75 %, about a third with modules already running and half
with shelf platforms, and ``current_monthly_gmv_cny`` left empty for about a third (a lead often does not say).

``write_csv(profiles, path)`` writes them as a lead list: an ``id`` column, then one column per profile
field in the model's order, lists joined with ``;``, an unknown GMV as an empty cell.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from pathlib import Path

from engine.profile import FIELD_CHOICES, MODULES, MerchantProfile

FIELDS: tuple[str, ...] = tuple(MerchantProfile.model_fields)
COLUMNS: tuple[str, ...] = ("id", *FIELDS)

# Relative frequencies of the enumerated fields in a lead list (a guess at a provider's pipeline).
WEIGHTS: dict[str, dict[object, float]] = {
    "business_type": {
        "brand": 35,
        "individual": 20,
        "chain_store": 15,
        "social_commerce": 15,
        "manufacturer": 15,
    },
    "douyin_presence": {"none": 35, "starting": 30, "established": 25, "leading": 10},
    "private_domain": {"none": 25, "basic": 35, "established": 28, "advanced": 12},
    "city_tier": {1: 30, 2: 40, 3: 30},
    "goal": {"acquisition": 35, "repeat": 25, "both": 40},
    "audience_age": {"young": 30, "mixed": 50, "older": 20},
}
# Staff (FTE) by business type: (low, high) of a log-uniform draw.
STAFF: dict[str, tuple[float, float]] = {
    "brand": (2, 40),
    "individual": (0.5, 2),
    "chain_store": (4, 60),
    "social_commerce": (1, 20),
    "manufacturer": (3, 30),
}


def _pick(rng: random.Random, field: str) -> object:
    weights = WEIGHTS.get(field)
    if weights is None:
        return rng.choice(FIELD_CHOICES[field])
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return low * (high / low) ** rng.random()


def _round_to(value: float, step: float) -> float:
    return max(step, round(value / step) * step)


def profile_dict(rng: random.Random, index: int) -> dict:
    """One lead as a plain dict (validated by :func:`generate`)."""
    d: dict = {f: _pick(rng, f) for f in WEIGHTS}
    d["category"] = _pick(rng, "category")
    if index < 10:  # the first leads walk through every choice, so every value occurs
        for field in (*WEIGHTS, "category"):
            choices = FIELD_CHOICES[field]
            d[field] = choices[index % len(choices)]

    shelves = [s for s in FIELD_CHOICES["shelf_platforms"] if rng.random() < 0.3]
    if index < 10:
        shelves = sorted({*shelves, FIELD_CHOICES["shelf_platforms"][index % 3]})
    existing: list[str] = []
    if rng.random() < 0.35 or index < 10:
        k = rng.choices((1, 2, 3, 4), weights=(60, 28, 10, 2))[0]
        existing = rng.sample(list(MODULES), k)
        if index < 10:
            existing = sorted({*existing, MODULES[index % len(MODULES)]})

    business = d["business_type"]
    if business == "social_commerce":
        distributors = round(_log_uniform(rng, 10, 3000))
    elif business == "chain_store":
        distributors = round(_log_uniform(rng, 5, 300)) if rng.random() < 0.5 else 0
    else:
        distributors = round(_log_uniform(rng, 1, 200)) if rng.random() < 0.1 else 0

    staff = _round_to(_log_uniform(rng, *STAFF[business]), 0.5)
    monthly = _round_to(staff * _log_uniform(rng, 4_000, 25_000), 1_000)
    setup = _round_to(monthly * rng.uniform(0.5, 3.0), 1_000)
    order_value = round(_log_uniform(rng, 20, 3_000))
    gmv = None if rng.random() < 0.3 else _round_to(staff * _log_uniform(rng, 20_000, 400_000), 1_000)
    return {
        "name": f"合成线索 {index:06d}",
        **d,
        "shelf_platforms": shelves,
        "existing_modules": existing,
        "distributors": distributors,
        "staff_fte": staff,
        "budget_setup_cny": setup,
        "budget_monthly_cny": monthly,
        "avg_order_value_cny": order_value,
        "gross_margin": round(rng.uniform(0.15, 0.75), 2),
        "current_monthly_gmv_cny": gmv,
    }


def generate(n: int, seed: int = 0) -> list[MerchantProfile]:
    """``n`` valid, varied profiles; the same ``n`` and ``seed`` give the same list."""
    rng = random.Random(seed)
    return [MerchantProfile.model_validate(profile_dict(rng, i)) for i in range(n)]


def lead_id(index: int) -> str:
    return f"L{index:06d}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(profiles: Sequence[MerchantProfile], path: str | Path) -> Path:
    """Write ``profiles`` as a lead CSV (UTF-8, header row, ``id`` first); returns the path."""
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for i, p in enumerate(profiles):
            writer.writerow([lead_id(i), *(_cell(getattr(p, field)) for field in FIELDS)])
    return path
