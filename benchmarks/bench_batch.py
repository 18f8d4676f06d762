"""Benchmark: scoring a lead list with the engine against what an analyst would otherwise use (`make bench`).

Measures, on synthetic leads (``benchmarks/synthetic.py``), as-of 2026-11-21:

- engine: ``batch.Scorer(opts, threads=cores).score(profiles)`` (one process on the machine's cores, at most
  four) for 1k, 10k and 100k profiles at 1,000 and 10,000 draws, each configuration in its own subprocess
  (profiles built before the clock starts), with its throughput and peak resident memory (the peak is reset
  once the profiles are built, where Linux allows it, so it is the scoring run's: interpreter, profiles and
  scorer together); and the target configuration again on one thread, to compare per core with the
  baselines, which use one;
- plain loop: ``engine.recommend.recommend(..., with_counterfactuals=False)`` one lead at a time, on a subsample
  (the fastest of three passes);
- squigglepy port: the same model written with squigglepy one lead at a time (``benchmarks/squiggle_model.py``),
  on a subsample (the fastest of three passes), and how often its plan agrees with the engine's (independent
  draws, so not always);
- numpy floor: the time numpy alone needs to draw the random numbers a per-lead Monte Carlo consumes (every
  parameter each lead reads, ``draws`` values each, same distributions), measured on a subsample of leads and
  scaled to the list; and the time to draw the engine's own shared draws once (every parameter, once);
- CLI, when ``engine/leads.py`` and ``wxplan batch`` exist: ``wxplan batch in.csv -o out.csv --draws 1000`` end to
  end on the 10k-lead CSV (1k with ``--quick``), with its default worker processes.

Targets printed against the measured figures: 10k profiles × 1,000 draws in < 20 s (in one process, and end to
end with the CLI) and < 2 GB peak; at least 10× the plain loop and 5× the squigglepy port; within 3× of the
numpy floor. Speed is measured here, never asserted in tests.

``--quick`` runs 1k profiles and small subsamples (a smoke run of a few minutes); the default grid runs for
20 minutes or more and prints a progress line as it goes. ``--json PATH`` writes every figure measured.
``--profiles`` / ``--draws`` pick configurations (e.g. ``--profiles 10000 --draws 1000``). Each measurement runs
at most ``--timeout`` seconds (default an hour) in at most ``--memory-limit-gb`` of address space (default 16):
past either it is reported as timed out or failed, and the run goes on.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: `benchmarks.*` importable like in the tests

from benchmarks.squiggle_model import parameters_read  # noqa: E402
from benchmarks.synthetic import generate, write_csv  # noqa: E402
from engine import batch, kernel  # noqa: E402
from engine.assumptions import AssumptionSet  # noqa: E402
from engine.distributions import Z90  # noqa: E402
from engine.profile import MerchantProfile  # noqa: E402

AS_OF = date(2026, 11, 21)
LEAD_SEED = 2026  # the synthetic lead list
SEED = 0  # the engine's draws (and the squigglepy port's root seed)

TARGET_SECONDS = 20.0  # 10k profiles × 1,000 draws
TARGET_PEAK_MB = 2048.0
TARGET_VS_LOOP = 10.0
TARGET_VS_SQUIGGLE = 5.0
TARGET_VS_FLOOR = 3.0
TARGET_CONFIG = (10_000, 1_000)
# The baselines (plain loop, squigglepy) run their subsample this many times and keep the fastest pass, so a
# busy moment on a shared machine does not flatter the engine; the engine runs once.
REPEATS = 3
MEMORY_LIMIT_GB = 16.0  # address-space cap of each measured process (the machine has 24 GB, shared)

FULL = {
    "profiles": (1_000, 10_000, 100_000),
    "draws": (1_000, 10_000),
    "loop": {1_000: 200, 10_000: 50},
    "squiggle": {1_000: 100, 10_000: 25},
    "floor_values": 100_000_000,  # random numbers drawn to measure the floor's rate (then scaled)
    "cli_profiles": 10_000,
}
QUICK = {
    "profiles": (1_000,),
    "draws": (1_000, 10_000),
    "loop": {1_000: 40, 10_000: 10},
    "squiggle": {1_000: 30, 10_000: 8},
    "floor_values": 10_000_000,
    "cli_profiles": 1_000,
}


# --- measuring inside a worker process ---------------------------------------------------------------


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Start the peak-RSS count again from the current RSS (Linux: ``echo 5 > /proc/self/clear_refs``)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    """Peak resident memory of this process (since the last reset), in MB."""
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    return kb / 1024


def _rss_mb() -> float | None:
    kb = _status_kb("VmRSS")
    return None if kb is None else kb / 1024


class _Progress:
    """``progress(k)`` for ``Scorer.score``: a line on stderr every ``every`` seconds."""

    def __init__(self, total: int, every: float = 20.0):
        self.total, self.every, self.done = total, every, 0
        self.start = self.last = time.perf_counter()

    def __call__(self, k: int) -> None:
        self.done += k
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            rate = self.done / (now - self.start)
            print(
                f"      … {self.done:,}/{self.total:,} scored, {now - self.start:.0f} s, {rate:,.0f}/s",
                file=sys.stderr,
                flush=True,
            )


def worker_engine(n: int, draws: int, threads: int = 1) -> dict:
    profiles = generate(n, LEAD_SEED)
    opts = batch.options(as_of=AS_OF, draws=draws, seed=SEED)
    kernel.warm_up()  # warm-up: imports, compiling the kernel and first-call costs, not timed
    batch.Scorer(opts).score(profiles[:20])
    gc.collect()
    rss_before = _rss_mb()
    reset = _reset_peak()
    progress = _Progress(n)
    start = time.perf_counter()
    with batch.Scorer(opts, threads=threads) as scorer:
        outcomes = scorer.score(profiles, progress=progress)
    seconds = time.perf_counter() - start
    assert len(outcomes) == n
    return {
        "profiles": n,
        "draws": draws,
        "threads": threads,
        "seconds": seconds,
        "per_second": n / seconds,
        "peak_rss_mb": _peak_mb(),
        "peak_is_scoring_only": reset,
        "rss_before_scoring_mb": rss_before,
    }


def worker_loop(n: int, draws: int) -> dict:
    from engine.recommend import recommend

    profiles = generate(n, LEAD_SEED)
    aset = batch.options(as_of=AS_OF, draws=draws).assumptions

    def one(p: MerchantProfile):
        return recommend(p, as_of=AS_OF, draws=draws, seed=SEED, assumptions=aset, with_counterfactuals=False)

    one(profiles[0])  # warm-up
    passes = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for p in profiles:
            one(p)
        passes.append(time.perf_counter() - start)
    seconds = min(passes)
    return {"leads": n, "draws": draws, "seconds": seconds, "per_second": n / seconds, "passes": passes}


def worker_squiggle(n: int, draws: int) -> dict:
    import squigglepy as sq

    from benchmarks.squiggle_model import recommend_lead

    profiles = generate(n, LEAD_SEED)
    aset = batch.options(as_of=AS_OF, draws=draws).assumptions
    recommend_lead(profiles[0], aset, AS_OF, draws, (SEED, 0))  # warm-up
    passes = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        results = [recommend_lead(p, aset, AS_OF, draws, (SEED, i)) for i, p in enumerate(profiles)]
        passes.append(time.perf_counter() - start)
    seconds = min(passes)
    engine = batch.Scorer(batch.options(as_of=AS_OF, draws=draws, seed=SEED)).score(profiles)  # not timed
    agree = sum(r.plan == e.plan for r, e in zip(results, engine, strict=True))
    return {
        "leads": n,
        "draws": draws,
        "seconds": seconds,
        "per_second": n / seconds,
        "agree": agree,
        "agree_share": agree / n,
        "squigglepy": sq.__version__,
    }


def draw_like_the_engine(aset: AssumptionSet, counts: dict[str, int], draws: int, seed: int) -> float:
    """Seconds numpy needs to draw ``counts[path] × draws`` values of each parameter with its distribution
    (PERT as a scaled beta, a 90 % interval as a lognormal or normal, fixed as a filled array)."""
    rng = np.random.default_rng(seed)
    chunk = 4_000_000
    start = time.perf_counter()
    for path, count in counts.items():
        param = aset.param_map[path]
        v = param.at(AS_OF)
        left = count * draws
        while left > 0:
            size = min(left, chunk)
            left -= size
            if param.distribution == "fixed" or (v.low == v.high):
                np.full(size, v.value if v.value is not None else v.low)
            elif param.distribution == "pert":
                span = v.high - v.low
                v.low + span * rng.beta(
                    1 + 4 * (v.mode - v.low) / span, 1 + 4 * (v.high - v.mode) / span, size
                )
            elif v.low > 0:
                mu, sigma = (np.log(v.low) + np.log(v.high)) / 2, (np.log(v.high) - np.log(v.low)) / (2 * Z90)
                np.exp(rng.normal(mu, sigma, size))
            else:
                rng.normal((v.low + v.high) / 2, (v.high - v.low) / (2 * Z90), size)
    return time.perf_counter() - start


def worker_floor(n: int, draws: int, values: int) -> dict:
    """Floor per lead at ``draws``: measured on enough leads to draw about ``values`` random numbers."""
    aset = batch.options(as_of=AS_OF, draws=draws).assumptions
    probe = generate(min(n, 200), LEAD_SEED)
    k_mean = float(np.mean([len(parameters_read(p, aset, AS_OF)) for p in probe]))
    leads = max(10, min(n, round(values / (draws * k_mean))))
    profiles = generate(leads, LEAD_SEED)
    reads = [parameters_read(p, aset, AS_OF) for p in profiles]
    counts: dict[str, int] = {}
    for r in reads:
        for path in r:
            counts[path] = counts.get(path, 0) + 1
    total = sum(counts.values())
    per_lead = min(draw_like_the_engine(aset, counts, draws, SEED + i) for i in range(3)) / leads
    every = {path: 1 for path in aset.param_map if not path.startswith("objective.")}
    shared = min(draw_like_the_engine(aset, every, draws, SEED + i) for i in range(5))
    return {
        "draws": draws,
        "leads_measured": leads,
        "k_mean": total / leads,
        "k_min": min(len(r) for r in reads),
        "k_max": max(len(r) for r in reads),
        "seconds_per_lead": per_lead,
        "shared_k": len(every),
        "shared_seconds": shared,
    }


WORKERS = {"engine": worker_engine, "loop": worker_loop, "squiggle": worker_squiggle, "floor": worker_floor}


# --- the run ------------------------------------------------------------------------------------------


def run_worker(
    kind: str, n: int, draws: int, timeout: float, memory_gb: float, extra: list[str] | None = None
) -> dict:
    """Run one measurement in a fresh interpreter: its figures, or why there are none (timeout, failure)."""
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        kind,
        "--n",
        str(n),
        "--draws",
        str(draws),
    ]
    cmd += ["--memory-limit-gb", str(memory_gb)]
    proc = subprocess.Popen([*cmd, *(extra or [])], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        print(f"    timed out after {timeout:.0f} s", flush=True)
        return {"timeout": timeout}
    if proc.returncode != 0:
        print(f"    failed: {_failure(proc.returncode)}", flush=True)
        return {"failed": _failure(proc.returncode)}
    return json.loads(out.strip().splitlines()[-1])


def _failure(code: int) -> str:
    return (
        "killed (out of memory?)"
        if code == -9
        else f"exit {code} (MemoryError past the limit?)"
        if code == 3
        else f"exit {code}"
    )


def limit_memory(gb: float) -> None:
    """Cap this process's address space, so a run that would exhaust the shared machine fails instead."""
    if gb > 0:
        limit = int(gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _wxplan() -> list[str]:
    exe = Path(sys.executable).with_name("wxplan")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "engine.cli"]


def cli_available() -> bool:
    if not (ROOT / "engine" / "leads.py").exists():
        return False
    probe = subprocess.run([*_wxplan(), "batch", "--help"], capture_output=True, cwd=ROOT)
    return probe.returncode == 0


def run_cli(n: int, draws: int, timeout: float, memory_gb: float) -> dict:
    """``wxplan batch in.csv -o out.csv --draws N`` on ``n`` synthetic leads: wall time and the child's peak RSS."""
    tmp = Path(tempfile.mkdtemp(prefix="wxplan-bench-"))
    try:
        src = write_csv(generate(n, LEAD_SEED), tmp / "in.csv")
        out = tmp / "out.csv"
        workers = batch.default_workers()
        cmd = [
            *_wxplan(),
            "batch",
            str(src),
            "-o",
            str(out),
            "--draws",
            str(draws),
            "--workers",
            str(workers),
        ]
        err_path = tmp / "stderr.txt"
        start = time.perf_counter()
        with err_path.open("wb") as err_file:
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=err_file,
                preexec_fn=lambda: limit_memory(memory_gb),
            )
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                return {"profiles": n, "draws": draws, "timeout": timeout}
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = err_path.read_text(encoding="utf-8", errors="replace")
        rows = 0
        if out.exists():
            with out.open(encoding="utf-8") as f:
                rows = max(sum(1 for _ in f) - 1, 0)
        return {
            "profiles": n,
            "draws": draws,
            "exit": proc.returncode,
            "seconds": seconds,
            "per_second": n / seconds,
            "peak_rss_mb": usage.ru_maxrss / 1024,  # the largest single process (main or a worker)
            "workers": workers,
            "rows_written": rows,
            "stderr_tail": err.strip().splitlines()[-3:],
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def measure(cfg: dict, timeout: float, memory_gb: float) -> dict:
    draws_list = cfg["draws"]
    jobs: list[tuple[str, int, int]] = []
    for d in draws_list:
        jobs += [
            ("loop", cfg["loop"][d], d),
            ("squiggle", cfg["squiggle"][d], d),
            ("floor", max(cfg["profiles"]), d),
        ]
    cores = batch.default_workers()
    jobs += [("engine", p, d) for p in cfg["profiles"] for d in draws_list]
    # the same engine on one core, at the target configuration (or the largest run at its draws), per core
    p_t, d_t = TARGET_CONFIG
    if cores > 1 and d_t in draws_list:
        jobs += [("engine1", p_t if p_t in cfg["profiles"] else max(cfg["profiles"]), d_t)]
    labels = {
        "loop": "plain recommend() loop",
        "squiggle": "squigglepy port",
        "floor": "numpy floor",
        "engine": f"engine Scorer.score, {cores} thread{'s' if cores > 1 else ''}",
        "engine1": "engine Scorer.score, 1 thread",
    }
    results: dict[str, list[dict]] = {kind: [] for kind in labels}
    total = len(jobs) + 1
    started = time.perf_counter()
    for i, (kind, n, d) in enumerate(jobs, 1):
        what = f"{n:,} leads" if kind != "floor" else "per-lead draws"
        print(f"[{i}/{total}] {labels[kind]}: {what} × {d:,} draws …", flush=True)
        extra = ["--floor-values", str(cfg["floor_values"])] if kind == "floor" else None
        if kind.startswith("engine"):
            extra = ["--threads", str(cores if kind == "engine" else 1)]
        r = run_worker("engine" if kind == "engine1" else kind, n, d, timeout, memory_gb, extra)
        r.setdefault("draws", d)
        if kind != "floor":
            r.setdefault("profiles" if kind.startswith("engine") else "leads", n)
        results[kind].append(r)
        if "seconds" in r:
            peak = f", peak {r['peak_rss_mb']:,.0f} MB" if "peak_rss_mb" in r else ""
            print(f"    {r['seconds']:.1f} s, {r['per_second']:,.1f}/s{peak}", flush=True)
        elif "seconds_per_lead" in r:
            print(
                f"    {r['seconds_per_lead'] * 1e3:.2f} ms per lead (k = {r['k_mean']:.1f} parameters),"
                f" shared draws {r['shared_seconds'] * 1e3:.1f} ms",
                flush=True,
            )
    cli: dict | None = None
    print(f"[{total}/{total}] CLI: wxplan batch on {cfg['cli_profiles']:,} leads × 1,000 draws …", flush=True)
    if cli_available():
        cli = run_cli(cfg["cli_profiles"], 1_000, timeout, memory_gb)
        if "timeout" in cli:
            print(f"    timed out after {cli['timeout']:.0f} s", flush=True)
        if "seconds" in cli:
            print(
                f"    {cli['seconds']:.1f} s (exit {cli['exit']}, {cli['rows_written']:,} rows)", flush=True
            )
    else:
        print("    skipped: engine/leads.py or the `wxplan batch` command is not there yet", flush=True)
    import squigglepy

    return {
        "date": date.today().isoformat(),
        "as_of": AS_OF.isoformat(),
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "squigglepy": squigglepy.__version__,
            "arch": platform.machine(),
            "cpus": _cpus(),
        },
        "config": {
            k: {str(d): v for d, v in x.items()} if isinstance(x, dict) else x for k, x in cfg.items()
        },
        "wall_seconds": time.perf_counter() - started,
        **results,
        "cli": cli,
    }


def _by_draws(rows: list[dict]) -> dict[int, dict]:
    return {r["draws"]: r for r in rows if "seconds" in r or "seconds_per_lead" in r}


def report(res: dict, quick: bool) -> dict:
    """Print the table and the summary; returns the targets as measured (added to the JSON)."""
    loop, squig, floor = _by_draws(res["loop"]), _by_draws(res["squiggle"]), _by_draws(res["floor"])
    m = res["machine"]
    print()
    print(
        f"wxplan batch benchmark, as of {res['as_of']}: synthetic leads, python {m['python']}, numpy {m['numpy']},"
        f" squigglepy {m['squigglepy']}, {m['arch']}, {m['cpus']} CPUs"
    )
    head = f"{'method':34s} {'leads':>8s} {'draws':>7s} {'seconds':>9s} {'leads/s':>9s} {'peak MB':>8s}  comparison"
    print(head)
    print("-" * (len(head) + 40))

    def row(
        name: str, n: int | str, d: int, secs: float | None, rate: float | None, peak: float | None, note: str
    ):
        n_txt = f"{n:,}" if isinstance(n, int) else n
        s_txt = f"{secs:9.3f}" if secs is not None else f"{'-':>9s}"
        r_txt = f"{rate:9,.1f}" if rate is not None else f"{'-':>9s}"
        p_txt = f"{peak:8,.0f}" if peak is not None else f"{'-':>8s}"
        print(f"{name:34s} {n_txt:>8s} {d:7,d} {s_txt} {r_txt} {p_txt}  {note}")

    def threads_of(r: dict) -> str:
        k = r.get("threads", 1)
        return f"engine Scorer.score, {k} thread{'s' if k > 1 else ''}"

    for r in [*res["engine"], *res.get("engine1", [])]:
        n, d = r["profiles"], r["draws"]
        if "timeout" in r or "failed" in r:
            why = f"timed out after {r['timeout']:.0f} s" if "timeout" in r else f"failed: {r['failed']}"
            row("engine Scorer.score", n, d, None, None, None, why)
            continue
        notes = []
        if d in loop:
            notes.append(f"×{r['per_second'] / loop[d]['per_second']:.1f} loop")
        if d in squig:
            notes.append(f"×{r['per_second'] / squig[d]['per_second']:.1f} squigglepy")
        if d in floor:
            notes.append(f"{r['seconds'] / (floor[d]['seconds_per_lead'] * n):.2f}× floor")
        row(threads_of(r), n, d, r["seconds"], r["per_second"], r["peak_rss_mb"], ", ".join(notes))
    for d, r in loop.items():
        row(
            "plain recommend() loop", r["leads"], d, r["seconds"], r["per_second"], None, "one lead at a time"
        )
    for d, r in squig.items():
        note = f"plan agrees with engine on {r['agree']}/{r['leads']} ({r['agree_share']:.0%})"
        row("squigglepy port", r["leads"], d, r["seconds"], r["per_second"], None, note)
    for d, r in floor.items():
        per, leads = r["seconds_per_lead"], r["leads_measured"]
        note = f"random numbers only: k = {r['k_mean']:.1f} parameters per lead ({r['k_min']}-{r['k_max']})"
        row("numpy floor (per-lead draws)", leads, d, per * leads, 1 / per, None, note)
        note = f"the engine's common random numbers: k = {r['shared_k']}, drawn once for all leads"
        row("numpy: engine's shared draws", "once", d, r["shared_seconds"], None, None, note)
    cli = res.get("cli")
    if cli is None:
        print(
            f"{'wxplan batch CLI (end to end)':34s} not measured: engine/leads.py or `wxplan batch` not present"
        )
    elif "timeout" in cli:
        row("wxplan batch CLI (end to end)", cli["profiles"], cli["draws"], None, None, None, "timed out")
    else:
        note = f"{cli['workers']} worker processes, exit {cli['exit']}, {cli['rows_written']:,} rows written"
        row(
            "wxplan batch CLI (end to end)",
            cli["profiles"],
            cli["draws"],
            cli["seconds"],
            cli["per_second"],
            cli["peak_rss_mb"],
            note,
        )

    # Targets, on the target configuration (or the largest measured at 1,000 draws with --quick).
    p_t, d_t = TARGET_CONFIG
    eng = {(r["profiles"], r["draws"]): r for r in res["engine"] if "seconds" in r}
    key = (p_t, d_t) if (p_t, d_t) in eng else max((k for k in eng if k[1] == d_t), default=None)
    targets: list[dict] = []
    print()
    if key is None:
        print(f"Targets: not measured (no engine run at {d_t:,} draws completed).")
        return {"targets": targets}
    r = eng[key]
    where = f"{key[0]:,} profiles × {key[1]:,} draws"
    if key != (p_t, d_t):
        where += (
            f" (targets are for {p_t:,} × {d_t:,}; {'--quick run' if quick else 'that run did not finish'})"
        )
    print(f"Targets, measured on {where}:")

    def target(name: str, goal: str, value: float | None, text: str, met: bool | None) -> None:
        verdict = "n/a" if met is None else ("met" if met else "MISSED")
        targets.append({"target": name, "goal": goal, "measured": value, "met": met})
        print(f"  {name:42s} {goal:>9s}   measured {text:>10s}   {verdict}")

    if key == (p_t, d_t):
        secs = r["seconds"]
        target(
            f"time for 10k profiles, one process ({r.get('threads', 1)} thr.)",
            f"< {TARGET_SECONDS:.0f} s",
            secs,
            f"{secs:.1f} s",
            secs < TARGET_SECONDS,
        )
        if cli and "seconds" in cli and cli["profiles"] == p_t and cli.get("exit") == 0:
            target(
                f"time for 10k, wxplan batch ({cli['workers']} workers)",
                f"< {TARGET_SECONDS:.0f} s",
                cli["seconds"],
                f"{cli['seconds']:.1f} s",
                cli["seconds"] < TARGET_SECONDS,
            )
    else:  # an estimate, linear in the number of profiles; no verdict
        secs = r["seconds"] * p_t / key[0]
        target(
            f"time for 10k profiles (est. from {key[0]:,})",
            f"< {TARGET_SECONDS:.0f} s",
            secs,
            f"~{secs:.0f} s",
            None,
        )
    target(
        "peak RSS",
        "< 2 GB",
        r["peak_rss_mb"],
        f"{r['peak_rss_mb']:,.0f} MB",
        r["peak_rss_mb"] < TARGET_PEAK_MB if key == (p_t, d_t) else None,
    )
    for name, base, goal in (
        ("speed vs plain recommend() loop", loop, TARGET_VS_LOOP),
        ("speed vs squigglepy port", squig, TARGET_VS_SQUIGGLE),
    ):
        if d_t in base:
            x = r["per_second"] / base[d_t]["per_second"]
            target(name, f">= {goal:.0f}×", x, f"×{x:.1f}", x >= goal)
    if d_t in floor:
        x = r["seconds"] / (floor[d_t]["seconds_per_lead"] * key[0])
        target(
            "time vs numpy per-lead floor", f"<= {TARGET_VS_FLOOR:.0f}×", x, f"{x:.2f}×", x <= TARGET_VS_FLOOR
        )
    one = {(o["profiles"], o["draws"]): o for o in res.get("engine1", []) if "seconds" in o}.get(key)
    if one is not None:  # the baselines run on one core: the same comparison per core
        parts = [f"{one['seconds']:.1f} s for {key[0]:,} profiles"]
        if d_t in loop:
            parts.append(f"×{one['per_second'] / loop[d_t]['per_second']:.1f} the plain loop")
        if d_t in squig:
            parts.append(f"×{one['per_second'] / squig[d_t]['per_second']:.1f} the squigglepy port")
        print(f"On one core (1 thread; the baselines use one): {', '.join(parts)}.")
    if d_t in squig:
        s = squig[d_t]
        print(
            f"Squigglepy port: {s['per_second']:,.1f} leads/s; same plan as the engine on {s['agree']}/{s['leads']}"
            " leads (independent draws per lead)."
        )
    if d_t in floor:
        f = floor[d_t]
        print(
            f"Floor: numpy needs {f['seconds_per_lead'] * 1e3:.2f} ms per lead to draw {f['k_mean']:.1f} parameters ×"
            f" {d_t:,} draws; the engine draws its {f['shared_k']} parameters once for all leads"
            f" ({f['shared_seconds'] * 1e3:.1f} ms, common random numbers), so it can beat the per-lead floor."
        )
    if not quick:
        print(f"Total benchmark wall time {res['wall_seconds'] / 60:.1f} min.")
    return {"targets": targets}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1k profiles and small subsamples (a smoke run)")
    parser.add_argument("--json", metavar="PATH", help="write every measured figure to PATH as JSON")
    parser.add_argument("--profiles", help="comma-separated profile counts, overriding the grid (e.g. 10000)")
    parser.add_argument("--draws", help="comma-separated draw counts, overriding the grid (e.g. 1000)")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds allowed per measurement (default 3600)"
    )
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=MEMORY_LIMIT_GB,
        help=f"address-space cap per measured process, 0 for none (default {MEMORY_LIMIT_GB:g})",
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--floor-values", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        limit_memory(args.memory_limit_gb)
        kwargs = {"values": args.floor_values} if args.worker == "floor" else {}
        if args.worker == "engine":
            kwargs = {"threads": args.threads}
        try:
            figures = WORKERS[args.worker](args.n, int(args.draws), **kwargs)
        except MemoryError:
            print("worker: MemoryError", file=sys.stderr)
            raise SystemExit(3) from None
        print(json.dumps(figures))
        return

    cfg = dict(QUICK if args.quick else FULL)
    if args.profiles:
        cfg["profiles"] = tuple(int(x) for x in args.profiles.split(","))
    if args.draws:
        cfg["draws"] = tuple(int(x) for x in args.draws.split(","))
        for kind in ("loop", "squiggle"):
            cfg[kind] = {d: cfg[kind].get(d, max(10, 200_000 // d)) for d in cfg["draws"]}
    res = measure(cfg, args.timeout, args.memory_limit_gb)
    res.update(report(res, args.quick))
    res["quick"] = args.quick
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"Figures written to {args.json}.")


if __name__ == "__main__":
    main()
