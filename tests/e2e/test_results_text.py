#!/usr/bin/python3
"""End-to-end checks of what the result tables and files say (issue 7, items 10-12, 14-16, 18,
19, 21, 22): negative counts refused, comparisons that refuse unpaired or foreign inputs and flag
noise, tables whose columns never run together, sweep labels that tell points apart, roll-out
decisions in ensemble and sweep files, shell-quoted manifests, a `dimensions` attribute on every
array, and the two medians named apart.

Usage: test_results_text.py <essaim-binary> <repo-dir>
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import h5py

from e2e import BINARY, REPO, DOCKING, essaim, check, finish

ROLLOUT = """
[rollout]
policy = "proximity"
start = 2020-01-01
wave_every_days = 182
max_per_wave = 1
budget_per_year = 450000

[[territory]]
name = "Near"
candidate = true
coaches_after_open = [[0, 1], [90, 2]]
pool = 800
neighbours = ["Alpha"]

[[territory]]
name = "Far"
candidate = true
coaches_after_open = [[0, 1]]
pool = 300
"""


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def columns_intact(text, header_start):
    """Every row of the table that starts with `header_start` splits, at runs of two or more
    spaces, into as many cells as its header: a number that ran into its neighbour would not."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(header_start)]
    if not starts:
        return False
    header = lines[starts[0]]
    n = len(re.split(r" {2,}", header.strip()))
    rows = []
    for line in lines[starts[0] + 1:]:
        if not line.strip():
            break
        if set(line) == {"-"}:
            continue
        rows.append(line)
    # A row may have one more cell than its header (compare's verdict column has no header).
    return bool(rows) and all(n <= len(re.split(r" {2,}", r.strip())) <= n + 1 for r in rows)


def negative_counts(tmp):
    out = os.path.join(tmp, "neg.h5")
    cases = [
        ["run", DOCKING, "--seed", "-1", "-o", out],
        ["run", DOCKING, "--seed=-1", "-o", out],
        ["run", DOCKING, "--replication", "-1", "-o", out],
        ["run", DOCKING, "--replication=-3", "-o", out],
        ["ensemble", DOCKING, "-r", "-1", "-o", out],
        ["ensemble", DOCKING, "-r-1", "-o", out],
        ["ensemble", DOCKING, "--replications=-2", "-o", out],
        ["ensemble", DOCKING, "-r", "2", "--seed", "-5", "-o", out],
        ["ensemble", DOCKING, "-r", "2.5", "-o", out],
        ["sweep", DOCKING, "--grid", "parcours.caseload=20,30", "-r=-1", "-o", out],
        ["sweep", DOCKING, "--grid", "parcours.caseload=20,30", "-r", "2", "--seed=-1", "-o", out],
        ["compare", DOCKING, DOCKING, "-r", "2", "--seed=-1"],
        ["compare", DOCKING, DOCKING, "-r=-2"],
        ["generate", "national", "--territories", "5", "--seed=-1", "-o",
         os.path.join(tmp, "neg.toml")],
        ["run", DOCKING, "--seed", "1e3", "-o", out],
    ]
    for args in cases:
        r = essaim(*args)
        check(r.returncode == 2, f"{args}: exit 2, got {r.returncode} ({r.stderr.strip()[:200]})")
        check(not os.path.exists(out) and not os.path.exists(os.path.join(tmp, "neg.toml")),
              f"{args}: no output file")
    r = essaim("run", DOCKING, "--seed=-1", "--no-output")
    check("non-negative" in r.stderr and "seed" in r.stderr, f"negative seed named: {r.stderr}")


def comparisons(tmp):
    a = os.path.join(tmp, "a.h5")
    b = os.path.join(tmp, "b.h5")
    r1 = essaim("ensemble", DOCKING, "-r", "3", "--summary-only", "-o", a, "-q")
    r2 = essaim("ensemble", DOCKING, "-r", "2", "--summary-only", "-o", b, "-q")
    check(r1.returncode == 0 and r2.returncode == 0, f"ensembles: {r1.stderr} {r2.stderr}")
    r = essaim("compare", a, b)
    check(r.returncode == 2 and "3 replications" in r.stderr and "2" in r.stderr,
          f"3 vs 2 replications refused: {r.returncode} {r.stderr}")
    v2 = os.path.join(tmp, "v2.h5")
    with open(a, "rb") as src, open(v2, "wb") as dst:
        dst.write(src.read())
    with h5py.File(v2, "a") as f:
        f.attrs["schema_version"] = 2
    r = essaim("compare", a, v2)
    check(r.returncode == 2 and "version 2" in r.stderr, f"schema version 2 refused: {r.stderr}")

    # Scenarios without a territory in common: the totals are compared, and the text says so.
    no_crisis = os.path.join(REPO, "scenarios", "dest1_no_crisis.toml")
    r = essaim("compare", DOCKING, no_crisis, "-r", "2", "--json", "-q")
    j = json.loads(r.stdout)
    check(j["territories_compared"] == [] and j["only_in_base"] == ["Alpha", "Beta", "Gamma"]
          and "Lille" in j["only_in_variant"], f"territory sets in JSON: {r.stdout[:300]}")
    r = essaim("compare", DOCKING, no_crisis, "-r", "2", "-q")
    check("only in the base: Alpha, Beta, Gamma" in r.stdout, "territory sets in the text")

    # Noise: a variant that changes only the cost of a resolved barrier by 0.5 EUR.
    variant = write(tmp, "variant.toml",
                    f'extends = "{DOCKING}"\n[costs]\nsolution = 400.5\n[parcours]\ncaseload = 31\n')
    r = essaim("compare", DOCKING, variant, "-r", "5", "--json", "-q")
    j = json.loads(r.stdout)
    for name, kpi in j["kpis"].items():
        lo, hi = kpi["diff_ci95"]
        if lo is None or hi is None:
            check(kpi["detectable"] is None, f"{name}: no interval, detectable null")
        else:
            check(kpi["detectable"] == (lo > 0 or hi < 0), f"{name}: detectable matches the CI")
    check(any(k["detectable"] is False for k in j["kpis"].values()), "some KPI not detectable")
    r = essaim("compare", DOCKING, variant, "-r", "5", "-q")
    check(r.returncode == 0 and "no detectable difference" in r.stdout, "noise flagged in text")
    check(columns_intact(r.stdout, "KPI (total)"), "compare table columns")
    # Identical scenarios: every difference is exactly 0.
    r = essaim("compare", DOCKING, DOCKING, "-r", "3", "-q")
    check("identical in every replication" in r.stdout and " inf" not in r.stdout,
          f"identical runs named, no 'inf': {r.stdout}")
    # A small difference keeps its significant digits (not "0 [0, 0]").
    tiny = write(tmp, "tiny.toml", f'extends = "{DOCKING}"\n[costs]\nsolution = 400.001\n')
    r = essaim("compare", DOCKING, tiny, "-r", "4", "--json", "-q")
    diff = json.loads(r.stdout)["kpis"]["cost_per_entry"]["diff"]
    r = essaim("compare", DOCKING, tiny, "-r", "4", "-q")
    row = next(line for line in r.stdout.splitlines() if line.startswith("cost_per_entry"))
    shown = float(re.split(r" {2,}", row.strip())[3])
    check(diff != 0 and shown != 0 and abs(shown - diff) <= 0.05 * abs(diff),
          f"small difference printed with its digits: {row} (diff {diff})")


def tables(tmp):
    # Costs of a trillion euros a coach make every cost column grow past any fixed width.
    big = ["--set", "costs.coach_per_year=1e12", "--set", "costs.hub_fixed_per_year=1e12"]
    r = essaim("ensemble", DOCKING, "-r", "3", "--no-output", "-q", *big)
    check(r.returncode == 0 and columns_intact(r.stdout, "KPI (total)"),
          f"ensemble table columns:\n{r.stdout}")
    r = essaim("sweep", DOCKING, "--grid", "parcours.caseload=20,30", "-r", "2", "--no-output",
               "-q", *big)
    check(r.returncode == 0 and columns_intact(r.stdout, "point"), f"sweep table:\n{r.stdout}")
    r = essaim("compare", DOCKING, DOCKING, "-r", "2", "-q", *big)
    check(r.returncode == 0 and columns_intact(r.stdout, "KPI (total)"), "compare table (big)")


def sweep_labels(tmp):
    r = essaim("sweep", DOCKING, "--grid", "territory.Alpha.caseload=30,40", "--grid",
               "territory.Beta.caseload=30,40", "-r", "1", "--no-output", "-q")
    labels = [line.split("  ")[0] for line in r.stdout.splitlines()[3:7]]
    check(len(set(labels)) == 4 and "Alpha.caseload=30 Beta.caseload=40" in labels,
          f"distinct labels: {labels}")
    r = essaim("sweep", DOCKING, "--grid", "parcours.caseload=30,40", "-r", "1", "--no-output",
               "-q")
    check("caseload=30" in r.stdout and "parcours.caseload" not in r.stdout,
          "one key keeps its last segment")
    r = essaim("sweep", DOCKING, "-r", "1", "--no-output")
    check(r.returncode == 2 and "not both" not in r.stderr and "--design" in r.stderr,
          f"no design: the message asks for one: {r.stderr}")


def rollout_files(tmp):
    with open(DOCKING, encoding="utf-8") as f:
        scenario = write(tmp, "rollout.toml", f.read() + ROLLOUT)
    run_file = os.path.join(tmp, "run.h5")
    ensemble_file = os.path.join(tmp, "ensemble.h5")
    sweep_file = os.path.join(tmp, "sweep.h5")
    check(essaim("run", scenario, "-o", run_file, "-q").returncode == 0, "roll-out run")
    r = essaim("ensemble", scenario, "-r", "2", "--summary-only", "-o", ensemble_file, "-q")
    check(r.returncode == 0 and "Roll-out" in r.stdout and "Near" in r.stdout,
          f"ensemble output says who opened: {r.stdout[-600:]}")
    with h5py.File(run_file) as run, h5py.File(ensemble_file) as ens:
        run_dates = [d.decode() for d in run["territories/open_date"][:]]
        ens_dates = [d.decode() for d in ens["territories/open_date"][:]]
        check(run_dates == ens_dates, f"ensemble open dates {ens_dates} = run's {run_dates}")
        check("rollout" in ens and [d.decode() for d in ens["rollout/open_date"][:]]
              == [d.decode() for d in run["rollout/open_date"][:]], "ensemble /rollout")
    r = essaim("sweep", scenario, "--grid", "rollout.policy=need,proximity", "--grid",
               "rollout.budget_per_year=300000,1000000", "-r", "1", "-o", sweep_file, "-q")
    check(r.returncode == 0, f"roll-out sweep: {r.stderr}")
    with h5py.File(sweep_file) as f:
        n_points = int(f["rollout"].attrs["n_points"])
        n_t = int(f["rollout"].attrs["n_territories"])
        dates = [d.decode() for d in f["rollout/open_date"][:]]
        keys = [k.decode() for k in f["points/keys"][:]]
        values = [v.decode() for v in f["points/values"][:]]
        check(n_points == 4 and len(dates) == 4 * n_t, "one decision per point and territory")
        for p in range(n_points):
            sets = []
            for j, key in enumerate(keys):
                sets += ["--set", f"{key}={values[p * len(keys) + j]}"]
            point_run = os.path.join(tmp, f"point{p}.h5")
            essaim("run", scenario, "-o", point_run, "-q", *sets)
            with h5py.File(point_run) as g:
                expected = [d.decode() for d in g["rollout/open_date"][:]]
            check(dates[p * n_t:(p + 1) * n_t] == expected,
                  f"point {p}: {dates[p * n_t:(p + 1) * n_t]} = {expected}")
        varying = list(f["territories"].attrs["open_date_varies_by_point"])
        common = [d.decode() for d in f["territories/open_date"][:]]
        check(all(common[i] == "" for i in range(n_t)
                  if f["territories/name"][i].decode() in [v if isinstance(v, str) else v.decode()
                                                          for v in varying]),
              "varying openings are not given one date")


def manifest_quoting(tmp):
    out = os.path.join(tmp, "quoted.h5")
    args = ["run", DOCKING, "--set", "territory.Alpha.coaches=[[2019-07-01, 5]]", "--set",
            "scenario.description=it's \"quoted\" $HOME", "-o", out, "-q", "--json"]
    first = essaim(*args)
    check(first.returncode == 0, f"quoted run: {first.stderr}")
    with h5py.File(out) as f:
        command = f["manifest"].attrs["command_line"]
    command = command.decode() if isinstance(command, bytes) else command
    check(shlex.split(command)[1:] == args, f"command line splits back: {command}")
    os.remove(out)
    again = subprocess.run(["bash", "-c", BINARY + command[len("essaim"):]], capture_output=True,
                           text=True, timeout=300)
    check(again.returncode == 0 and json.loads(again.stdout)["total"]
          == json.loads(first.stdout)["total"], f"pasted command reruns: {again.stderr}")


def dimensions(tmp):
    files = {
        "run": ["run", DOCKING, "--agents", "-o", os.path.join(tmp, "d-run.h5")],
        "ensemble": ["ensemble", DOCKING, "-r", "2", "-o", os.path.join(tmp, "d-ens.h5")],
        "sweep": ["sweep", DOCKING, "--grid", "parcours.caseload=20,30", "-r", "2", "-o",
                  os.path.join(tmp, "d-sweep.h5")],
    }
    for kind, args in files.items():
        check(essaim(*args, "-q").returncode == 0, f"{kind} file written")
        missing = []
        with h5py.File(args[-1]) as f:
            f.visititems(lambda name, obj: missing.append(name)
                         if isinstance(obj, h5py.Dataset) and "dimensions" not in obj.attrs
                         else None)
        check(not missing, f"{kind}: datasets without `dimensions`: {missing[:10]}")


def medians(tmp):
    out = os.path.join(tmp, "m.h5")
    r = essaim("ensemble", DOCKING, "-r", "2", "-o", out, "-q")
    check("Kaplan-Meier median time to first job" in r.stdout and
          "median_days_to_first_job counts only entrants who found a job" in r.stdout,
          "the two medians are named apart in the ensemble text")
    with h5py.File(out) as f:
        names = list(f["replications/kpis"].attrs["kpis"])
        labels = list(f["replications/kpis"].attrs["labels_en"])
    label = labels[names.index("median_days_to_first_job")]
    check("among entrants who found one" in label, f"KPI label says whom it counts: {label}")


def memory_limits(tmp):
    out = os.path.join(tmp, "mem.h5")
    huge = ["--set", "territory.Alpha.pool=1000000000000", "--set",
            "territory.Alpha.coaches=[[2019-07-01, 1000000]]"]
    cases = [
        ["ensemble", DOCKING, "-r", "2", "-o", out, "--max-memory", "0.001"],
        ["sweep", DOCKING, "--grid", "parcours.caseload=20,30", "-r", "2", "-o", out,
         "--max-memory", "0.001"],
        ["compare", DOCKING, DOCKING, "-r", "2", "--max-memory", "0.001"],
        ["ensemble", DOCKING, "-r", "2", "-o", out, *huge],
    ]
    for args in cases:
        r = essaim(*args, timeout=60)
        check(r.returncode == 2 and "GiB (estimate)" in r.stderr and "--max-memory" in r.stderr,
              f"{args[:2]}: refused before running with the estimate: {r.stderr}")
        check(not os.path.exists(out), f"{args[:2]}: no file")
    r = essaim("ensemble", DOCKING, "-r", "2", "-o", out, "--max-memory", "-1")
    check(r.returncode == 2 and "--max-memory" in r.stderr, "negative --max-memory refused")


def quiet_everywhere():
    for command in ["run", "validate", "ensemble", "compare", "sweep", "export", "generate",
                    "models", "describe", "merge"]:
        r = essaim(command, "--help")
        check(r.returncode == 0 and "--quiet" in r.stdout and "-q" in r.stdout,
              f"{command} takes -q/--quiet")


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-results-") as tmp:
        negative_counts(tmp)
        comparisons(tmp)
        tables(tmp)
        sweep_labels(tmp)
        rollout_files(tmp)
        manifest_quoting(tmp)
        dimensions(tmp)
        medians(tmp)
        memory_limits(tmp)
        quiet_everywhere()
    return finish()


if __name__ == "__main__":
    sys.exit(main())
