#!/usr/bin/python3
"""essaim against an independent, literal implementation of MODEL.md (tests/reference/dest1_daily.py:
one Bernoulli draw a day per person, Python's random numbers, written from the text alone).

For docking.toml, a stress scenario and a scenario with both extensions of MODEL.md version 1.1
on (tests/reference/extensions.toml: unobserved employability with variance 1.5, coach time
limited to 20 contacts per coach and week, binding on about half of the open territory-days), the
mean of every run KPI over essaim's replications and over the reference's runs must agree: |z| < 4.753 with z = (m_essaim - m_ref) / sqrt(se_e^2 + se_r^2)
(false alarm about 2e-6 per KPI, under 1e-4 for the whole test). What the comparison can detect:
with 400 reference runs, a bias of about 1.5 % on counts and 1-2 points on rates.

Usage: test_reference.py <essaim-binary> <repo-dir>
"""
import json
import math
import os
import statistics
import subprocess
import sys

from e2e import BINARY, REPO, check, finish

REFERENCE = os.path.join(REPO, "tests", "reference", "dest1_daily.py")
Z = 4.753
REFERENCE_RUNS, ESSAIM_RUNS = 400, 2000
KPIS = ["identified", "entries", "job_starts", "dropouts", "gave_up", "exits_positive", "exits_neutral",
        "positive_exit_rate", "mean_days_to_first_job", "median_days_to_first_job", "share_job_within_90d",
        "employed_6m_after_exit", "employed_12m_after_exit", "mean_waiting_days", "capacity_utilisation",
        "total_cost", "entrants_with_job", "share_entrants_with_job"]
largest_z = {}


def reference_runs(scenario):
    """REFERENCE_RUNS runs in two processes (the machine has two cores)."""
    half = REFERENCE_RUNS // 2
    procs = [subprocess.Popen(["/usr/bin/python3", REFERENCE, scenario, str(first), str(half)],
                              stdout=subprocess.PIPE, text=True) for first in (0, half)]
    runs = []
    for p in procs:
        out, _ = p.communicate(timeout=1800)
        check(p.returncode == 0, f"reference implementation runs on {scenario}")
        runs += [json.loads(line) for line in out.splitlines() if line.strip()]
    return runs


def compare(name, scenario):
    ref = reference_runs(scenario)
    # Both engines (event clocks, the default, and one draw per agent and day) against the same
    # reference runs: each must give MODEL.md's process.
    for engine in ("event", "daily"):
        r = subprocess.run([BINARY, "ensemble", scenario, "-r", str(ESSAIM_RUNS), "--threads", "2",
                            "--no-output", "--json", "--quiet", "--engine", engine],
                           capture_output=True, text=True, timeout=1800)
        check(r.returncode == 0, f"{name}: essaim ensemble runs ({engine}): {r.stderr}")
        compare_means(f"{name}/{engine}", json.loads(r.stdout)["kpis"], ref)


def compare_means(name, ess, ref):
    for kpi in KPIS:
        values = [run[kpi] for run in ref if run[kpi] is not None and not math.isnan(run[kpi])]
        e = ess[kpi]
        if e["n"] < 2 or len(values) < 2:
            check(e["n"] == 0 and not values, f"{name}: {kpi} undefined in both ({e['n']} vs {len(values)})")
            continue
        m_ref, se_ref = statistics.mean(values), statistics.stdev(values) / math.sqrt(len(values))
        se = math.hypot(e["se"], se_ref)
        z = (e["mean"] - m_ref) / se if se > 0 else (0.0 if e["mean"] == m_ref else math.inf)
        print(f"{name:18s} {kpi:26s} essaim {e['mean']:14.4f}  reference {m_ref:14.4f}  z {z:+6.2f}")
        largest_z[name] = max(largest_z.get(name, 0.0), abs(z))
        check(abs(z) < Z, f"{name}: {kpi}: essaim {e['mean']:.4f} vs reference {m_ref:.4f}, z = {z:.2f}")


def main():
    compare("docking", os.path.join(REPO, "scenarios", "docking.toml"))
    compare("stress", os.path.join(REPO, "tests", "reference", "stress.toml"))
    compare("extensions", os.path.join(REPO, "tests", "reference", "extensions.toml"))
    for name, z in largest_z.items():
        print(f"{name:18s} largest |z| {z:.2f}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
