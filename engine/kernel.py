"""The objective of every phased plan on every draw, as one compiled pass (numba): the fast twin of
:func:`engine.model.evaluate_plan`.

:func:`engine.model.evaluate_plan` states the objective; :func:`run` performs the same floating-point operations
in the same order, so the scores are identical to the last bit (``tests/test_kernel.py`` checks it on varied
cohorts). What it saves is memory traffic and repetition: the array version builds a few dozen temporary
(profiles x draws) arrays per plan; here each operation runs over a block of one profile's draws held in cache,
and the phases several plans start with are worked out once.

Everything a phase contributes (its timing, cost, unfilled work and the gross profit earned while it runs)
depends only on the phases before it, so the plans are compiled into *steps* (:func:`compile_plans`): each step
opens one phase from a parent step's closed state (``-1``: week 0, nothing spent). A step that some plan
continues from closes its phase into a stored state; a step that ends a plan runs its phase to the horizon and
writes that plan's score.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from engine.profile import MODULES

MAX = len(MODULES)
BLOCK = 128  # draws per block: the block's tables and the stored states stay in cache


@lru_cache(maxsize=64)
def compile_plans(plans: tuple[tuple[tuple[str, ...], ...], ...]) -> tuple[np.ndarray, ...]:
    """Steps for :func:`run`: ``(parent, count, mods, node, plan, empty)``, per step the parent step (-1 for the
    start), the phase's module count and modules (indices into ``MODULES``, in the phase's order), the state slot
    it closes into (-1 if it ends a plan), the plan it ends (-1 if it closes a state); ``empty`` lists the plans
    with no phase. Parents always come before their children."""
    step_of: dict[tuple, int] = {}
    parent, count, mods, node, plan_of = [], [], [], [], []
    empty = []
    nodes = 0

    def add(par: int, phase: tuple[str, ...], slot: int, plan: int) -> int:
        parent.append(par)
        count.append(len(phase))
        mods.append([MODULES.index(m) for m in phase] + [-1] * (MAX - len(phase)))
        node.append(slot)
        plan_of.append(plan)
        return len(parent) - 1

    for p, plan in enumerate(plans):
        if not plan:
            empty.append(p)
            continue
        par = -1
        for k in range(1, len(plan)):
            key = plan[:k]
            if key not in step_of:
                step_of[key] = add(par, plan[k - 1], nodes, -1)
                nodes += 1
            par = step_of[key]
        add(par, plan[-1], -1, p)
    out = tuple(
        np.array(values, dtype=np.int64).reshape(shape)
        for values, shape in (
            (parent, (-1,)),
            (count, (-1,)),
            (mods, (-1, MAX)),
            (node, (-1,)),
            (plan_of, (-1,)),
            (empty, (-1,)),
        )
    )
    for a in out:
        a.setflags(write=False)
    return out


# error_model="numpy": a division yields inf/nan as numpy's does instead of checking every divisor for zero (no
# divisor here can be zero); without the checks the compiler vectorises the loops over draws, and the figures
# are the same bits (tests/test_kernel.py).
@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _open_phase(
    mods_s, c, first, j, b0, nb, weight, defer, defer_stretch, drag, lag, st, alone, h_now, h_before, op, ss,
    start, factor, saved, begin, length, m_op, m_ss,
):  # fmt: skip
    """Open a phase of ``c`` modules at ``start`` for draws ``b0 .. b0 + nb`` of profile ``j``: when each of its
    modules becomes operational and steady (into ``m_op``, ``m_ss``) and the phase's length to its last module's
    operational week (``length``), as :func:`engine.model.timeline` does."""
    for i in range(c):
        m = mods_s[i]
        for b in range(nb):
            saved[b] = 0.0  # here: the weight of the phase's other modules
        for i2 in range(c):
            o = mods_s[i2]
            if o != m:
                w_o = weight[o, b0 : b0 + nb]
                for b in range(nb):
                    saved[b] = saved[b] + w_o[b]
        for b in range(nb):
            factor[i, b] = 1.0 + drag[b0 + b] * saved[b]
        if first and defer[j, m] > 0.0:
            for b in range(nb):
                factor[i, b] = factor[i, b] * defer_stretch[b0 + b]
    for b in range(nb):
        saved[b] = -np.inf
    for i in range(c):
        m = mods_s[i]
        ss_m = ss[m, j, b0 : b0 + nb]
        for b in range(nb):
            v = ss_m[b] * factor[i, b] * (alone[b] - st[b])
            saved[b] = v if v > saved[b] else saved[b]
    for b in range(nb):
        wait = lag[b0 + b] * min(max(h_now[b] - h_before[b], 0.0), 1.0)
        begin[b] = start[b] + min(wait, saved[b])
        length[b] = 0.0
    for i in range(c):
        m = mods_s[i]
        op_m = op[m, j, b0 : b0 + nb]
        ss_m = ss[m, j, b0 : b0 + nb]
        for b in range(nb):
            f = st[b] * factor[i, b]
            o_w = begin[b] + op_m[b] * f
            m_op[m, b] = o_w
            m_ss[m, b] = begin[b] + ss_m[b] * f
            length[b] = max(length[b], o_w - start[b])


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _phase_money(
    t, last, nb, su, mo, sh, pa, start, length, prefix, pm, gp, j, b0, m_op, m_ss, weeks_per_month, ends, cost,
    lack, profit, area,
):  # fmt: skip
    """Add what a phase (started at ``start``, running until the next phase or, if ``last``, for good) costs,
    leaves undone and earns by week ``t`` to ``cost``, ``lack`` and ``profit``, as :func:`engine.model.money`."""
    for b in range(nb):
        end = np.inf if last else start[b] + length[b]
        ends[b] = end
        cost[b] = cost[b] + (su[b] if start[b] <= t else 0.0)
        span = max(min(end, t) - start[b], 0.0) / weeks_per_month
        cost[b] = cost[b] + mo[b] * span
        lack[b] = lack[b] + sh[b] * pa[b] * span
    # what each module running in this phase earns beside the others running then
    for m in range(MAX):
        if prefix & (1 << m):
            g = gp[prefix, m, j, b0 : b0 + nb]
            fresh = pm & (1 << m)
            for b in range(nb):
                o_w = m_op[m, b]
                s_w = m_ss[m, b]
                span_r = max(s_w - o_w, 1e-9)
                hi = min(ends[b], t)
                ramping = min(max(hi - o_w, 0.0), span_r)
                a_hi = ramping * ramping / (2 * span_r) + max(hi - s_w, 0.0)
                # the area up to the phase's start: none for a module it opens (operational after it starts),
                # the last phase's area up to its end (the same figure) for one running since before
                a_lo = 0.0 if fresh else area[m, b]
                area[m, b] = a_hi
                profit[b] = profit[b] + g[b] * (a_hi - a_lo) / weeks_per_month


@njit(cache=True, nogil=True, inline="always")
def _phase_buffers():
    """Scratch for :func:`_open_phase` and :func:`_phase_money`, one block of draws each: start, begin,
    length, saved, ends (BLOCK,) and factor, operational, steady (MAX, BLOCK)."""
    one = (np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK), np.empty(BLOCK))
    return (*one, np.empty((MAX, BLOCK)), np.empty((MAX, BLOCK)), np.empty((MAX, BLOCK)))


@njit(cache=True, nogil=True)
def _prefixes(parent, count, mods):
    """Each step's phase and prefix (the modules started by its end) as bit masks."""
    steps = parent.shape[0]
    prefix_of = np.zeros(steps, dtype=np.int64)
    phase_of = np.zeros(steps, dtype=np.int64)
    for s in range(steps):
        pm = 0
        for i in range(count[s]):
            pm |= 1 << mods[s, i]
        phase_of[s] = pm
        prefix_of[s] = (prefix_of[parent[s]] if parent[s] >= 0 else 0) | pm
    return phase_of, prefix_of


@njit(cache=True, nogil=True, error_model="numpy")
def run(
    parent,
    count,
    mods,
    node,
    plan_of,
    empty,
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
    parts,  # (3, plans, size, n) or empty: each plan's gross profit, cost and unfilled-work pay at the horizon
):
    size, n = out.shape[1], out.shape[2]
    steps = parent.shape[0]
    nodes = 0
    for s in range(steps):
        if node[s] >= 0:
            nodes += 1
    phase_of, prefix_of = _prefixes(parent, count, mods)
    slots = max(nodes, 1)
    s_start = np.empty((slots, BLOCK))
    s_cost = np.empty((slots, BLOCK))
    s_lack = np.empty((slots, BLOCK))
    s_profit = np.empty((slots, BLOCK))
    s_op = np.empty((slots, MAX, BLOCK))
    s_ss = np.empty((slots, MAX, BLOCK))
    s_area = np.empty((slots, MAX, BLOCK))
    area = np.empty((MAX, BLOCK))
    cost = np.empty(BLOCK)
    lack = np.empty(BLOCK)
    profit = np.empty(BLOCK)
    start, begin, length, saved, ends, factor, m_op, m_ss = _phase_buffers()
    for j in range(size):
        scale_j = scale[j]
        budget_j = budget[j]
        for b0 in range(0, n, BLOCK):
            nb = min(BLOCK, n - b0)
            for e in range(empty.shape[0]):
                for b in range(nb):
                    out[empty[e], j, b0 + b] = 0.0
                    if parts.shape[0] > 0:
                        for k in range(3):
                            parts[k, empty[e], j, b0 + b] = 0.0
            for s in range(steps):
                par = parent[s]
                pm = phase_of[s]
                prefix = prefix_of[s]
                prev = prefix_of[par] if par >= 0 else 0
                first = par < 0
                # the state the phase opens from
                if first:
                    for b in range(nb):
                        start[b] = 0.0
                        cost[b] = 0.0
                        lack[b] = 0.0
                        profit[b] = 0.0
                else:
                    slot = node[par]
                    for b in range(nb):
                        start[b] = s_start[slot, b]
                        cost[b] = s_cost[slot, b]
                        lack[b] = s_lack[slot, b]
                        profit[b] = s_profit[slot, b]
                    for m in range(MAX):
                        if prev & (1 << m):
                            for b in range(nb):
                                m_op[m, b] = s_op[slot, m, b]
                                m_ss[m, b] = s_ss[slot, m, b]
                                area[m, b] = s_area[slot, m, b]
                _open_phase(
                    mods[s], count[s], first, j, b0, nb, weight, defer, defer_stretch, drag, lag,
                    stretch[prefix, j, b0 : b0 + nb], unhired[prefix, j, b0 : b0 + nb],
                    hired[prefix, j, b0 : b0 + nb], hired[prev, j, b0 : b0 + nb], op, ss,
                    start, factor, saved, begin, length, m_op, m_ss,
                )  # fmt: skip
                # the phase's money up to the horizon (it runs until the next phase starts)
                last = plan_of[s] >= 0
                _phase_money(
                    horizon, last, nb, setup[pm, j, b0 : b0 + nb], monthly[prefix, j, b0 : b0 + nb],
                    short[prefix, j, b0 : b0 + nb], pay[prefix, j, b0 : b0 + nb], start, length, prefix, pm,
                    gp, j, b0, m_op, m_ss, weeks_per_month, ends, cost, lack, profit, area,
                )  # fmt: skip
                if last:
                    row = out[plan_of[s], j, b0 : b0 + nb]
                    if parts.shape[0] > 0:
                        for b in range(nb):
                            parts[0, plan_of[s], j, b0 + b] = profit[b]
                            parts[1, plan_of[s], j, b0 + b] = cost[b]
                            parts[2, plan_of[s], j, b0 + b] = lack[b]
                    for b in range(nb):
                        net = profit[b] - cost[b]
                        score = net - w_down * max(-net, 0.0)
                        score = score - w_budget * max(cost[b] - budget_j, 0.0)
                        score = score - w_staff * lack[b]
                        row[b] = score / scale_j
                else:
                    slot = node[s]
                    for b in range(nb):
                        s_start[slot, b] = start[b] + length[b]
                        s_cost[slot, b] = cost[b]
                        s_lack[slot, b] = lack[b]
                        s_profit[slot, b] = profit[b]
                    for m in range(MAX):
                        if prefix & (1 << m):
                            for b in range(nb):
                                s_op[slot, m, b] = m_op[m, b]
                                s_ss[slot, m, b] = m_ss[m, b]
                                s_area[slot, m, b] = area[m, b]
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def cash(
    parent,
    count,
    mods,
    rows,  # (k,): the profiles to follow
    op,
    ss,
    weight,
    defer,
    defer_stretch,
    drag,
    lag,
    stretch,
    unhired,
    hired,
    setup,
    monthly,
    short,
    pay,
    gp,
    times,  # (T,): weeks at which the money is read
    weeks_per_month,
    cost_out,  # (T, k, n): cost paid by each time
    profit_out,  # (T, k, n): gross profit earned by each time
    op_out,  # (k, n): the plan's last module operational (week)
    ss_out,  # (k, n): ... steady
):
    """One plan (the steps of :func:`compile_plans` for it alone: a chain of phases) for the profiles ``rows``:
    its cost and gross profit accrued by each of ``times`` and when it is operational and steady, the figures
    :func:`engine.model.cashflow` and :func:`engine.model.timeline` give, bit for bit."""
    n = cost_out.shape[2]
    steps = parent.shape[0]
    nt = times.shape[0]
    phase_of, prefix_of = _prefixes(parent, count, mods)
    start, begin, length, saved, ends, factor, m_op, m_ss = _phase_buffers()
    cost = np.empty((nt, BLOCK))
    lack = np.empty((nt, BLOCK))
    profit = np.empty((nt, BLOCK))
    area = np.empty((nt, MAX, BLOCK))
    for r in range(rows.shape[0]):
        j = rows[r]
        for b0 in range(0, n, BLOCK):
            nb = min(BLOCK, n - b0)
            for b in range(nb):
                start[b] = 0.0
                op_out[r, b0 + b] = 0.0
                ss_out[r, b0 + b] = 0.0
                for k in range(nt):
                    cost[k, b] = 0.0
                    lack[k, b] = 0.0
                    profit[k, b] = 0.0
            prev = 0
            for s in range(steps):
                pm = phase_of[s]
                prefix = prefix_of[s]
                _open_phase(
                    mods[s], count[s], s == 0, j, b0, nb, weight, defer, defer_stretch, drag, lag,
                    stretch[prefix, j, b0 : b0 + nb], unhired[prefix, j, b0 : b0 + nb],
                    hired[prefix, j, b0 : b0 + nb], hired[prev, j, b0 : b0 + nb], op, ss,
                    start, factor, saved, begin, length, m_op, m_ss,
                )  # fmt: skip
                for i in range(count[s]):
                    m = mods[s, i]
                    for b in range(nb):
                        op_out[r, b0 + b] = max(op_out[r, b0 + b], m_op[m, b])
                        ss_out[r, b0 + b] = max(ss_out[r, b0 + b], m_ss[m, b])
                last = s == steps - 1
                for k in range(nt):
                    _phase_money(
                        times[k], last, nb, setup[pm, j, b0 : b0 + nb], monthly[prefix, j, b0 : b0 + nb],
                        short[prefix, j, b0 : b0 + nb], pay[prefix, j, b0 : b0 + nb], start, length, prefix,
                        pm, gp, j, b0, m_op, m_ss, weeks_per_month, ends, cost[k], lack[k], profit[k], area[k],
                    )  # fmt: skip
                for b in range(nb):
                    start[b] = start[b] + length[b]
                prev = prefix
            for k in range(nt):
                for b in range(nb):
                    cost_out[k, r, b0 + b] = cost[k, b]
                    profit_out[k, r, b0 + b] = profit[k, b]


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _roles(run, fte, has, overlap, j, total, out):
    """Combined need per role of the modules of ``run`` for profile ``j``: the largest need, plus the part of
    the others the same people do not cover, as :func:`engine.model.table_arrays`' ``roles_of``."""
    n = out.shape[1]
    for k in range(out.shape[0]):
        top = out[k]
        for b in range(n):
            total[b] = 0.0
            top[b] = -np.inf
        needed = False
        for m in range(MAX):
            if run & (1 << m) and has[m, k]:
                needed = True
                x = fte[m, k, j]
                for b in range(n):
                    total[b] = total[b] + x[b]
                    top[b] = max(top[b], x[b])
        if not needed:
            for b in range(n):
                top[b] = 0.0
            continue
        for b in range(n):
            top[b] = top[b] + (1.0 - overlap[b]) * (total[b] - top[b])


@njit(cache=True, nogil=True, error_model="numpy")
def table(
    masks,  # (sets,): the sets of new modules to fill in
    kept,  # bit mask of the modules running today
    fte,  # (modules, roles, size, n): each module's need per role
    has,  # (modules, roles): whether the module needs the role at all
    fixed,  # (modules, size, n): each module's monthly costs
    setup_m,  # (modules, size, n): each module's set-up
    pay,  # (roles, size, n): monthly pay of one FTE
    served,  # (16, size, n): GMV the merchant's own service handles, per set
    gmv,  # (16, size, n): the set's new GMV
    keep,  # (16, size, n): its gross profit
    overlap,  # (n,)
    per_order,  # (n,): orders one service FTE handles a month
    available,  # (size,)
    budget,  # (size,)
    aov,  # (size,)
    cs,  # index of the customer-service role
    required,  # out (16, size, n)
    hired,
    short,
    pay_fte,
    staff_cost,
    monthly,
    setup,
    stretch,  # out: the need over the team with its hires (the caller raises it to the elasticity)
    alone,  # out: the need over the team without hires (likewise)
    be,
    role_fte,  # out (16, roles, size, n)
):
    """Staffing, hires, costs, ramp stretch ratios and break-even of every set in ``masks``, for every profile:
    the figures of :func:`engine.model.table_arrays`, bit for bit."""
    roles, size, n = fte.shape[1], fte.shape[2], fte.shape[3]
    kept_roles = np.empty((roles, n))
    rf = np.empty((roles, n))
    total = np.empty(n)
    base = np.empty(n)
    req = np.empty(n)
    wage = np.empty(n)
    fx = np.empty(n)
    su = np.empty(n)
    for j in range(size):
        _roles(kept, fte, has, overlap, j, total, kept_roles)
        for b in range(n):
            base[b] = kept_roles[0, b]
        for k in range(1, roles):
            for b in range(n):
                base[b] = base[b] + kept_roles[k, b]
        for b in range(n):
            base[b] = max(available[j], base[b])
        for q in range(masks.shape[0]):
            mask = masks[q]
            _roles(mask | kept, fte, has, overlap, j, total, rf)
            sv = served[mask, j]
            for b in range(n):
                rf[cs, b] = max(rf[cs, b], kept_roles[cs, b] + sv[b] / aov[j] / per_order[b])
            for k in range(roles):
                out_k = role_fte[mask, k, j]
                for b in range(n):
                    out_k[b] = rf[k, b]
            for b in range(n):
                req[b] = rf[0, b]
                wage[b] = 0.0 + rf[0, b] * pay[0, j, b]
                fx[b] = 0.0
                su[b] = 0.0
            for k in range(1, roles):
                for b in range(n):
                    req[b] = req[b] + rf[k, b]
                    wage[b] = wage[b] + rf[k, b] * pay[k, j, b]
            for m in range(MAX):
                if mask & (1 << m):
                    for b in range(n):
                        fx[b] = fx[b] + fixed[m, j, b]
                        su[b] = su[b] + setup_m[m, j, b]
            g = gmv[mask, j]
            kp = keep[mask, j]
            o_req, o_hired, o_short, o_pay = (
                required[mask, j],
                hired[mask, j],
                short[mask, j],
                pay_fte[mask, j],
            )
            o_staff, o_monthly, o_setup, o_be = (
                staff_cost[mask, j],
                monthly[mask, j],
                setup[mask, j],
                be[mask, j],
            )
            o_stretch, o_alone = stretch[mask, j], alone[mask, j]
            bj = budget[j]
            for b in range(n):
                r = req[b]
                w = wage[b] / max(r, 1e-9)
                need = max(r - base[b], 0.0)
                fundable = max(bj - fx[b], 0.0) / max(w, 1e-9)
                take = min(need, fundable)
                o_req[b] = r
                o_hired[b] = take
                o_short[b] = need - take
                o_pay[b] = w
                o_staff[b] = take * w
                mo = fx[b] + take * w
                o_monthly[b] = mo
                o_setup[b] = su[b]
                # the ratios only: numpy raises them to the elasticity (its power is not the C library's to the bit)
                o_stretch[b] = r / (base[b] + take)
                o_alone[b] = r / base[b]
                rate = kp[b] / g[b] if g[b] > 0 else 0.0
                o_be[b] = 0.0 if mo <= 0 else (mo / rate if rate > 0 else np.inf)


CHANNELS, SHOP, MALL, WECOM = (MODULES.index(m) for m in ("channels", "shop", "miniprogram", "wecom"))


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _gross(gmv, returns, fee, margin, commission, commissioned):
    return gmv * (1.0 - returns) * (margin - fee) - commission * commissioned


@njit(cache=True, nogil=True, error_model="numpy")
def returns(
    masks,  # (k,): the sets of new modules
    kept,  # bit mask of the modules running today
    daihuoren,  # agents may sell through the shop as 带货人 (from 2025)
    linked,  # Channels links to the mall (from 2024-05)
    d,  # (16, size, n): the demand's arrays, in the order of DEMAND below
    reach,  # (modules, size, n): each module's level reach
    fitmult,  # (modules, size, n)
    bought,  # (size, n): GMV Channels' boosts buy
    gmv_out,  # out (16, size, n): the set's new GMV
    served_out,  # out (16, size, n): what the merchant's own service handles
    keep_out,  # out (16, size, n): the set's gross profit
    gp_out,  # out (16, modules, size, n): each new module's gross profit
):
    """Every set's steady monthly GMV, gross profit and served GMV, as :func:`engine.model.set_returns` gives
    them module by module and :func:`engine.model.cohort_table` adds them up, bit for bit."""
    size, n = bought.shape
    (
        public0,
        channel_contacts,
        agents0,
        shop_organic,
        shop_contact_orders,
        migration,
        mall_orders,
        wecom_orders,
        uplift,
        return_public,
        return_private,
        commission,
        capture,
        overlap,
        daihuoren_share,
        via_mall,
    ) = (d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15])
    fee_shop, fee_mall, margin, contacts0 = d[16], d[17], d[18], d[19]  # fmt: skip
    for q in range(masks.shape[0]):
        new = masks[q]
        run = new | kept
        has_ch, has_shop, has_mall = run & (1 << CHANNELS), run & (1 << SHOP), run & (1 << MALL)
        to = CHANNELS if has_ch else (SHOP if has_shop and daihuoren else -1)
        for j in range(size):
            for b in range(n):
                public = public0[j, b] * reach[CHANNELS, j, b] * fitmult[CHANNELS, j, b] + bought[j, b]
                agents = 0.0
                if to >= 0:
                    agents = agents0[j, b] * fitmult[to, j, b]
                    if to == SHOP:
                        agents = agents * daihuoren_share[j, b]
                shelf_fee = fee_shop[j, b] if has_shop else fee_mall[j, b]
                if not has_shop:
                    public = public * via_mall[j, b]
                captured = public * capture[j, b] if has_ch else 0.0
                g_sum, s_sum, k_sum = 0.0, 0.0, 0.0
                if new & (1 << CHANNELS):
                    contacts = channel_contacts[j, b] * reach[CHANNELS, j, b] * fitmult[CHANNELS, j, b]
                    if not has_shop:
                        contacts = contacts * via_mall[j, b]
                    mine = agents if to == CHANNELS else 0.0
                    gmv = public + contacts + mine
                    gp = _gross(gmv, return_public[j, b], shelf_fee, margin[j, b], commission[j, b], mine)
                    g_sum, s_sum, k_sum = g_sum + gmv, s_sum + (gmv - mine), k_sum + gp
                    gp_out[new, CHANNELS, j, b] = gp
                if new & (1 << SHOP):
                    lift = (
                        reach[SHOP, j, b]
                        * fitmult[SHOP, j, b]
                        * (1.0 - overlap[j, b] if kept & (1 << MALL) else 1.0)
                    )
                    organic = shop_organic[j, b] * lift
                    contacts = shop_contact_orders[j, b] * lift
                    mine = agents if to == SHOP else 0.0
                    gmv = organic + contacts + mine
                    f = fee_shop[j, b]
                    gp = _gross(organic + mine, return_public[j, b], f, margin[j, b], commission[j, b], mine)
                    gp = gp + _gross(contacts, return_private[j, b], f, margin[j, b], commission[j, b], 0.0)
                    g_sum, s_sum, k_sum = g_sum + gmv, s_sum + (gmv - mine), k_sum + gp
                    gp_out[new, SHOP, j, b] = gp
                if new & (1 << MALL):
                    members = contacts0[j, b] + (captured if linked else 0.0)
                    lift = reach[MALL, j, b] * fitmult[MALL, j, b]
                    shared = 1.0 - overlap[j, b] if has_shop else 1.0
                    gmv = (members * mall_orders[j, b] * uplift[j, b] * shared + migration[j, b]) * lift
                    gp = _gross(
                        gmv, return_private[j, b], fee_mall[j, b], margin[j, b], commission[j, b], 0.0
                    )
                    g_sum, s_sum, k_sum = g_sum + gmv, s_sum + gmv, k_sum + gp
                    gp_out[new, MALL, j, b] = gp
                if new & (1 << WECOM):
                    contacts = contacts0[j, b] + captured
                    gmv = (
                        contacts
                        * wecom_orders[j, b]
                        * uplift[j, b]
                        * reach[WECOM, j, b]
                        * fitmult[WECOM, j, b]
                    )
                    f = fee_shop[j, b] if has_shop and not has_mall else fee_mall[j, b]
                    gp = _gross(gmv, return_private[j, b], f, margin[j, b], commission[j, b], 0.0)
                    g_sum, s_sum, k_sum = g_sum + gmv, s_sum + gmv, k_sum + gp
                    gp_out[new, WECOM, j, b] = gp
                gmv_out[new, j, b] = g_sum
                served_out[new, j, b] = s_sum
                keep_out[new, j, b] = k_sum


@njit(cache=True, nogil=True)
def first_best(scores, out):
    """The index of the largest of ``scores`` (k, m) in each column into ``out`` (m,): the first on a tie, and
    the first NaN if any, as numpy's ``argmax`` over the first axis (which copies the array to do so)."""
    m = scores.shape[1]
    best = np.empty(m)
    for c in range(m):
        out[c] = 0
        best[c] = scores[0, c]
    for i in range(1, scores.shape[0]):
        row = scores[i]
        for c in range(m):
            v = row[c]
            # a NaN is kept once found; a larger value, or the first NaN, takes the place
            take = (v > best[c] or (v != v)) and best[c] == best[c]
            out[c] = i if take else out[c]
            best[c] = v if take else best[c]


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernel's passes now, e.g. before forking workers that would each
    compile them; a few seconds the first time after an install, a fraction of a second after."""
    z4 = np.zeros((MAX, 1, 1))
    z16 = np.ones((1 << MAX, 1, 1))
    gp = np.zeros((16, MAX, 1, 1))
    parent, count, mods, node, plan_of, empty = compile_plans(((("channels",),), ()))
    timing = (z4, z4 + 1, np.zeros((MAX, 1)), np.zeros((1, MAX)), np.ones(1), np.zeros(1), np.zeros(1))
    money = (z16, z16, z16 * 0, z16 * 0, z16 * 0, z16 * 0, z16 * 0, gp)
    run(
        parent, count, mods, node, plan_of, empty, *timing, *money, np.zeros(1), np.ones(1), 0.5, 0.5, 1.0,
        52.0, 52 / 12, np.empty((2, 1, 1)), np.empty((0, 1, 1, 1)),
    )  # fmt: skip
    cash(
        parent[:1], count[:1], mods[:1], np.zeros(1, dtype=np.int64), *timing, *money, np.arange(2.0), 52 / 12,
        np.empty((2, 1, 1)), np.empty((2, 1, 1)), np.empty((1, 1)), np.empty((1, 1)),
    )  # fmt: skip
    first_best(np.zeros((2, 1)), np.zeros(1, dtype=np.int64))
    one = np.ones(1)
    table(
        np.arange(1, 3), 0, np.ones((MAX, 2, 1, 1)), np.ones((MAX, 2), dtype=np.bool_), z4, z4, np.ones((2, 1, 1)),
        z16, z16, z16, one * 0.5, one, one, one, one, 0, *(np.zeros((16, 1, 1)) for _ in range(10)),
        np.zeros((16, 2, 1, 1)),
    )  # fmt: skip
