"""The heap setting every simulating entry point applies (engine/heap.py)."""

from __future__ import annotations

import sys

import pytest

from engine import heap


class FakeLibc:
    def __init__(self):
        self.calls = []

    def mallopt(self, param, value):
        self.calls.append((param, value))
        return 1


@pytest.fixture
def libc(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(heap.ctypes, "CDLL", lambda name: fake)
    monkeypatch.setattr(sys, "platform", "linux")
    return fake


def test_it_sets_the_mmap_and_trim_thresholds_once(libc):
    heap.keep_heap()
    heap.keep_heap()
    assert libc.calls == [(-3, 32 << 20), (-1, 256 << 20)]


def test_without_glibc_nothing_changes_and_nothing_fails(monkeypatch):
    monkeypatch.setattr(heap, "_done", False)

    def missing(name):
        raise OSError("no libc")

    monkeypatch.setattr(heap.ctypes, "CDLL", missing)
    heap.keep_heap()  # no exception
    monkeypatch.setattr(heap, "_done", False)
    monkeypatch.setattr(sys, "platform", "darwin")
    heap.keep_heap()


class Drawn(Exception):
    pass


@pytest.mark.parametrize("entry", ["recommend", "batch", "sensitivity"])
def test_every_simulating_entry_point_applies_it_before_it_draws(libc, monkeypatch, entry):
    from datetime import date

    from engine import batch, model, sensitivity
    from engine.recommend import recommend
    from tests.conftest import make_profile

    def draw(*args, **kwargs):  # stop at the first draw: the setting must be in place by then
        assert (-3, 32 << 20) in libc.calls
        raise Drawn

    monkeypatch.setattr(model, "draw", draw)
    day = date(2026, 11, 21)
    run = {
        "recommend": lambda: recommend(make_profile(), as_of=day, draws=200),
        "batch": lambda: batch.Scorer(batch.options(as_of=day, draws=100)),
        "sensitivity": lambda: sensitivity.sensitivity(make_profile(), as_of=day, draws=200),
    }[entry]
    with pytest.raises(Drawn):
        run()
