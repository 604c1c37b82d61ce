# An independent, literal implementation of ../../../shared/MODEL.md (reference model of Dest1),
# written from the text alone during a review, without reading essaim's code: one Bernoulli draw
# a day for every waiting, active and followed-up person, Python's own random numbers. It is slow
# and simple on purpose. tests/e2e/test_reference.py compares essaim's KPI distributions with it.
# Version 1.1 (MODEL.md §6 and §7), also from the text alone: the KPIs entrants_with_job and
# share_entrants_with_job, the unobserved employability Z (§7.1, hazards.employability_variance)
# and the coaches' limit on contacts (§7.2, parcours.contacts_capacity_per_coach_week).
#
# Usage: /usr/bin/python3 dest1_daily.py SCENARIO.toml FIRST_SEED COUNT  -> one JSON object per run
# (the scenario must give every key of the reference model, as docking.toml does).
import datetime as dt
import json
import math
import random
import sys
import tomllib

BARRIERS = ["mobility", "confidence", "digital", "housing", "health"]
DUR = ["lt1y", "1to2y", "gt2y"]
DIP = ["low", "mid", "high"]
WAIT, REMOB, EMP, PE, PU = range(5)


def poisson(rng, mean):
    if mean <= 0:
        return 0
    L = math.exp(-mean)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= L:
            return k
        k += 1


def cat(rng, shares):
    u = rng.random()
    c = 0
    for i, s in enumerate(shares):
        c += s
        if u < c:
            return i
    return len(shares) - 1


class Agent:
    __slots__ = ("ident", "entry", "firstjob", "state", "mask", "dur", "dip", "sector", "exit",
                 "s6", "s12", "t", "z")


def load(path, overrides=None):
    with open(path, "rb") as f:
        sc = tomllib.load(f)
    if overrides:
        for k, v in overrides.items():
            a, b = k.split(".")
            sc[a][b] = v
    return sc


def run(sc, seed):
    rng = random.Random(seed)
    start, end = sc["scenario"]["start"], sc["scenario"]["end"]
    n_days = (end - start).days + 1
    last = n_days - 1
    day = lambda date: (date - start).days
    pc, hz = sc["parcours"], sc["hazards"]
    parcours, fdays = pc["duration_days"], pc["followup_days"]
    caseload, cref = pc["caseload"], pc["caseload_ref"]
    cpw, contacts_ref, alpha, kappa = pc["contacts_per_week"], pc["contacts_ref"], pc["alpha"], pc["kappa"]
    patience = pc["patience_days"]
    sequential = pc.get("mode", "integrated") == "sequential"
    h0_job, h0_drop, gamma, rho = hz["h0_job"], hz["h0_drop"], hz["gamma_confidence"], hz["rho_employed"]
    h0_post, post_job_days, penalty = hz["h0_post"], hz["post_job_days"], hz["digital_penalty"]
    # §7.1: v >= 0, default 0 (Z = 1); §7.2: K > 0, absent by default (no limit).
    variance = hz.get("employability_variance", 0.0)
    capacity_k = pc.get("contacts_capacity_per_coach_week")
    opc, pool_half = sc["outreach"]["per_coach_per_day"], sc["outreach"]["pool_half"]
    mat, r0a, r0i = sc["rampup"]["maturity_days"], sc["rampup"]["r0_adjacent"], sc["rampup"]["r0_isolated"]
    sh_dur = [sc["profile"]["duration"][k] for k in DUR]
    sh_dip = [sc["profile"]["diploma"][k] for k in DIP]
    d_dur = [sc["effects"]["duration"][k] for k in DUR]
    d_dip = [sc["effects"]["diploma"][k] for k in DIP]
    prev = [sc["barriers"][b]["prevalence"] for b in BARRIERS]
    beta = [sc["barriers"][b]["beta"] for b in BARRIERS]
    sres = [sc["barriers"][b]["resolve_per_day"] for b in BARRIERS]
    snames = list(sc["sectors"].keys())
    gw = [sc["sectors"][s]["weight"] for s in snames]
    cdays = [sc["sectors"][s]["contract_days"] for s in snames]
    costs = sc["costs"]
    # crisis calendar
    m = {k: [1.0] * n_days for k in ["outreach", "contacts", "jobloss", "dropout", "inflow"]}
    remote = [False] * n_days
    hire = [[1.0] * len(snames) for _ in range(n_days)]
    for c in sc.get("crisis", []):
        for d in range(max(0, day(c["start"])), min(last, day(c["end"])) + 1):
            for k in m:
                m[k][d] *= c.get(k, 1.0)
            if c.get("remote", False):
                remote[d] = True
            for i, s in enumerate(snames):
                hire[d][i] *= c.get("hire", {}).get(s, 1.0)
    terrs = sc["territory"]
    names = [t["name"] for t in terrs]
    opens = [day(t["open"]) for t in terrs]
    adj = [set() for _ in terrs]
    for i, t in enumerate(terrs):
        for nb in t.get("neighbours", []):
            j = names.index(nb)
            adj[i].add(j)
            adj[j].add(i)
    r0 = [r0a if any(opens[i] - opens[j] >= mat for j in adj[i]) else r0i for i in range(len(terrs))]

    K = dict(identified=0, entries=0, job_starts=0, dropouts=0, gave_up=0, exits_positive=0,
             exits_neutral=0, cost=0.0)
    first_delays, waits = [], []
    e90_n = e90_k = 0
    f6 = e6 = f12 = e12 = 0
    util_per_day_active = [0.0] * n_days
    util_per_day_cap = [0.0] * n_days
    anyopen = [False] * n_days
    post_e_last = post_u_last = 0
    post_e_sum = 0
    followup_ends = 0

    for ti, t in enumerate(terrs):
        steps = [(day(d0), h) for d0, h in t["coaches"]]
        tcase = t.get("caseload", caseload)
        w = [t["sectors"].get(s, 0.0) for s in snames] if "sectors" in t else gw
        pool = t["pool"]
        inflow = t.get("inflow_per_day", 0.0)
        waiting, active, follow = [], [], []
        op = opens[ti]
        for d in range(n_days):
            if d < op:
                continue
            anyopen[d] = True
            C = 0
            for sd, h in steps:
                if sd <= d:
                    C = h
            r = min(1.0, r0[ti] + (1 - r0[ti]) * (d - op) / mat)
            n_act = len(active)
            # §7.2: c_req = contacts_per_week * m_contacts; c_max = K * m_contacts * C / active
            # (no limit when active = 0); c = min(c_req, c_max).
            c_req = cpw * m["contacts"][d]
            c = c_req
            if capacity_k is not None and n_act > 0:
                c = min(c_req, capacity_k * m["contacts"][d] * C / n_act)
            I0 = (c / contacts_ref) ** alpha * (1.0 if n_act == 0 else min(1.0, cref / (n_act / C)))
            hw = [w[i] * hire[d][i] for i in range(len(snames))]
            hsum = sum(hw)
            # 2
            keep = []
            for a in active:
                if d - a.entry >= parcours:
                    pos = a.state == EMP
                    K["exits_positive" if pos else "exits_neutral"] += 1
                    a.exit = d
                    a.state = PE if pos else PU
                    if fdays > 0:
                        follow.append(a)
                    else:
                        followup_ends += 1
                    continue
                I = I0 * (penalty if (remote[d] and (a.mask >> 2) & 1) else 1.0)
                conf = gamma if (a.mask >> 1) & 1 else 1.0
                try:
                    hdrop = h0_drop * conf * I ** (-kappa) * m["dropout"][d]
                except ZeroDivisionError:
                    hdrop = math.inf
                if a.state == REMOB:
                    pb = 1.0
                    for b in range(5):
                        if (a.mask >> b) & 1:
                            pb *= beta[b]
                    hev = 0.0 if (sequential and a.mask) else h0_job * I * r * pb * d_dur[a.dur] * d_dip[a.dip] * hsum * a.z
                else:
                    hev = m["jobloss"][d] / cdays[a.sector]
                    hdrop *= rho
                H = hev + hdrop
                u = rng.random()
                if H > 0:
                    pH = 1 - math.exp(-H)
                    if u < pH * (hev / H if H != math.inf else 0.0):
                        if a.state == REMOB:
                            a.sector = cat(rng, [x / hsum for x in hw])
                            if a.firstjob < 0:
                                a.firstjob = d
                                first_delays.append(d - a.entry)
                                if a.entry <= last - 90 and d - a.entry <= 90:
                                    e90_k += 1
                            a.state = EMP
                            K["job_starts"] += 1
                        else:
                            a.state = REMOB
                    elif u < pH:
                        K["dropouts"] += 1
                        continue
                newmask = a.mask
                for b in range(5):
                    if (a.mask >> b) & 1:
                        if rng.random() < 1 - math.exp(-sres[b] * I * r):
                            newmask &= ~(1 << b)
                            K["cost"] += costs["solution"]
                a.mask = newmask
                keep.append(a)
            active = keep
            # 3
            keepf = []
            for a in follow:
                if a.exit >= d:
                    keepf.append(a)
                    continue
                if a.state == PE:
                    if rng.random() < 1 - math.exp(-m["jobloss"][d] / post_job_days):
                        a.state = PU
                else:
                    pb = 1.0
                    for b in range(5):
                        if (a.mask >> b) & 1:
                            pb *= beta[b]
                    if rng.random() < 1 - math.exp(-h0_post * pb * a.z):
                        a.state = PE
                if d == a.exit + 182:
                    f6 += 1
                    e6 += a.state == PE
                if d == a.exit + 365:
                    f12 += 1
                    e12 += a.state == PE
                if d == a.exit + fdays:
                    followup_ends += 1
                    continue
                keepf.append(a)
            follow = keepf
            # 4
            keepw = []
            for a in waiting:
                if rng.random() < 1 - math.exp(-1.0 / patience):
                    K["gave_up"] += 1
                    pool += 1
                else:
                    keepw.append(a)
            waiting = keepw
            # 5
            lam = opc * C * r * m["outreach"][d] * pool / (pool + pool_half) if pool > 0 else 0.0
            n = min(poisson(rng, lam), pool)
            pool -= n
            for _ in range(n):
                a = Agent()
                a.ident = d
                a.entry = -1
                a.firstjob = -1
                a.state = WAIT
                a.dur = cat(rng, sh_dur)
                a.dip = cat(rng, sh_dip)
                a.mask = 0
                for b in range(5):
                    if rng.random() < prev[b]:
                        a.mask |= 1 << b
                a.sector = 0
                a.t = ti
                a.z = rng.gammavariate(1.0 / variance, variance) if variance > 0 else 1.0
                waiting.append(a)
            K["identified"] += n
            # 6
            cap = math.floor(C * tcase)
            free = cap - len(active)
            k = min(max(free, 0), len(waiting))
            for a in waiting[:k]:
                a.entry = d
                a.state = REMOB
                waits.append(d - a.ident)
                if d <= last - 90:
                    e90_n += 1
                active.append(a)
            waiting = waiting[k:]
            K["entries"] += k
            # 7
            pool += poisson(rng, inflow * m["inflow"][d])
            # 8
            util_per_day_active[d] += len(active)
            util_per_day_cap[d] += cap
            K["cost"] += (costs["coach_per_year"] * C + costs["hub_fixed_per_year"]) / 365
            ne = sum(1 for a in follow if a.state == PE)
            post_e_sum += ne
            if d == last:
                post_e_last += ne
                post_u_last += len(follow) - ne
    out = {k: K[k] for k in ["identified", "entries", "job_starts", "dropouts", "gave_up", "exits_positive", "exits_neutral"]}
    den = K["exits_positive"] + K["exits_neutral"] + K["dropouts"]
    nan = float("nan")
    out["positive_exit_rate"] = K["exits_positive"] / den if den else nan
    fd = sorted(first_delays)
    out["mean_days_to_first_job"] = sum(fd) / len(fd) if fd else nan
    if fd:
        n = len(fd)
        out["median_days_to_first_job"] = fd[n // 2] if n % 2 else 0.5 * (fd[n // 2 - 1] + fd[n // 2])
    else:
        out["median_days_to_first_job"] = nan
    out["share_job_within_90d"] = e90_k / e90_n if e90_n else nan
    out["employed_6m_after_exit"] = e6 / f6 if f6 else nan
    out["employed_12m_after_exit"] = e12 / f12 if f12 else nan
    out["mean_waiting_days"] = sum(waits) / len(waits) if waits else nan
    us = [util_per_day_active[d] / util_per_day_cap[d] for d in range(n_days) if anyopen[d]]
    out["capacity_utilisation"] = sum(us) / len(us) if us else nan
    out["total_cost"] = K["cost"]
    out["entrants_with_job"] = len(first_delays)
    out["share_entrants_with_job"] = len(first_delays) / K["entries"] if K["entries"] else nan
    out["post_employed_last"] = post_e_last
    out["post_unemployed_last"] = post_u_last
    out["post_employed_sum"] = post_e_sum
    out["followup_ends"] = followup_ends
    return out


if __name__ == "__main__":
    path, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    overrides = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    sc = load(path, overrides)
    for s in range(first, first + count):
        print(json.dumps(run(sc, 1000003 * s + 17)))
        sys.stdout.flush()
