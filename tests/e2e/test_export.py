#!/usr/bin/env python3
"""End-to-end check of `essaim export FILE.h5 --csv DIR` (docs/OUTPUT.md, "CSV export").

Usage: test_export.py <essaim-binary> <repo-dir>

Writes a run, an ensemble and a sweep file, exports each, and checks the CSV files against the
HDF5 files read with h5py: file names and headers, row counts, values (exactly, NaN <-> NA), names
with accents, commas and quotes, and that bad input exits with code 2 and writes nothing.
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
import pandas as pd

ODD_NAME = 'Béthune, "Bruay"'

RUN_FILES = {
    "manifest.csv": ["key", "value"],
    "territories.csv": ["name", "open_date", "open_day", "initial_pool", "inflow_per_day",
                        "caseload", "neighbours"],
    "kpis.csv": ["territory", "kpi", "value"],
    "series.csv": ["date", "day", "territory", "variable", "value"],
    "agents.csv": ["territory", "local_id", "duration", "diploma", "barriers_at_identification",
                   "barriers_at_end", "identified_day", "entry_day", "first_job_day", "exit_day",
                   "end_day", "outcome", "final_state", "final_state_name", "state_6m",
                   "state_12m", "first_job_sector", "first_job_sector_name", "employability"],
}
ENSEMBLE_FILES = {
    "manifest.csv": RUN_FILES["manifest.csv"],
    "territories.csv": RUN_FILES["territories.csv"],
    "replication_kpis.csv": ["replication", "territory", "kpi", "value"],
    "kpi_summary.csv": ["territory", "kpi", "statistic", "value"],
    "series_summary.csv": ["date", "day", "territory", "variable", "statistic", "value"],
    "survival.csv": ["curve", "group", "time", "at_risk", "events", "survival", "lower", "upper"],
    "survival_medians.csv": ["curve", "group", "n", "n_events", "median", "median_lower",
                             "median_upper"],
}
REPLICATION_SERIES = ["replication", "date", "day", "territory", "variable", "value"]
SWEEP_FILES = {
    "manifest.csv": RUN_FILES["manifest.csv"],
    "territories.csv": RUN_FILES["territories.csv"],
    "points.csv": ["point", "key", "value"],
    "replication_kpis.csv": ["point", "replication", "territory", "kpi", "value"],
    "table.csv": ["point", "territory", "kpi", "statistic", "value"],
}

passed = 0
failed = 0


def check(condition, message):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {message}", file=sys.stderr)
    return condition


def essaim(binary, *args, cwd=None):
    return subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def must(result, what):
    if result.returncode != 0:
        sys.exit(f"{what} failed ({result.returncode}):\n{result.stderr}")
    return result


def read_csv(path):
    # round_trip: pandas' default float parser is fast but not always exact.
    return pd.read_csv(path, float_precision="round_trip", keep_default_na=False,
                       na_values=["NA"])


def raw_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def same_values(csv_values, h5_values, what, float32=False):
    """Exact equality, NaN in HDF5 exactly where the CSV has NA."""
    a = np.asarray(csv_values, dtype=np.float64)
    b = np.asarray(h5_values, dtype=np.float64).ravel()
    if not check(a.shape == b.shape, f"{what}: {a.shape} values in CSV, {b.shape} in HDF5"):
        return
    if float32:
        a = a.astype(np.float32).astype(np.float64)
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    check(np.array_equal(nan_a, nan_b), f"{what}: NA in CSV where HDF5 is not NaN, or back")
    mismatch = np.flatnonzero(~nan_a & ~nan_b & (a != b))
    check(mismatch.size == 0,
          f"{what}: {mismatch.size} values differ, first at row {mismatch[:1]}: "
          f"{a[mismatch[:1]]} vs {b[mismatch[:1]]}")


def export(binary, h5, out, *extra):
    result = essaim(binary, "export", h5, "--csv", out, *extra)
    check(result.returncode == 0, f"export {h5}: exit {result.returncode}: {result.stderr}")
    return result


def check_layout(out, expected, stdout, what):
    names = sorted(n for n in os.listdir(out))
    check(names == sorted(expected), f"{what}: files {names}, expected {sorted(expected)}")
    listed = [line for line in stdout.splitlines() if line]
    check(sorted(listed) == sorted(os.path.join(out, n) for n in expected),
          f"{what}: stdout lists {listed}")
    for name, header in expected.items():
        path = os.path.join(out, name)
        if not check(os.path.exists(path), f"{what}: {name} missing"):
            continue
        with open(path, encoding="utf-8") as f:
            first = f.readline().rstrip("\n")
        check(first == ",".join(header), f"{what}: {name} header {first!r}")


def check_common(out, f, what):
    manifest = dict(raw_rows(os.path.join(out, "manifest.csv"))[1:])
    attrs = f["manifest"].attrs
    check(sorted(manifest) == sorted(attrs.keys()), f"{what}: manifest keys differ")
    # Multi-line text with quotes survives RFC 4180 quoting byte for byte.
    check(manifest.get("scenario_text") == attrs["scenario_text"],
          f"{what}: scenario_text does not round-trip")
    check(manifest.get("seed") == str(int(attrs["seed"])), f"{what}: seed {manifest.get('seed')}")
    check(manifest.get("scenario_name") == attrs["scenario_name"], f"{what}: scenario_name")
    check(float(manifest.get("wall_seconds")) == float(attrs["wall_seconds"]),
          f"{what}: wall_seconds not exact")

    territories = read_csv(os.path.join(out, "territories.csv"))
    names = list(f["territories/name"].asstr()[...])
    check(list(territories["name"]) == names, f"{what}: territory names {list(territories['name'])}")
    check(len(territories) == len(names), f"{what}: territories rows")
    for column in ["open_day", "initial_pool", "inflow_per_day", "caseload"]:
        same_values(territories[column], f["territories"][column][...], f"{what}: territories.{column}")
    neighbours = [("" if isinstance(v, float) else v) for v in territories["neighbours"]]
    check(neighbours == list(f["territories/neighbours"].asstr()[...]), f"{what}: neighbours")
    check(list(territories["open_date"]) == list(f["territories/open_date"].asstr()[...]),
          f"{what}: open_date")
    return names


def check_run(binary, tmp, h5, what):
    out = os.path.join(tmp, what)
    result = export(binary, h5, out)
    check_layout(out, RUN_FILES, result.stdout, what)
    with h5py.File(h5, "r") as f:
        names = check_common(out, f, what)
        kpis = read_csv(os.path.join(out, "kpis.csv"))
        kpi_names = list(f["kpis/total"].attrs["kpis"])
        T, K = f["kpis/territories"].shape
        check(len(kpis) == (T + 1) * K, f"{what}: kpis rows {len(kpis)}")
        check(list(kpis["territory"]) == [t for t in names + ["total"] for _ in range(K)],
              f"{what}: kpis territory column")
        check(list(kpis["kpi"]) == kpi_names * (T + 1), f"{what}: kpis kpi column")
        same_values(kpis["value"], np.concatenate([f["kpis/territories"][...].ravel(),
                                                    f["kpis/total"][...]]), f"{what}: kpis")
        # NaN is written as the two letters NA, unquoted.
        raw = raw_rows(os.path.join(out, "kpis.csv"))[1:]
        nan_rows = [r for r, v in zip(raw, np.concatenate([f["kpis/territories"][...].ravel(),
                                                          f["kpis/total"][...]])) if math.isnan(v)]
        check(all(r[2] == "NA" for r in nan_rows), f"{what}: NaN not written as NA")

        daily = f["series/daily"]
        D, T, V = daily.shape
        series = read_csv(os.path.join(out, "series.csv"))
        check(len(series) == D * T * V, f"{what}: series rows {len(series)} != {D * T * V}")
        same_values(series["value"], daily[...], f"{what}: series")
        dates = f["series/dates"].asstr()[...]
        check(series["date"].iloc[-1] == dates[-1] and series["day"].iloc[-1] == D - 1,
              f"{what}: last series row")
        check(list(series["variable"].iloc[:V]) == list(daily.attrs["variables"]),
              f"{what}: series variables")
        check(list(series["territory"].iloc[::V].iloc[:T]) == list(daily.attrs["territories"]),
              f"{what}: series territories")

        agents = read_csv(os.path.join(out, "agents.csv"))
        group = f["agents"]
        N = group["territory"].shape[0]
        check(len(agents) == N, f"{what}: agents rows {len(agents)} != {N}")
        for column in group:
            same_values(agents[column], group[column][...], f"{what}: agents.{column}")
        states = list(group.attrs["state_codes"])
        expected = [states[c] if c >= 0 else None for c in group["final_state"][...]]
        decoded = [None if isinstance(v, float) else v for v in agents["final_state_name"]]
        check(decoded == expected, f"{what}: final_state_name decoding")
    return names


def check_ensemble(binary, tmp, h5, what):
    out = os.path.join(tmp, what)
    result = export(binary, h5, out)
    check_layout(out, ENSEMBLE_FILES, result.stdout, what)
    with h5py.File(h5, "r") as f:
        names = check_common(out, f, what)
        rk = read_csv(os.path.join(out, "replication_kpis.csv"))
        data = f["replications/kpis"]
        R, T1, K = data.shape
        check(len(rk) == R * T1 * K, f"{what}: replication_kpis rows")
        check(set(rk["territory"]) == set(data.attrs["territories"]) and "total" in set(rk["territory"]),
              f"{what}: replication_kpis territories")
        check(list(rk["replication"].iloc[::T1 * K]) == list(range(R)), f"{what}: replication column")
        same_values(rk["value"], data[...], f"{what}: replication_kpis")

        ks = read_csv(os.path.join(out, "kpi_summary.csv"))
        data = f["summary/kpis"]
        check(len(ks) == data.size, f"{what}: kpi_summary rows")
        check(list(ks["statistic"].iloc[:data.shape[2]]) == list(data.attrs["statistics"]),
              f"{what}: statistics")
        same_values(ks["value"], data[...], f"{what}: kpi_summary")

        ss = read_csv(os.path.join(out, "series_summary.csv"))
        data = f["summary/series"]
        check(len(ss) == data.size, f"{what}: series_summary rows {len(ss)} != {data.size}")
        same_values(ss["value"], data[...], f"{what}: series_summary")

        leaves = []
        f["survival"].visititems(
            lambda name, obj: leaves.append(name) if isinstance(obj, h5py.Group) and
            not any(isinstance(c, h5py.Group) for c in obj.values()) else None)
        survival = read_csv(os.path.join(out, "survival.csv"))
        medians = read_csv(os.path.join(out, "survival_medians.csv"))
        check(len(medians) == len(leaves), f"{what}: survival_medians rows {len(medians)}")
        check(len(survival) == sum(f["survival"][leaf]["time"].shape[0] for leaf in leaves),
              f"{what}: survival rows")
        groups = set(zip(medians["curve"], medians["group"]))
        check(("time_to_first_job", "territory/" + ODD_NAME) in groups or ODD_NAME not in names,
              f"{what}: survival group of the renamed territory")
        for leaf in leaves:
            curve, group = leaf.split("/", 1)
            rows = survival[(survival["curve"] == curve) & (survival["group"] == group)]
            for column in ["time", "at_risk", "events", "survival", "lower", "upper"]:
                same_values(rows[column], f["survival"][leaf][column][...],
                            f"{what}: survival {leaf} {column}")
            row = medians[(medians["curve"] == curve) & (medians["group"] == group)]
            for column in ["n", "n_events", "median", "median_lower", "median_upper"]:
                same_values(row[column], [f["survival"][leaf].attrs[column]],
                            f"{what}: survival median {leaf} {column}")

    # The per-replication series only on request.
    out2 = os.path.join(tmp, what + "-series")
    result = export(binary, h5, out2, "--with-replication-series", "--json")
    expected = dict(ENSEMBLE_FILES, **{"replication_series.csv": REPLICATION_SERIES})
    check_layout(out2, expected, "\n".join(os.path.join(out2, n) for n in expected), what)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = None
    if check(isinstance(report, dict), f"{what}: --json stdout is not one JSON object"):
        check(report.get("directory") == out2, f"{what}: json directory {report.get('directory')}")
        files = report.get("files", [])
        check(sorted(x["name"] for x in files) == sorted(expected), f"{what}: json files")
        for entry in files:
            with open(os.path.join(out2, entry["name"]), encoding="utf-8") as fh:
                lines = sum(1 for _ in csv.reader(fh)) - 1
            check(entry["rows"] == lines, f"{what}: json rows of {entry['name']}: {entry['rows']} != {lines}")
    with h5py.File(h5, "r") as f:
        data = f["replications/series"]
        rs = read_csv(os.path.join(out2, "replication_series.csv"))
        check(len(rs) == data.size, f"{what}: replication_series rows {len(rs)} != {data.size}")
        same_values(rs["value"], data[...], f"{what}: replication_series", float32=True)
        check(list(rs["replication"].iloc[::data.size // data.shape[0]]) ==
              list(range(data.shape[0])), f"{what}: replication_series replication column")
    return names


def check_sweep(binary, tmp, h5, what):
    out = os.path.join(tmp, what)
    result = export(binary, h5, out)
    check_layout(out, SWEEP_FILES, result.stdout, what)
    with h5py.File(h5, "r") as f:
        check_common(out, f, what)
        points = raw_rows(os.path.join(out, "points.csv"))[1:]
        keys = list(f["points/keys"].asstr()[...])
        values = list(f["points/values"].asstr()[...])
        n_points = len(values) // len(keys)
        check(points == [[str(p), keys[k], values[p * len(keys) + k]]
                         for p in range(n_points) for k in range(len(keys))],
              f"{what}: points.csv {points}")
        rk = read_csv(os.path.join(out, "replication_kpis.csv"))
        data = f["replications/kpis"]
        check(len(rk) == data.size, f"{what}: replication_kpis rows")
        check(list(rk["point"].iloc[::data.size // data.shape[0]]) == list(range(data.shape[0])),
              f"{what}: point column")
        same_values(rk["value"], data[...], f"{what}: replication_kpis")
        table = read_csv(os.path.join(out, "table.csv"))
        n = f["table/value"].shape[0]
        check(len(table) == n, f"{what}: table rows")
        same_values(table["value"], f["table/value"][...], f"{what}: table.value")
        same_values(table["point"], f["table/point"][...], f"{what}: table.point")
        check(list(table["kpi"]) == list(f["table/kpi"].asstr()[...]), f"{what}: table.kpi")
        check(list(table["territory"]) == list(f["table/territory"].asstr()[...]),
              f"{what}: table.territory")


def check_bad_input(binary, tmp):
    bad = os.path.join(tmp, "bad")
    os.mkdir(bad)
    foreign = os.path.join(bad, "foreign.h5")
    with h5py.File(foreign, "w") as f:
        f["x"] = np.arange(3)
    other = os.path.join(bad, "other-schema.h5")
    with h5py.File(other, "w") as f:
        f.attrs["schema"] = "something-else"
        f.attrs["schema_version"] = 1
    text = os.path.join(bad, "text.h5")
    with open(text, "w") as f:
        f.write("not HDF5\n")
    missing = os.path.join(bad, "missing.h5")
    good = os.path.join(tmp, "run.h5")
    cases = [
        ("missing file", missing, os.path.join(bad, "out1"), missing),
        ("non-essaim HDF5", foreign, os.path.join(bad, "out2"), foreign),
        ("unknown schema", other, os.path.join(bad, "out3"), other),
        ("not HDF5", text, os.path.join(bad, "out4"), text),
        ("output parent missing", good, os.path.join(bad, "no", "such", "out5"),
         os.path.join(bad, "no", "such")),
    ]
    before = sorted(os.listdir(bad))
    for what, h5, out, named in cases:
        result = essaim(binary, "export", h5, "--csv", out)
        check(result.returncode == 2, f"{what}: exit {result.returncode}, expected 2")
        check(named in result.stderr, f"{what}: stderr does not name {named}: {result.stderr!r}")
        check(result.stdout == "", f"{what}: stdout not empty: {result.stdout!r}")
        check(not os.path.exists(out), f"{what}: {out} was created")
    check(sorted(os.listdir(bad)) == before, f"bad input left files: {sorted(os.listdir(bad))}")
    result = essaim(binary, "export", good)
    check(result.returncode == 2, f"no --csv: exit {result.returncode}")
    result = essaim(binary, "export", "--help")
    check(result.returncode == 0 and "--csv" in result.stdout, "export --help")


def check_no_leftovers(tmp):
    for root, _, files in os.walk(tmp):
        for name in files:
            # Temporaries are hidden (".NAME.RANDOM.tmp"); essaim 0.1 named them NAME.tmp-PID.
            check(not name.startswith(".") and ".tmp" not in name,
                  f"temporary file left: {os.path.join(root, name)}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    scenario = os.path.join(repo, "scenarios", "docking.toml")
    with tempfile.TemporaryDirectory(prefix="essaim-test-export-") as tmp:
        # A territory name with an accent, a comma and quotes, in names and neighbour lists.
        with open(scenario, encoding="utf-8") as f:
            text = f.read()
        odd = os.path.join(tmp, "odd.toml")
        with open(odd, "w", encoding="utf-8") as f:
            f.write(text.replace('"Beta"', json.dumps(ODD_NAME, ensure_ascii=False)))

        run_h5, odd_run_h5 = os.path.join(tmp, "run.h5"), os.path.join(tmp, "odd-run.h5")
        must(essaim(binary, "run", scenario, "-o", run_h5, "--agents", "--quiet"), "essaim run")
        must(essaim(binary, "run", odd, "-o", odd_run_h5, "--agents", "--quiet"), "essaim run (odd)")
        ensemble_h5 = os.path.join(tmp, "ensemble.h5")
        must(essaim(binary, "ensemble", odd, "-r", "4", "-o", ensemble_h5, "--quiet"),
             "essaim ensemble")
        sweep_h5 = os.path.join(tmp, "sweep.h5")
        must(essaim(binary, "sweep", scenario, "--grid", "parcours.caseload=20,30", "-r", "3",
                    "-o", sweep_h5, "--quiet"), "essaim sweep")

        check_run(binary, tmp, run_h5, "run")
        names = check_run(binary, tmp, odd_run_h5, "odd-run")
        check(ODD_NAME in names, f"renamed territory not in {names}")
        kpis = read_csv(os.path.join(tmp, "odd-run", "kpis.csv"))
        check(ODD_NAME in set(kpis["territory"]), "renamed territory not in kpis.csv")
        raw = raw_rows(os.path.join(tmp, "odd-run", "territories.csv"))
        check([ODD_NAME] == [r[0] for r in raw[1:] if r[0] == ODD_NAME],
              "csv module does not read the renamed territory back")
        check(any(r[6] == ODD_NAME for r in raw[1:]), "renamed territory not in neighbours")
        check_ensemble(binary, tmp, ensemble_h5, "ensemble")
        check_sweep(binary, tmp, sweep_h5, "sweep")

        # Exporting again into an existing directory replaces the files.
        result = export(binary, run_h5, os.path.join(tmp, "run"))
        check_layout(os.path.join(tmp, "run"), RUN_FILES, result.stdout, "re-export")

        check_bad_input(binary, tmp)
        check_no_leftovers(tmp)

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
