"""``wxplan schema``: the profile's JSON schema, with each field's Chinese and English label and help."""

from __future__ import annotations

import argparse
import json

from engine.profile import MerchantProfile

NAME = "schema"


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="print the profile's JSON schema")


def run(args: argparse.Namespace) -> int:
    print(json.dumps(MerchantProfile.model_json_schema(), ensure_ascii=False, indent=2))
    return 0
