"""Shared test fixtures: a valid baseline profile and a fast recommend."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-11-21"

BASE_PROFILE: dict = {
    "name": "测试商家",
    "business_type": "brand",
    "category": "food",
    "douyin_presence": "none",
    "shelf_platforms": [],
    "private_domain": "basic",
    "existing_modules": [],
    "distributors": 0,
    "staff_fte": 4,
    "budget_setup_cny": 60000,
    "budget_monthly_cny": 50000,
    "city_tier": 2,
    "avg_order_value_cny": 150,
    "gross_margin": 0.45,
    "goal": "both",
    "audience_age": "mixed",
}


def make_profile(**changes) -> dict:
    """A valid profile dict with ``changes`` applied."""
    return {**BASE_PROFILE, **changes}


@pytest.fixture
def profile_dict() -> dict:
    return dict(BASE_PROFILE)


@pytest.fixture
def wxplan_cmd() -> list[str]:
    """The CLI as a subprocess command (the installed console script's module)."""
    return [sys.executable, "-m", "engine.cli"]
