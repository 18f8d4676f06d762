"""The README's CLI example reproduces: running its command prints what the README shows."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import ROOT

READMES = ("README.md", "README.zh.md")


def _example(name: str) -> tuple[list[str], str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    block = re.search(
        r"<!-- readme-example:start -->\n```console\n(.*?)\n```\n<!-- readme-example:end -->", text, re.S
    )
    assert block, f"{name} has no readme-example block"
    first, *rest = block.group(1).splitlines()
    assert first.startswith("$ wxplan ")
    shown = "\n".join(line for line in rest if line != "…")
    return shlex.split(first[2:])[1:], shown


@pytest.mark.parametrize("name", READMES)
def test_readme_example_reproduces(name):
    args, shown = _example(name)
    result = subprocess.run(
        [sys.executable, "-m", "engine.cli", *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith(shown), f"{name} example output differs from what the command prints now"


@pytest.mark.parametrize("name", READMES)
def test_readme_names_the_two_commands(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
