#!/usr/bin/python3
"""The coaching-intensity study (analysis/intensity_study.py, docs/INTENSITY.md) end to end, on a
small grid of docking.toml: its tables and JSON, the paired differences against the sweep file,
what coach time does, and its errors.

Usage: test_intensity.py <essaim-binary> <repo-dir>
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from e2e import BINARY, DOCKING, REPO, check, finish

SCRIPT = os.path.join(REPO, "analysis", "intensity_study.py")


def study(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT, BINARY, *args], capture_output=True,
                          text=True, timeout=600)


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-intensity-") as tmp:
        sweep = os.path.join(tmp, "intensity.h5")
        grid = ["--caseloads", "15,30", "--contacts", "1,3", "-r", "20", "--threads", "2"]
        r = study(DOCKING, *grid, "--capacity", "30", "-o", sweep, "--json")
        check(r.returncode == 0, f"the study runs: {r.stderr}")
        d = json.loads(r.stdout)
        check(set(d) == {"entries", "mean_days_to_first_job", "share_entrants_with_job",
                         "positive_exit_rate", "cost_per_positive_exit"}, f"KPIs: {sorted(d)}")
        check(set(d["entries"]) == {"15x1", "15x3", "30x1", "30x3"}, f"designs: {sorted(d['entries'])}")
        ref = d["positive_exit_rate"]["30x1"]
        check(ref["difference"] == 0 and ref["difference_ci95"] == [0, 0],
              f"the reference design differs from itself by 0: {ref}")
        # The paired differences are those of the sweep file's replications (common random
        # numbers: replication r of every point shares its numbers).
        with h5py.File(sweep, "r") as f:
            kpis = list(f["replications/kpis"].attrs["kpis"])
            runs = f["replications/kpis"][:]
            keys = [k.decode() for k in f["points/keys"][:]]
            values = [v.decode() for v in f["points/values"][:]]
        points = [dict(zip(keys, values[i:i + len(keys)])) for i in range(0, len(values), len(keys))]
        index = {(float(p["parcours.caseload"]), float(p["parcours.contacts_per_week"])): i
                 for i, p in enumerate(points)}
        k = kpis.index("positive_exit_rate")
        diff = runs[index[(15.0, 3.0)], :, -1, k] - runs[index[(30.0, 1.0)], :, -1, k]
        check(abs(d["positive_exit_rate"]["15x3"]["difference"] - float(np.nanmean(diff))) < 1e-12,
              "the paired difference is the mean of the replications' differences")
        # Places: at a fixed number of coaches, half the caseload admits fewer people in every
        # replication (docking's territories fill their places).
        e = kpis.index("entries")
        check(bool(np.all(runs[index[(15.0, 1.0)], :, -1, e] < runs[index[(30.0, 1.0)], :, -1, e])),
              "caseload 15 admits fewer people than 30 in every replication")

        # Coach time: at caseload 30 a coach at K = 30 cannot give 3 contacts a week, so 3 asked
        # gives less than without a limit; at caseload 15 (K / 15 = 2 a person) the limit binds
        # less. The gain of 3 contacts over 1 with a limit is smaller than without.
        r = study(DOCKING, *grid, "--capacity", "1000000", "--json")
        check(r.returncode == 0, f"the study without a limit runs: {r.stderr}")
        free = json.loads(r.stdout)
        gain_limited = d["positive_exit_rate"]["30x3"]["difference"]
        gain_free = free["positive_exit_rate"]["30x3"]["difference"]
        check(gain_free > gain_limited + 0.02,
              f"coach time takes away most of the gain of 3 contacts at caseload 30: "
              f"{gain_limited:.3f} limited, {gain_free:.3f} free")
        check(d["positive_exit_rate"]["30x1"]["mean"] == free["positive_exit_rate"]["30x1"]["mean"]
              or abs(d["positive_exit_rate"]["30x1"]["mean"] - free["positive_exit_rate"]["30x1"]["mean"]) < 0.02,
              "at 1 contact a week and caseload 30 the limit of 30 barely binds")

        # The Markdown tables: one per KPI, a row per caseload.
        r = study(DOCKING, *grid, "--capacity", "30")
        check(r.returncode == 0 and r.stdout.count("| caseload \\ contacts a week |") == 5
              and "| 15 |" in r.stdout and "| 30 |" in r.stdout, f"Markdown tables: {r.stdout[:300]}")

        # Bad input: exit 2 and a message.
        for args, wanted in [(["--capacity", "0"], "--capacity"),
                             (["--caseloads", "15,20"], "reference design"),
                             (["-r", "1"], "-r"),
                             ([os.path.join(tmp, "missing.toml")], "no such scenario")]:
            r = study(*([DOCKING] if not args[0].endswith(".toml") else []), *args)
            check(r.returncode == 2 and wanted in r.stderr, f"{args}: {r.returncode} {r.stderr}")
        r = subprocess.run(["/usr/bin/python3", SCRIPT, os.path.join(tmp, "no-binary")],
                           capture_output=True, text=True)
        check(r.returncode == 2 and "no-binary" in r.stderr, "a missing binary: exit 2")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
