#!/usr/bin/python3
"""End-to-end checks of `essaim sa` and `essaim design` (issue 10): Sobol' indices of the Ishigami
and G functions against their closed forms, Morris and PRCC rankings, the JSON shape, the sa
file and its CSV export, designs as CSV readable by `sweep --design`, a Dest1 analysis with a
parameter space file, and the errors.

Usage: test_sa.py <essaim-binary> <repo-dir>
"""
import csv
import json
import math
import os
import sys
import tempfile

import h5py

from e2e import REPO, essaim, check, finish

DEST1 = os.path.join(REPO, "scenarios", "dest1.toml")
SPACE = os.path.join(REPO, "scenarios", "dest1-space.toml")


def g_indices(a):
    """Closed-form first-order and total indices of the Sobol' G-function."""
    v = [1 / (3 * (1 + ai) ** 2) for ai in a]
    total_variance = math.prod(1 + vi for vi in v) - 1
    first = [vi / total_variance for vi in v]
    total = [vi * math.prod(1 + vj for j, vj in enumerate(v) if j != i) / total_variance
             for i, vi in enumerate(v)]
    return first, total


def ishigami():
    r = essaim("sa", "--model", "ishigami", "--method", "sobol", "-n", "4096", "--json",
               "--no-output", "-q")
    check(r.returncode == 0, f"ishigami sobol: {r.stderr}")
    j = json.loads(r.stdout)
    check(list(j) == ["method", "kpis"] and j["method"] == "sobol", f"JSON shape: {list(j)}")
    y = j["kpis"]["y"]
    # Ishigami a = 7, b = 0.1 (Homma and Saltelli 1996): the values, to 0.02.
    for x, s1, st in [("x1", 0.3139, 0.5576), ("x2", 0.4424, 0.4424), ("x3", 0.0, 0.2437)]:
        check(abs(y[x]["S1"] - s1) < 0.02 and abs(y[x]["ST"] - st) < 0.02,
              f"ishigami {x}: S1 {y[x]['S1']:.4f} (vs {s1}), ST {y[x]['ST']:.4f} (vs {st})")
        check(set(y[x]) == {"S1", "S1_ci95", "ST", "ST_ci95"}, f"sobol fields: {set(y[x])}")
        check(y[x]["S1_ci95"][0] <= y[x]["S1"] <= y[x]["S1_ci95"][1], f"{x}: S1 inside its CI")


def g_function():
    for a in [(78, 12, 0.5), (0, 1, 4.5, 9)]:
        r = essaim("sa", "--model", "sobol-g", "--g-a", ",".join(map(str, a)), "--method", "sobol",
                   "-n", "4096", "--json", "--no-output", "-q")
        check(r.returncode == 0, f"sobol-g {a}: {r.stderr}")
        y = json.loads(r.stdout)["kpis"]["y"]
        first, total = g_indices(a)
        for i in range(len(a)):
            got = y[f"x{i + 1}"]
            check(abs(got["S1"] - first[i]) < 0.02 and abs(got["ST"] - total[i]) < 0.02,
                  f"G {a} x{i + 1}: S1 {got['S1']:.4f} vs {first[i]:.4f}, "
                  f"ST {got['ST']:.4f} vs {total[i]:.4f}")


def morris_and_lhs():
    r = essaim("sa", "--model", "sobol-g", "--g-a", "78,12,0.5", "--method", "morris", "-n", "40",
               "--json", "--no-output", "-q")
    y = json.loads(r.stdout)["kpis"]["y"]
    check(set(y["x1"]) == {"mu", "mu_star", "sigma"}, "morris fields")
    check(y["x3"]["mu_star"] > y["x2"]["mu_star"] > y["x1"]["mu_star"],
          f"morris ranks a = 0.5 before 12 before 78: {y}")
    r = essaim("sa", "--model", "ishigami", "--method", "lhs", "-n", "600", "--json", "--no-output",
               "-q")
    y = json.loads(r.stdout)["kpis"]["y"]
    check(set(y["x1"]) == {"prcc", "prcc_ci95"}, "lhs fields")
    # y rises with sin x1 over most of [-pi, pi]: a clear positive PRCC; x3 enters only through
    # x3^4 sin x1, symmetric around 0: its interval covers 0.
    check(y["x1"]["prcc_ci95"][0] > 0.2, f"ishigami x1 PRCC positive: {y['x1']}")
    check(y["x3"]["prcc_ci95"][0] < 0 < y["x3"]["prcc_ci95"][1], f"x3 PRCC covers 0: {y['x3']}")
    r = essaim("sa", "--model", "ishigami", "--method", "lhs", "-n", "100", "-q", "--no-output")
    check(r.returncode == 0 and "rank" in r.stdout and "PRCC" in r.stdout, "ranking printed")


def dest1_file(tmp):
    output = os.path.join(tmp, "dest1-morris.h5")
    r = essaim("sa", DEST1, "--space", SPACE, "--method", "morris", "-n", "4", "-r", "2",
               "--threads", "2", "-o", output, "--json", "-q")
    check(r.returncode == 0, f"dest1 morris: {r.stderr}")
    j = json.loads(r.stdout)
    check(set(j["kpis"]) == {"entries", "positive_exit_rate", "mean_days_to_first_job",
                             "cost_per_positive_exit"}, f"dest1 default KPIs: {list(j['kpis'])}")
    check(len(j["kpis"]["entries"]) == 10 and "crisis.*.outreach" in j["kpis"]["entries"],
          "ten parameters, a family among them")
    with h5py.File(output) as f:
        check(f.attrs["schema"] == "essaim-sa", "schema essaim-sa")
        check(f["design/unit"].shape == (44, 10), f"design rows: {f['design/unit'].shape}")
        check(f["outputs/kpis"].shape == (44, 2, 4), f"outputs: {f['outputs/kpis'].shape}")
        labels = [x.decode() if isinstance(x, bytes) else x for x in f["space/label_fr"][:]]
        check(any("référent" in x for x in labels), "French labels of the parameters")
        mu_star = f["indices/mu_star"][:]
        check(abs(mu_star[0, 2] - j["kpis"]["entries"]["outreach_per_coach"]["mu_star"]) < 1e-9,
              "file and JSON agree")
        missing = []
        f.visititems(lambda n, o: missing.append(n)
                     if isinstance(o, h5py.Dataset) and "dimensions" not in o.attrs else None)
        check(not missing, f"every dataset has dimensions: {missing}")
    csv_dir = os.path.join(tmp, "csv")
    r = essaim("export", output, "--csv", csv_dir, "-q")
    check(r.returncode == 0, f"export of an sa file: {r.stderr}")
    with open(os.path.join(csv_dir, "indices.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    check(any(row["statistic"] == "mu_star" and row["parameter"] == "h0_job" for row in rows),
          "indices.csv holds mu_star per parameter")


def designs(tmp):
    path = os.path.join(tmp, "design.csv")
    r = essaim("design", DEST1, "--space", SPACE, "--method", "lhs", "-n", "6", "--csv", path)
    check(r.returncode == 0, f"design: {r.stderr}")
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    check(len(rows) == 7 and "crisis.*.outreach*" in rows[0], f"design CSV: {rows[0]}")
    # Latin hypercube: each parameter's 6 values fall in 6 different sixths of its range.
    caseload = sorted(float(row[rows[0].index("parcours.caseload")]) for row in rows[1:])
    strata = {int((c - 20) / (25 / 6)) for c in caseload}
    check(len(strata) == 6, f"one caseload per stratum: {caseload}")
    r = essaim("sweep", DEST1, "--design", path, "-r", "1", "--no-output", "--json", "-q")
    check(r.returncode == 0 and len(json.loads(r.stdout)["points"]) == 6,
          f"the design runs as a sweep: {r.stderr}")


def errors(tmp):
    bad = os.path.join(tmp, "bad.toml")
    with open(bad, "w", encoding="utf-8") as f:
        f.write('[[parameter]]\nname = "h0_jb"\nmin = 0.01\nmax = 0.02\n')
    cases = [
        (["sa", DEST1, "--space", bad, "--method", "sobol"], "did you mean 'h0_job'"),
        (["sa", DEST1, "--method", "sobol"], "--space"),
        (["sa", DEST1, "--params", "h0_job", "--method", "sobol"], "not finite"),
        (["sa", "--model", "ishigami", "--method", "fast"], "sobol, morris or lhs"),
        (["sa", "--model", "ishigami", "--method", "sobol", "--kpi", "z"], "no KPI 'z'"),
        (["sa", "--model", "ishigami"], "--method"),
        (["sa", "--model", "ishigami", "--method", "morris", "--levels", "3"], "even"),
        (["design", "--model", "ishigami", "--method", "lhs"], "--csv"),
    ]
    for args, expected in cases:
        r = essaim(*args, "--no-output") if args[0] == "sa" else essaim(*args)
        check(r.returncode == 2 and expected in r.stderr, f"{args}: {r.returncode} {r.stderr}")


def shards(tmp):
    """Three shards merged give the file of one process; a resumed run too."""
    args = ["sa", "--model", "ishigami", "--method", "sobol", "-n", "128", "-r", "2", "--set",
            "noise_sd=0.5", "-q"]
    single = os.path.join(tmp, "single.h5")
    check(essaim(*args, "-o", single).returncode == 0, "sa in one process")
    parts = [os.path.join(tmp, f"sa-{k}.units") for k in (1, 2, 3)]
    for k, part in enumerate(parts, 1):
        check(essaim(*args, "--shard", f"{k}/3", "-o", part).returncode == 0, f"sa shard {k}/3")
    merged = os.path.join(tmp, "merged.h5")
    r = essaim("merge", *parts, "-o", merged)
    check(r.returncode == 0, f"merge of sa shards: {r.stderr}")
    with h5py.File(single) as a, h5py.File(merged) as b:
        check(a.attrs["schema"] == b.attrs["schema"] == "essaim-sa", "merged file is an sa file")
        for name in ("indices/S1", "indices/ST", "indices/S1_ci95", "outputs/kpis", "design/unit"):
            check((a[name][()] == b[name][()]).all(), f"merged {name} equals one process's")


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-sa-") as tmp:
        ishigami()
        g_function()
        morris_and_lhs()
        dest1_file(tmp)
        designs(tmp)
        errors(tmp)
        shards(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
