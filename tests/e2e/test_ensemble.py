#!/usr/bin/python3
"""End-to-end checks of `essaim ensemble`, `essaim compare` and `essaim sweep`: statistics recomputed
independently with numpy from the stored replications, identical output for 1 and 2 threads,
common random numbers, JSON shapes, progress conventions and errors.

Usage: test_ensemble.py <essaim-binary> <repo-dir>
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from e2e import BINARY, DOCKING, essaim, check, finish

N_KPIS = 20  # MODEL.md §6, version 1.1 (entrants_with_job and its share appended)

T_975_7 = 2.3646242515927844  # Student t, 0.975 quantile, 7 degrees of freedom (R = 8)
STATS = ["mean", "sd", "se", "ci95", "q05", "q25", "q50", "q75", "q95", "replications_for_1pct"]


def close(a, b, rel=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    return bool(np.all(both_nan | (np.abs(a - b) <= rel * np.maximum(1.0, np.abs(b)))))


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-ensemble-") as tmp:
        return checks(tmp)


def checks(tmp):
    one, two = os.path.join(tmp, "one.h5"), os.path.join(tmp, "two.h5")
    r1 = essaim("ensemble", DOCKING, "-r", "8", "--threads", "1", "-o", one, "--json", "--quiet")
    r2 = essaim("ensemble", DOCKING, "-r", "8", "--threads", "2", "-o", two, "--json")
    check(r1.returncode == 0 and r2.returncode == 0, f"ensembles run: {r1.stderr} {r2.stderr}")
    strip = lambda out: {k: v for k, v in json.loads(out).items() if k != "output"}
    check(strip(r1.stdout) == strip(r2.stdout), "--json identical for 1 and 2 threads")
    check(r1.stderr == "", "--quiet: nothing on stderr")
    check("ensemble docking-3t: 8/8" in r2.stderr, f"progress lines when not a terminal: {r2.stderr!r}")
    a, b = datasets(one), datasets(two)
    check(a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) or close(a[k], b[k], 0) for k in a
                                       if a[k].dtype.kind == "f"), "every dataset identical for 1 and 2 threads")

    doc = json.loads(r1.stdout)
    check(doc["replications"] == 8 and set(doc["territories"]) == {"Alpha", "Beta", "Gamma"}, "JSON top level")
    check(all(set(STATS) <= set(v) for v in doc["kpis"].values()), "every KPI has every statistic")

    with h5py.File(one, "r") as f:
        check(f.attrs["schema"] == "essaim-ensemble" and f.attrs["schema_version"] == 1, "schema attributes")
        kpis = f["replications/kpis"][()]  # (R, territory or total, kpi)
        names = list(f["replications/kpis"].attrs["kpis"])
        summary = f["summary/kpis"][()]
        statistics = list(f["summary/kpis"].attrs["statistics"])
        series = f["replications/series"][()]  # (R, day, territory, variable), float32
        SERIES_NAMES = list(f["replications/series"].attrs["variables"])
        series_summary = f["summary/series"][()]
        series_stats = list(f["summary/series"].attrs["statistics"])
        km = f["survival/time_to_first_job/all"]
        km_time, km_s, km_lo, km_hi = km["time"][()], km["survival"][()], km["lower"][()], km["upper"][()]
        km_n, km_median = km.attrs["n"], km.attrs["median"]
        territory_groups = list(f["survival/time_to_dropout/territory"].keys())
    check(kpis.shape == (8, 4, N_KPIS) and summary.shape == (4, N_KPIS, 12),
          f"shapes {kpis.shape} {summary.shape}")

    # KPI statistics recomputed with numpy (NaN replications left out, as documented).
    s = {name: summary[..., i] for i, name in enumerate(statistics)}
    for t in range(4):
        for k in range(N_KPIS):
            x = kpis[:, t, k]
            x = x[~np.isnan(x)]
            if len(x) < 2:
                continue
            mean, sd = x.mean(), x.std(ddof=1)
            se = sd / math.sqrt(len(x))
            q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95])
            ok = close(s["mean"][t, k], mean) and close(s["sd"][t, k], sd) and close(s["se"][t, k], se)
            ok = ok and close([s["q05"][t, k], s["q25"][t, k], s["q50"][t, k], s["q75"][t, k], s["q95"][t, k]], q)
            if len(x) == 8:
                ok = ok and close(s["ci95_low"][t, k], mean - T_975_7 * se) and close(s["ci95_high"][t, k], mean + T_975_7 * se)
                if mean != 0 and sd > 0:
                    ok = ok and s["replications_for_1pct"][t, k] == max(2, math.ceil((T_975_7 * sd / (0.01 * abs(mean))) ** 2))
            check(ok, f"KPI statistics of {names[k]} (territory row {t}) match numpy")
    total_entries = kpis[:, 3, names.index("entries")]
    check(doc["kpis"]["entries"]["mean"] == total_entries.mean(), "JSON mean equals the file's")

    # Daily series statistics, every cell, against numpy on the stored float32 replications.
    total = series.sum(axis=2, keepdims=True, dtype=np.float64).astype(np.float32)
    # effective_contacts, a mean per person, totals as the mean weighted by the people active at
    # the start of the day (REMOB + EMPLOYED of the day before; nobody on day 0) over the open
    # territories, the requested contacts when nobody is active (docs/MODEL.md section 8).
    v = {name: i for i, name in enumerate(SERIES_NAMES)}
    contacts = series[..., v["effective_contacts"]].astype(np.float64)
    before = np.zeros_like(contacts)
    before[:, 1:, :] = series[:, :-1, :, v["remob"]].astype(np.float64) + series[:, :-1, :, v["employed"]]
    open_ = series[..., v["coaches"]] > 0
    weight = np.where(open_, before, 0.0)
    first_open = np.where(open_.any(axis=2), contacts[np.arange(contacts.shape[0])[:, None],
                                                       np.arange(contacts.shape[1])[None, :],
                                                       open_.argmax(axis=2)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = np.where(weight.sum(axis=2) > 0, (weight * contacts).sum(axis=2) / weight.sum(axis=2), first_open)
    total[:, :, 0, v["effective_contacts"]] = weighted.astype(np.float32)
    with_total = np.concatenate([series, total], axis=2)
    x = with_total.astype(np.float64)
    check(close(series_summary[..., series_stats.index("mean")], x.mean(axis=0), 1e-6), "series means")
    check(close(series_summary[..., series_stats.index("sd")], x.std(axis=0, ddof=1), 1e-5), "series sd")
    q = np.quantile(x, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    for i, name in enumerate(["q05", "q25", "q50", "q75", "q95"]):
        check(close(series_summary[..., series_stats.index(name)], q[i], 1e-6), f"series {name} (histogram and sort paths)")

    # Survival: a proper Kaplan-Meier curve over every entrant of every replication.
    check(km_n == total_entries.sum(), f"KM n {km_n} = entrants of all replications {total_entries.sum()}")
    check(bool(np.all(np.diff(km_s) <= 0) and np.all((km_lo <= km_s + 1e-12) & (km_s <= km_hi + 1e-12))),
          "S non-increasing, inside its band")
    check(km_median == km_time[np.argmax(km_s <= 0.5 + 1e-12)], "median = first time S <= 0.5")
    check(sorted(territory_groups) == ["Alpha", "Beta", "Gamma"], "survival per territory")

    # --summary-only keeps the statistics only.
    only = os.path.join(tmp, "only.h5")
    check(essaim("ensemble", DOCKING, "-r", "4", "-o", only, "--summary-only", "--quiet").returncode == 0, "summary-only runs")
    with h5py.File(only, "r") as f:
        check("replications/series" not in f and "summary/series" in f and "replications/kpis" in f,
              "--summary-only: no per-replication series")

    # Over the memory limit for per-territory quantiles: means stay, territory quantiles are NaN.
    small = os.path.join(tmp, "small.h5")
    r = essaim("ensemble", DOCKING, "-r", "20", "--series-memory-gib", "0.004", "-o", small, "--quiet")
    full = os.path.join(tmp, "full.h5")
    essaim("ensemble", DOCKING, "-r", "20", "-o", full, "--quiet", "--summary-only")
    with h5py.File(small, "r") as f, h5py.File(full, "r") as g:
        a, b = f["summary/series"], g["summary/series"]
        check(r.returncode == 0 and a.attrs["territory_quantiles"] == 0 and b.attrs["territory_quantiles"] == 1,
              "territory_quantiles attribute")
        check(close(a[:, :, :, :5], b[:, :, :, :5], 1e-9), "means, sd, se and CI unchanged")
        check(bool(np.all(np.isnan(a[:, :-1, :, 5:]))) and np.array_equal(a[:, -1, :, 5:], b[:, -1, :, 5:]),
              "quantiles NaN per territory, exact for the total")
    check(essaim("ensemble", DOCKING, "-r", "20", "--series-memory-gib", "0.0001", "--no-output").returncode == 2,
          "too little memory even without territory quantiles: exit 2")

    # compare: the same scenario twice gives zero differences (common random numbers).
    r = essaim("compare", DOCKING, DOCKING, "-r", "6", "--json", "--quiet")
    cmp = json.loads(r.stdout)
    check(r.returncode == 0 and cmp["kpis"]["entries"]["diff"] == 0 and cmp["kpis"]["entries"]["diff_ci95"] == [0, 0],
          "same scenario: zero paired difference")
    variant = os.path.join(tmp, "caseload25.toml")
    with open(variant, "w") as f:
        f.write(f'extends = "{DOCKING}"\n[parcours]\ncaseload = 25\n')
    r = essaim("compare", DOCKING, variant, "-r", "10", "--json", "--quiet")
    cmp = json.loads(r.stdout)
    e = cmp["kpis"]["entries"]
    check(r.returncode == 0 and set(e) >= {"base_mean", "variant_mean", "diff", "diff_ci95", "variance_reduction"},
          "compare --json shape")
    check(abs(e["diff"] - (e["variant_mean"] - e["base_mean"])) < 1e-9 and e["diff"] < 0, "fewer entries with caseload 25")
    # The two scenarios differ (caseload 25 admits fewer people), so the paired differences vary and
    # var(diff) > 0: the reduction is a number, and common random numbers make it exceed 1.
    vr = e["variance_reduction"]
    check(isinstance(vr, (int, float)) and not isinstance(vr, bool) and math.isfinite(vr) and vr > 1,
          f"CRN reduces variance: {vr}")
    check(set(cmp["territories"]) == {"Alpha", "Beta", "Gamma"}, "compare per territory")
    base_h5, var_h5 = os.path.join(tmp, "base.h5"), os.path.join(tmp, "var.h5")
    essaim("ensemble", DOCKING, "-r", "10", "-o", base_h5, "--summary-only", "--quiet")
    essaim("ensemble", variant, "-r", "10", "-o", var_h5, "--summary-only", "--quiet")
    r = essaim("compare", base_h5, var_h5, "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["kpis"] == cmp["kpis"], "compare of files = compare of scenarios")
    other = os.path.join(tmp, "other.h5")
    essaim("ensemble", variant, "-r", "10", "-o", other, "--seed", "1", "--summary-only", "--quiet")
    check(essaim("compare", base_h5, other).returncode == 2, "files from different seeds: exit 2")
    check(essaim("compare", base_h5, DOCKING).returncode == 2, "a file and a scenario: exit 2")

    # sweep: a full factorial; its point at the scenario's own values is the plain ensemble.
    sweep = os.path.join(tmp, "sweep.h5")
    r = essaim("sweep", DOCKING, "--grid", "parcours.caseload=20,30", "--grid", "parcours.contacts_per_week=0.5,1",
               "-r", "8", "-o", sweep, "--json", "--quiet", "--threads", "2")
    check(r.returncode == 0, f"sweep runs: {r.stderr}")
    sw = json.loads(r.stdout)
    check(len(sw["points"]) == 4 and sw["points"][3]["values"] == {"parcours.caseload": "30", "parcours.contacts_per_week": "1"},
          "four points, last grid fastest")
    check(sw["points"][3]["kpis"] == doc["kpis"], "point (30, 1) equals the docking ensemble")
    with h5py.File(sweep, "r") as f:
        check(f.attrs["schema"] == "essaim-sweep" and f["table/value"].shape[0] == 4 * 4 * N_KPIS * 12, "tidy table rows")
    design = os.path.join(tmp, "design.csv")
    with open(design, "w", newline="") as f:
        csv.writer(f).writerows([["parcours.caseload", "parcours.contacts_per_week"], ["30", "1"], ["20", "0.5"]])
    r = essaim("sweep", DOCKING, "--design", design, "-r", "8", "--json", "--quiet", "--no-output")
    ds = json.loads(r.stdout)
    check(r.returncode == 0 and ds["points"][0]["kpis"] == doc["kpis"] and ds["points"][1]["kpis"] == sw["points"][0]["kpis"],
          "--design points equal the grid's")
    check(essaim("sweep", DOCKING, "--grid", "parcours.caseload", "-r", "2").returncode == 2, "malformed grid: exit 2")
    r = essaim("sweep", DOCKING, "--grid", "parcours.caseload=20,-5", "-r", "2", "-o", os.path.join(tmp, "bad.h5"))
    check(r.returncode == 2 and "parcours.caseload" in r.stderr and not os.path.exists(os.path.join(tmp, "bad.h5")),
          "invalid point: exit 2 naming the key, no file")
    check(essaim("ensemble", DOCKING, "-r", "0").returncode == 2, "-r 0: exit 2")

    # On a terminal: a redrawn bar with rate and ETA (stderr on a pseudo-terminal).
    import pty
    leader, follower = pty.openpty()
    proc = subprocess.Popen([BINARY, "ensemble", DOCKING, "-r", "30", "--no-output"], stdout=subprocess.DEVNULL,
                            stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    tty = b"".join(chunks).decode(errors="replace")
    check(proc.returncode == 0 and "\r" in tty and "[" in tty and "30/30" in tty and "/s" in tty,
          f"progress bar on a terminal: {tty!r}")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
