"""Benchmark: one profile, every candidate plan, 10,000 draws (run with `make bench`).

Reports the median and P90 wall time over repeated runs after a warm-up, for:
- core: draw every assumption and score every candidate plan on every draw (target: median < 100 ms);
  each case runs first as a one-off command does (numpy), then with the compiled scorer loaded (as the app
  has it: the same figures, bit for bit);
- recommend: the full ``engine.recommend`` call (ranking, counterfactuals, alternatives, output model);
- recommend+json: the same plus JSON serialisation, as the CLI does;
- app submit: the Assess page's whole server-side script run after "Assess" is clicked with a new profile
  (Streamlit AppTest, after warm-up): recommendation, charts and page (target: median < 300 ms);
- app rerun: the same page drawn again with the same result (its recommendation and charts cached).
Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np

from engine import model
from engine.assumptions import load
from engine.profile import MerchantProfile
from engine.ranking import rank
from engine.recommend import recommend

# A profile for which all four modules pass the fit threshold: the largest candidate set.
PROFILE = MerchantProfile(
    name="benchmark",
    business_type="brand",
    category="home",
    douyin_presence="starting",
    shelf_platforms=("taobao", "jd"),
    private_domain="established",
    distributors=30,
    staff_fte=8,
    budget_setup_cny=200_000,
    budget_monthly_cny=150_000,
    city_tier=1,
    avg_order_value_cny=150,
    gross_margin=0.45,
    goal="both",
    audience_age="mixed",
)
AS_OF = date(2026, 11, 21)
ROOT = Path(__file__).resolve().parents[1]


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm-up
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    assumptions = load()

    def core() -> int:
        d = model.draw(assumptions, AS_OF, args.draws, np.random.default_rng(0))
        return len(rank(PROFILE, assumptions, AS_OF, d).plans)

    plans = core()
    cases = {
        "core (draw + score all plans)": core,
        "recommend (full result)": lambda: recommend(
            PROFILE, as_of=AS_OF, draws=args.draws, assumptions=assumptions
        ),
        "recommend + JSON": lambda: recommend(
            PROFILE, as_of=AS_OF, draws=args.draws, assumptions=assumptions
        ).model_dump_json(),
    }
    print(
        f"wxplan benchmark: {plans} candidate plans x {args.draws:,} draws, {args.repeat} runs after warm-up"
    )
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}, {_cpus()} CPUs")
    print(f"{'case':44s} {'median ms':>10s} {'p90 ms':>8s} {'min ms':>8s}")
    for name, fn in cases.items():  # a one-off command: the array version, no compiler imported
        report(f"{name}, numpy", timed(fn, args.repeat))
    from engine import kernel  # a long-lived process (the app) has the compiled scorer loaded

    kernel.warm_up()
    for name, fn in cases.items():
        report(f"{name}, compiled", timed(fn, args.repeat))
    report("app submit (Assess page, new profile)", app_submit_times(args.repeat))
    report("app rerun (Assess page, same result)", app_rerun_times(args.repeat))


def report(name: str, times: list[float]) -> None:
    p90 = float(np.percentile(times, 90))
    print(f"{name:44s} {statistics.median(times):10.1f} {p90:8.1f} {min(times):8.1f}")


def app_submit_times(repeat: int) -> list[float]:
    """Server-side time of the Assess page after a submit with a profile not seen before."""
    import logging

    from streamlit.testing.v1 import AppTest

    for name in ("streamlit", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    at = AppTest.from_file(str(ROOT / "app" / "views" / "assess.py"), default_timeout=60)
    at.run()  # warm-up: imports, assumptions loaded once, first result
    out = []
    for i in range(repeat):
        # a new profile each time (never the starting 4 staff, whose result the warm-up cached), in the form's steps
        at.number_input(key="f_staff_fte").set_value(5.0 + 0.5 * i)
        start = time.perf_counter()
        at.button(key="submit").click().run()
        out.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise SystemExit(f"app raised: {at.exception}")
    return out


def app_rerun_times(repeat: int) -> list[float]:
    """Server-side time of the Assess page drawn again with the same result (a widget changed, the page left
    and opened again): the recommendation and its charts come from the app's caches."""
    import logging

    from streamlit.testing.v1 import AppTest

    for name in ("streamlit", "streamlit.runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(name).setLevel(logging.ERROR)
    at = AppTest.from_file(str(ROOT / "app" / "views" / "assess.py"), default_timeout=60)
    at.run()
    at.button(key="submit").click().run()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        out.append((time.perf_counter() - start) * 1000)
        if at.exception:
            raise SystemExit(f"app raised: {at.exception}")
    return out


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
