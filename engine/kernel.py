"""The objective of every phased plan on every draw, as one compiled pass (numba): the fast twin of
:func:`engine.model.evaluate_plan`.

:func:`engine.model.evaluate_plan` states the objective; :func:`run` performs the same floating-point operations
in the same order, one draw at a time, so the scores are identical to the last bit (``tests/test_kernel.py``
checks it on varied cohorts). What it saves is memory traffic: the array version builds a few dozen temporary
(profiles x draws) arrays per plan, here each plan's timeline and money are built in registers.

Plans arrive as small integer tables (:func:`compile_plans`): for plan ``p``, ``phases[p]`` phases, phase ``k``
with ``count[p, k]`` modules ``mods[p, k, :count]`` (indices into ``MODULES``, in the phase's order).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from engine.profile import MODULES

MAX = len(MODULES)
BLOCK = 256  # draws per block


@lru_cache(maxsize=64)
def compile_plans(
    plans: tuple[tuple[tuple[str, ...], ...], ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(phases, count, mods)`` for :func:`run`."""
    phases = np.zeros(len(plans), dtype=np.int64)
    count = np.zeros((len(plans), MAX), dtype=np.int64)
    mods = np.full((len(plans), MAX, MAX), -1, dtype=np.int64)
    for p, plan in enumerate(plans):
        phases[p] = len(plan)
        for k, phase in enumerate(plan):
            count[p, k] = len(phase)
            for i, m in enumerate(phase):
                mods[p, k, i] = MODULES.index(m)
    for a in (phases, count, mods):
        a.setflags(write=False)
    return phases, count, mods


@njit(cache=True, nogil=True)
def run(
    phases,
    count,
    mods,
    op,  # (modules, size, n): weeks to operational at the module's level, before stretch
    ss,  # (modules, size, n): weeks to steady state
    weight,  # (modules, n): concurrent weight
    defer,  # (size, modules): 1.0 where a rule says the module belongs later
    defer_stretch,  # (n,)
    drag,  # (n,)
    lag,  # (n,): hiring lag in weeks
    stretch,  # (16, size, n)
    unhired,  # (16, size, n)
    hired,  # (16, size, n)
    setup,  # (16, size, n)
    monthly,  # (16, size, n)
    short,  # (16, size, n)
    pay,  # (16, size, n)
    gp,  # (16, modules, size, n)
    budget,  # (size,)
    scale,  # (size,)
    w_down,
    w_budget,
    w_staff,
    horizon,
    weeks_per_month,
    out,  # (plans, size, n)
):
    n_plans, size, n = out.shape
    # Every operation runs over a block of one profile's draws (a loop the compiler vectorises), each draw
    # going through the same floating-point steps as the array version.
    start = np.empty(BLOCK)
    cost = np.empty(BLOCK)
    lack = np.empty(BLOCK)
    profit = np.empty(BLOCK)
    ends = np.empty(BLOCK)
    begin = np.empty(BLOCK)
    length = np.empty(BLOCK)
    saved = np.empty(BLOCK)
    factor = np.empty((MAX, BLOCK))
    m_op = np.empty((MAX, BLOCK))
    m_ss = np.empty((MAX, BLOCK))
    for j in range(size):
        scale_j = scale[j]
        budget_j = budget[j]
        for b0 in range(0, n, BLOCK):
            nb = min(BLOCK, n - b0)
            for p in range(n_plans):
                n_ph = phases[p]
                if n_ph == 0:
                    for b in range(nb):
                        out[p, j, b0 + b] = 0.0
                    continue
                for b in range(nb):
                    start[b] = 0.0
                    cost[b] = 0.0
                    lack[b] = 0.0
                    profit[b] = 0.0
                prev = 0
                for k in range(n_ph):
                    c = count[p, k]
                    pm = 0
                    for i in range(c):
                        pm |= 1 << mods[p, k, i]
                    prefix = prev | pm
                    st = stretch[prefix, j, b0 : b0 + nb]
                    for i in range(c):
                        m = mods[p, k, i]
                        for b in range(nb):
                            others = 0.0
                            for i2 in range(c):
                                o = mods[p, k, i2]
                                if o != m:
                                    others = others + weight[o, b0 + b]
                            factor[i, b] = 1.0 + drag[b0 + b] * others
                        if k == 0 and defer[j, m] > 0.0:
                            for b in range(nb):
                                factor[i, b] = factor[i, b] * defer_stretch[b0 + b]
                    h_now = hired[prefix, j, b0 : b0 + nb]
                    h_before = hired[prev, j, b0 : b0 + nb]
                    alone = unhired[prefix, j, b0 : b0 + nb]
                    for b in range(nb):
                        saved[b] = -np.inf
                    for i in range(c):
                        m = mods[p, k, i]
                        ss_m = ss[m, j, b0 : b0 + nb]
                        for b in range(nb):
                            s = ss_m[b] * factor[i, b] * (alone[b] - st[b])
                            if s > saved[b]:
                                saved[b] = s
                    for b in range(nb):
                        wait = lag[b0 + b] * min(max(h_now[b] - h_before[b], 0.0), 1.0)
                        begin[b] = start[b] + min(wait, saved[b])
                        length[b] = 0.0
                    for i in range(c):
                        m = mods[p, k, i]
                        op_m = op[m, j, b0 : b0 + nb]
                        ss_m = ss[m, j, b0 : b0 + nb]
                        for b in range(nb):
                            f = st[b] * factor[i, b]
                            o_w = begin[b] + op_m[b] * f
                            m_op[m, b] = o_w
                            m_ss[m, b] = begin[b] + ss_m[b] * f
                            length[b] = max(length[b], o_w - start[b])
                    # the phase's money up to the horizon (it runs until the next phase starts)
                    su = setup[pm, j, b0 : b0 + nb]
                    mo = monthly[prefix, j, b0 : b0 + nb]
                    sh = short[prefix, j, b0 : b0 + nb]
                    pa = pay[prefix, j, b0 : b0 + nb]
                    last = k + 1 == n_ph
                    for b in range(nb):
                        end = np.inf if last else start[b] + length[b]
                        ends[b] = end
                        cost[b] = cost[b] + (su[b] if start[b] <= horizon else 0.0)
                        span = max(min(end, horizon) - start[b], 0.0) / weeks_per_month
                        cost[b] = cost[b] + mo[b] * span
                        lack[b] = lack[b] + sh[b] * pa[b] * span
                    # what each module running in this phase earns beside the others running then
                    for m in range(MAX):
                        if prefix & (1 << m):
                            g = gp[prefix, m, j, b0 : b0 + nb]
                            for b in range(nb):
                                o_w = m_op[m, b]
                                s_w = m_ss[m, b]
                                span_r = max(s_w - o_w, 1e-9)
                                hi = min(ends[b], horizon)
                                lo = min(start[b], horizon)
                                ramping = min(max(hi - o_w, 0.0), span_r)
                                a_hi = ramping * ramping / (2 * span_r) + max(hi - s_w, 0.0)
                                ramping = min(max(lo - o_w, 0.0), span_r)
                                a_lo = ramping * ramping / (2 * span_r) + max(lo - s_w, 0.0)
                                profit[b] = profit[b] + g[b] * (a_hi - a_lo) / weeks_per_month
                    for b in range(nb):
                        start[b] = start[b] + length[b]
                    prev = prefix
                row = out[p, j, b0 : b0 + nb]
                for b in range(nb):
                    net = profit[b] - cost[b]
                    score = net - w_down * max(-net, 0.0)
                    score = score - w_budget * max(cost[b] - budget_j, 0.0)
                    score = score - w_staff * lack[b]
                    row[b] = score / scale_j
    return out


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernel now, e.g. before forking workers that would each
    compile it; a few seconds the first time after an install, a fraction of a second after."""
    phases, count, mods = compile_plans(((("channels",),),))
    z4 = np.zeros((MAX, 1, 1))
    z16 = np.ones((16, 1, 1))
    run(
        phases, count, mods, z4, z4 + 1, np.zeros((MAX, 1)), np.zeros((1, MAX)), np.ones(1), np.zeros(1),
        np.zeros(1), z16, z16, z16 * 0, z16 * 0, z16 * 0, z16 * 0, z16 * 0, np.zeros((16, MAX, 1, 1)),
        np.zeros(1), np.ones(1), 0.5, 0.5, 1.0, 52.0, 52 / 12, np.empty((1, 1, 1)),
    )  # fmt: skip
