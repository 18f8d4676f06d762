"""Archetype profiles to start from (the JSON files in ``examples/``), named in the catalogs."""

from __future__ import annotations

import json
from functools import cache

from engine.profile import MerchantProfile
from engine.resources import data_dir

EXAMPLES = data_dir("examples")

# Preset id -> example file. Labels and help: catalog keys preset.<id>.label / preset.<id>.help.
PRESETS: dict[str, str] = {
    "douyin_native_brand": "douyin_native_brand.json",
    "private_domain_veteran": "private_domain_veteran.json",
    "individual_seller": "individual_seller.json",
    "distributor_network": "distributor_network.json",
    "shelf_repeat": "shelf_repeat.json",
}
DEFAULT_PRESET = "douyin_native_brand"


@cache
def preset(preset_id: str) -> MerchantProfile:
    """The profile of a preset (validated, loaded once)."""
    data = json.loads((EXAMPLES / PRESETS[preset_id]).read_text(encoding="utf-8"))
    return MerchantProfile.model_validate(data)
