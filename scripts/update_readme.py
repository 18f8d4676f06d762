"""Refresh the README example blocks from the CLI's current output (run by `make readme`).

tests/test_readme.py fails when a README example no longer matches; this rewrites the blocks.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each README shows the report up to its cash-flow table: the plan, then what it earns back.
EXAMPLES = {"README.md": "en", "README.zh.md": "zh"}
START, END = "<!-- readme-example:start -->", "<!-- readme-example:end -->"


def main() -> None:
    from engine.i18n import t

    for name, lang in EXAMPLES.items():
        stop = f"### {t('report.cashflow', lang)}"
        args = [
            "recommend",
            "examples/douyin_native_brand.json",
            "--as-of",
            "2026-11-21",
            "--format",
            "markdown",
            "--lang",
            lang,
        ]
        out = subprocess.run(
            [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        lines = out.splitlines()
        shown = "\n".join(lines[: lines.index(stop)]).rstrip()
        block = f"{START}\n```console\n$ wxplan {' '.join(args)}\n{shown}\n…\n```\n{END}"
        path = ROOT / name
        text = path.read_text(encoding="utf-8")
        a, b = text.index(START), text.index(END) + len(END)
        path.write_text(text[:a] + block + text[b:], encoding="utf-8")
        print(f"updated {name}")


if __name__ == "__main__":
    main()
