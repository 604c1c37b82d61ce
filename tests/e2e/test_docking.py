#!/usr/bin/python3
"""The shared docking scenario runs unchanged, and its ensemble means fall in ranges derived by
hand from MODEL.md.

Usage: test_docking.py <essaim-binary> <repo-dir>

Hand derivations (docking.toml, 2019-07-01 .. 2022-06-30):
- Capacity floor(C x caseload): Alpha 2 coaches x 30 = 60 until 2019-12-31, then 90; Beta 2 x 25 = 50;
  Gamma 1 x 30 = 30 until 2020-12-31, then 60. Zero before opening.
- Costs not due to barriers are deterministic: (48000 C + 60000) / 365 per open day, so
  total_cost - 400 x barriers resolved = 48000/365 x coach-days + 60000/365 x open days, with
  coach-days Alpha 2x184 + 3x912, Beta 2x730, Gamma 1x184 + 2x546 and open days 1096 + 730 + 730.
- Repérage: lambda = 0.12 C r m_outreach P/(P+500). Ramps: Alpha r0 = 0.3 (its only neighbour
  opens after it), Beta r0 = 0.6 (Alpha open 366 >= 270 days when Beta opens), Gamma r0 = 0.3
  (no neighbours); r rises linearly to 1 over 270 days. Crisis outreach multipliers 0.3
  (2020-03-17..05-10) and 0.5 (2020-10-30..12-14). Every pool's inflow exceeds its identification
  rate, so P stays near or above its initial value P0: the expected count identified lies between
  S x (0.9 P0)/(0.9 P0 + 500) and S, where S = sum over open days of 0.12 C r m; the premise
  P >= 0.9 P0 is checked on every open day of every replication's series. Sharper still, the pool
  at repérage (step 5) is read back from the series (end-of-day pool + identified - inflow), which
  gives each day's Poisson rate exactly: identified minus the sum of those rates has mean 0 and
  variance the sum of the rates (a martingale), checked per territory over all replications.
Tolerances: z = 4.753 standard errors of the ensemble mean (false alarm about 2e-6 per check).
"""
import datetime as dt
import filecmp
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from e2e import BINARY, REPO, DOCKING, check, finish

SHARED = os.path.join(REPO, "..", "shared", "scenarios", "docking.toml")
Z = 4.753
REPLICATIONS = 40


START = dt.date(2019, 7, 1)
END = dt.date(2022, 6, 30)
N_DAYS = (END - START).days + 1


def day(y, m, d):
    return (dt.date(y, m, d) - START).days


def coaches(territory, d):
    if territory == "Alpha":
        return 0 if d < 0 else (2 if d < day(2020, 1, 1) else 3)
    if territory == "Beta":
        return 2 if d >= day(2020, 7, 1) else 0
    return 0 if d < day(2020, 7, 1) else (1 if d < day(2021, 1, 1) else 2)


OPEN = {"Alpha": 0, "Beta": day(2020, 7, 1), "Gamma": day(2020, 7, 1)}
R0 = {"Alpha": 0.3, "Beta": 0.6, "Gamma": 0.3}
CASELOAD = {"Alpha": 30, "Beta": 25, "Gamma": 30}
POOL = {"Alpha": 3000, "Beta": 1200, "Gamma": 800}


def outreach_multiplier(d):
    if day(2020, 3, 17) <= d <= day(2020, 5, 10):
        return 0.3
    if day(2020, 10, 30) <= d <= day(2020, 12, 14):
        return 0.5
    return 1.0


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-docking-") as tmp:
        return checks(tmp)


def checks(tmp):
    if os.path.exists(SHARED):
        check(filecmp.cmp(DOCKING, SHARED, shallow=False), "scenarios/docking.toml is the shared file, unchanged")

    runs = []
    for r in range(REPLICATIONS):
        path = os.path.join(tmp, f"r{r}.h5")
        out = subprocess.run([BINARY, "run", DOCKING, "--json", "--quiet", "--replication", str(r), "-o", path],
                             capture_output=True, text=True, timeout=600)
        check(out.returncode == 0, f"replication {r} runs: {out.stderr}")
        runs.append((json.loads(out.stdout), path))

    with h5py.File(runs[0][1], "r") as f:
        variables = [v.decode() if isinstance(v, bytes) else v for v in f["series/daily"].attrs["variables"]]
        names = [n.decode() if isinstance(n, bytes) else n for n in f["territories/name"][()]]
        series = f["series/daily"][()]
    col = {v: i for i, v in enumerate(variables)}
    check(names == ["Alpha", "Beta", "Gamma"], "territory order")
    expected_capacity = np.array([[math.floor(coaches(t, d) * CASELOAD[t]) if d >= OPEN[t] else 0
                                   for t in names] for d in range(N_DAYS)], dtype=float)
    check(np.array_equal(series[:, :, col["capacity"]], expected_capacity), "capacity = floor(C x caseload) each day")
    check(np.array_equal(series[:, :, col["coaches"]],
                         np.array([[coaches(t, d) for t in names] for d in range(N_DAYS)], dtype=float)),
          "coach schedule")

    coach_days = sum(coaches(t, d) for t in names for d in range(N_DAYS))
    check(coach_days == 2 * 184 + 3 * 912 + 2 * 730 + 184 + 2 * 546, "hand count of coach-days")
    fixed = 48000 / 365 * coach_days + 60000 / 365 * (1096 + 730 + 730)
    for kpis, path in runs[:5]:
        with h5py.File(path, "r") as f:
            resolved = f["series/daily"][:, :, col["barriers_resolved"]].sum()
        cost = kpis["total"]["total_cost"]
        check(abs(cost - 400 * resolved - fixed) < 1e-6 * fixed, f"deterministic part of the cost: {cost}")

    # The series of every replication: the lower bound below assumes the pool never falls under
    # 0.9 P0, verified here on every open day of every replication rather than taken on trust.
    all_series = []
    for _, path in runs:
        with h5py.File(path, "r") as f:
            all_series.append(f["series/daily"][()])
    for i, t in enumerate(names):
        lowest = min(x[OPEN[t]:, i, col["pool"]].min() for x in all_series)
        check(lowest >= 0.9 * POOL[t], f"{t}: pool stays >= 0.9 P0 = {0.9 * POOL[t]:.0f} (lowest {lowest:.0f})")

    for i, t in enumerate(names):
        rate = [0.12 * coaches(t, d) * min(1.0, R0[t] + (1 - R0[t]) * (d - OPEN[t]) / 270) * outreach_multiplier(d)
                for d in range(N_DAYS)]
        s = sum(rate[d] for d in range(OPEN[t], N_DAYS))
        low = s * 0.9 * POOL[t] / (0.9 * POOL[t] + 500)
        values = [k["territories"][t]["identified"] for k, _ in runs]
        mean, se = statistics.mean(values), statistics.stdev(values) / math.sqrt(len(values))
        check(low - Z * se <= mean <= s + Z * se,
              f"{t}: mean identified {mean:.1f} in [{low:.1f}, {s:.1f}] (se {se:.1f})")
        # Sharper: the pool at repérage (step 5) is known from the series, P = pool at the end of
        # the day + identified - inflow (no give-up happens after step 5), so each day's count is
        # Poisson with the known rate lambda_d = 0.12 C r m P / (P + 500) given the past. The sum
        # of (identified - lambda_d) over days and replications has mean 0 and variance sum lambda_d.
        excess = compensator = 0.0
        for x in all_series:
            for d in range(OPEN[t], N_DAYS):
                row = x[d, i]
                pool = row[col["pool"]] + row[col["identified"]] - row[col["inflow"]]
                lam = rate[d] * pool / (pool + 500)
                excess += row[col["identified"]] - lam
                compensator += lam
        check(abs(excess) <= Z * math.sqrt(compensator),
              f"{t}: identified - sum of daily rates = {excess:.1f}, sd {math.sqrt(compensator):.1f}")
        print(f"{t}: identified {mean:.2f} a replication in [{low:.2f}, {s:.2f}]; "
              f"excess over the daily rates {excess:.1f} (z = {excess / math.sqrt(compensator):.2f})")

    # Ratios stay within their definitions in every replication.
    for kpis, _ in runs:
        tot = kpis["total"]
        check(tot["entries"] <= tot["identified"], "entries <= identified")
        check(0 <= tot["positive_exit_rate"] <= 1 and 0 < tot["capacity_utilisation"] <= 1, "rates in [0, 1]")
        check(1 <= tot["mean_days_to_first_job"] <= 455, "a first job comes 1..455 days after entry")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
