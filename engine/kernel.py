"""The objective of every phased plan on every draw, as one compiled pass (numba).

:func:`engine.model.score_plans` states the arithmetic; this module runs the same operations, in the same order,
element by element, so the scores are identical to the last bit (``tests/test_kernel.py`` checks it against the
array version on varied cohorts). What it saves is the memory traffic: the array version makes about twenty
temporary arrays per plan, each a pass over (profiles × draws); here each plan's score is built in registers,
a block of draws at a time, from the state its leading phases leave (shared by every plan that starts with them).

The plans are first compiled into *steps*: each step opens one phase from a parent state (``-1``: the start,
week 0, nothing spent). The first ``nodes`` steps also close their phase into a state that later steps start
from; each remaining step ends a plan and writes its score.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np
from numba import njit

from engine.profile import MODULES

BLOCK = 256  # draws per block: the states of one lead's block stay in the L1/L2 cache


@dataclass(frozen=True)
class Program:
    """Plans as steps (see the module docstring); arrays indexed by step unless said otherwise."""

    nodes: int
    parent: np.ndarray  # int64: the step whose closed state this step starts from, -1 for the start
    mod_ptr: np.ndarray  # int64 (steps + 1,): this step's modules are mods[mod_ptr[s]:mod_ptr[s + 1]]
    mods: np.ndarray  # int64: module indices (MODULES order), in the phase's order
    phase: np.ndarray  # int64: bit mask of the phase's modules
    prefix: np.ndarray  # int64: bit mask of every module started once this phase has started
    variant: np.ndarray  # int64: 0 = the plan has Channels (full fit), 1 = it has not
    plan_step: np.ndarray  # int64 (plans,): the step that ends each plan, -1 for the empty plan
    step_plan: np.ndarray  # int64: the plan a step ends, -1 for a step that closes a state

    def args(self) -> tuple:
        """The program as :func:`run`'s leading arguments."""
        return tuple(getattr(self, f.name) for f in fields(self))


@lru_cache(maxsize=64)
def compile_plans(plans: tuple[tuple[tuple[str, ...], ...], ...]) -> Program:
    """The :class:`Program` of ``plans``; leading phases shared by several plans become one state."""
    node_of: dict[tuple, int] = {}
    nodes: list[tuple[int, tuple[str, ...], int]] = []  # (parent, phase, variant)
    ends: list[tuple[int, tuple[str, ...], int]] = []
    plan_step: list[int] = []
    for plan in plans:
        if not plan:
            plan_step.append(-1)
            continue
        variant = 0 if any("channels" in phase for phase in plan) else 1
        parent = -1
        for k in range(1, len(plan)):
            key = (plan[:k], variant)
            if key not in node_of:
                node_of[key] = len(nodes)
                nodes.append((parent, plan[k - 1], variant))
            parent = node_of[key]
        plan_step.append(len(ends))
        ends.append((parent, plan[-1], variant))
    steps = nodes + ends
    prefix_of: list[int] = []
    for parent, phase, _ in steps:
        prefix_of.append((prefix_of[parent] if parent >= 0 else 0) | _mask(phase))
    mods = [MODULES.index(m) for _, phase, _ in steps for m in phase]
    ptr = np.cumsum([0] + [len(phase) for _, phase, _ in steps])

    steps_of_plans = [s if s < 0 else len(nodes) + s for s in plan_step]
    step_plan = {s: i for i, s in enumerate(steps_of_plans) if s >= 0}

    def arr(values: list[int]) -> np.ndarray:
        out = np.array(values, dtype=np.int64)
        out.setflags(write=False)
        return out

    return Program(
        nodes=len(nodes),
        parent=arr([p for p, _, _ in steps]),
        mod_ptr=arr(ptr.tolist()),
        mods=arr(mods),
        phase=arr([_mask(phase) for _, phase, _ in steps]),
        prefix=arr(prefix_of),
        variant=arr([v for _, _, v in steps]),
        plan_step=arr(steps_of_plans),
        step_plan=arr([step_plan.get(s, -1) for s in range(len(steps))]),
    )


def _mask(phase: tuple[str, ...]) -> int:
    return sum(1 << MODULES.index(m) for m in phase)


@njit(cache=True, nogil=True)
def run(
    nodes,
    parent,
    mod_ptr,
    mods,
    phase,
    prefix,
    variant,
    plan_step,
    step_plan,
    operational,  # (4, size, n): each module's weeks to operational before any stretch
    stretch,  # (16, size, n)
    setup,  # (16, size, n)
    monthly,  # (16, size, n)
    required,  # (16, size, n)
    available,  # (size,)
    per_short_week,  # (size,)
    per_cost,  # (size,)
    per_overrun,  # (size,)
    budget,  # (size,)
    fit,  # (2, size, 4): the value weight times each module's fit, by variant
    deferred,  # (plans, size): modules a rule defers that the plan starts too early
    w_defer,
    horizon,
    weeks_per_month,
    out,  # (plans, size, n)
):
    n_plans, size, n = out.shape
    steps = parent.shape[0]
    s_end = np.empty((max(nodes, 1), BLOCK))
    s_value = np.empty((max(nodes, 1), BLOCK))
    s_cost = np.empty((max(nodes, 1), BLOCK))
    s_short = np.empty((max(nodes, 1), BLOCK))
    s_left = np.empty((max(nodes, 1), BLOCK))
    value = np.empty(BLOCK)
    cost = np.empty(BLOCK)
    length = np.empty(BLOCK)
    start = np.empty(BLOCK)
    short = np.empty(BLOCK)
    left = np.empty(BLOCK)
    for j in range(size):
        have = available[j]
        weigh_short = per_short_week[j]
        for d0 in range(0, n, BLOCK):
            nb = min(BLOCK, n - d0)
            for s in range(steps):
                p = parent[s]
                pre = prefix[s]
                pm = phase[s]
                setup_row = setup[pm, j, d0 : d0 + nb]
                stretch_row = stretch[pre, j, d0 : d0 + nb]
                monthly_row = monthly[pre, j, d0 : d0 + nb]
                required_row = required[pre, j, d0 : d0 + nb]
                # The state this phase starts from.
                if p < 0:
                    for b in range(nb):
                        start[b] = 0.0
                        value[b] = 0.0
                        cost[b] = 0.0 + setup_row[b]
                        short[b] = 0.0
                        left[b] = horizon
                else:
                    for b in range(nb):
                        start[b] = s_end[p, b]
                        value[b] = s_value[p, b]
                        cost[b] = s_cost[p, b] + (setup_row[b] if s_end[p, b] < horizon else 0.0)
                        short[b] = s_short[p, b]
                        left[b] = s_left[p, b]
                # Its modules' value, and the phase's length (the slowest module).
                for k in range(mod_ptr[s], mod_ptr[s + 1]):
                    m = mods[k]
                    f = fit[variant[s], j, m]
                    op_row = operational[m, j, d0 : d0 + nb]
                    if k == mod_ptr[s]:
                        for b in range(nb):
                            op = op_row[b] * stretch_row[b]
                            value[b] = value[b] + f * min(max(1.0 - (start[b] + op) / horizon, 0.0), 1.0)
                            length[b] = op
                    else:
                        for b in range(nb):
                            op = op_row[b] * stretch_row[b]
                            value[b] = value[b] + f * min(max(1.0 - (start[b] + op) / horizon, 0.0), 1.0)
                            length[b] = max(length[b], op)
                if s < nodes:
                    # Close the phase: what runs until the next phase starts.
                    for b in range(nb):
                        end = start[b] + length[b]
                        to_end = horizon - min(end, horizon)
                        span = left[b] - to_end
                        lack = max(required_row[b] - have, 0.0) * weigh_short
                        s_end[s, b] = end
                        s_value[s, b] = value[b]
                        s_cost[s, b] = cost[b] + monthly_row[b] / weeks_per_month * span
                        s_short[s, b] = short[b] + lack * span
                        s_left[s, b] = to_end
                else:
                    # The last phase runs to the horizon: the plan's score.
                    i = step_plan[s]
                    c = per_cost[j]
                    o = per_overrun[j]
                    cap = budget[j]
                    penalty = w_defer * deferred[i, j]
                    row = out[i, j, d0 : d0 + nb]
                    for b in range(nb):
                        span = left[b]
                        lack = max(required_row[b] - have, 0.0) * weigh_short
                        first_year = cost[b] + monthly_row[b] / weeks_per_month * span
                        score = value[b] - c * first_year
                        score = score - o * max(first_year - cap, 0.0)
                        score = score - (short[b] + lack * span)
                        row[b] = score - penalty
            for i in range(n_plans):
                if plan_step[i] < 0:  # no new module: only the staff shortfall of what runs today
                    for b in range(nb):
                        lack = max(required[0, j, d0 + b] - have, 0.0) * weigh_short
                        out[i, j, d0 + b] = -lack * horizon
    return out


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernel now, e.g. before forking workers that would each
    compile it; about two seconds the first time after an install, a fraction of a second after."""
    program = compile_plans(((("channels",),),))
    one = np.zeros((16, 1, 1))
    run(
        *program.args(),
        np.zeros((len(MODULES), 1, 1)),
        one,
        one,
        one,
        one,
        np.ones(1),
        np.zeros(1),
        np.zeros(1),
        np.zeros(1),
        np.zeros(1),
        np.zeros((2, 1, len(MODULES))),
        np.zeros((1, 1)),
        0.0,
        52.0,
        52 / 12,
        np.empty((1, 1, 1)),
    )
