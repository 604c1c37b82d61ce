#!/usr/bin/python3
"""Caseload against contacts per week at a fixed number of coaches (docs/INTENSITY.md).

Runs one sweep of `essaim sweep` over parcours.caseload x parcours.contacts_per_week with coach
time limited (parcours.contacts_capacity_per_coach_week, MODEL.md 1.1 section 7.2), then prints,
for each KPI, a Markdown table of the mean per design and of the paired difference with the
reference design (caseload 30, one contact a week) with its 95 % interval. Replication r of
every design shares its random numbers (common random numbers), so the paired differences are
far tighter than the differences of two independent means.

Usage: /usr/bin/python3 analysis/intensity_study.py ESSAIM_BINARY [SCENARIO] [-r 200]
       [--capacity 30] [--caseloads 15,20,30,40,60] [--contacts 0.5,1,2,3] [--threads 2]
       [-o FILE.h5] [--json]
Exit codes: 0 done, 1 the sweep failed, 2 bad input.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

KPIS = [("entries", "entries", 0),
        ("mean_days_to_first_job", "mean days to first job", 1),
        ("share_entrants_with_job", "share of entrants with a job", 3),
        ("positive_exit_rate", "positive exit rate", 3),
        ("cost_per_positive_exit", "cost per positive exit (EUR)", 0)]


def numbers(text, cast):
    try:
        values = [cast(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers separated by commas, got '{text}'")
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers, got '{text}'")
    return values


def run_sweep(args, output):
    command = [args.binary, "sweep", args.scenario, "-r", str(args.replications),
               "--threads", str(args.threads), "-o", output, "--quiet",
               "--set", f"parcours.contacts_capacity_per_coach_week={args.capacity}",
               "--grid", "parcours.caseload=" + ",".join(str(c) for c in args.caseloads),
               "--grid", "parcours.contacts_per_week=" + ",".join(str(c) for c in args.contacts)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"intensity_study.py: the sweep failed: {result.stderr.strip()}", file=sys.stderr)
        sys.exit(1)


def paired(values, reference):
    """Mean of the paired differences over replications where both are defined, with a 95 %
    normal interval (t would change the third digit at 200 replications)."""
    import numpy as np
    d = values - reference
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return math.nan, math.nan, math.nan
    half = 1.96 * d.std(ddof=1) / math.sqrt(len(d))
    return d.mean(), d.mean() - half, d.mean() + half


def study(args, output):
    import h5py
    import numpy as np
    with h5py.File(output, "r") as f:
        kpis = [k.decode() if isinstance(k, bytes) else k for k in f["replications/kpis"].attrs["kpis"]]
        runs = f["replications/kpis"][:]  # point, replication, territory (total last), kpi
        keys = [k.decode() if isinstance(k, bytes) else k for k in f["points/keys"][:]]
        settings = f["points/values"][:].reshape(-1, len(keys))  # point x key
    caseload_at = keys.index("parcours.caseload")
    contacts_at = keys.index("parcours.contacts_per_week")
    points = {}
    for p in range(runs.shape[0]):
        row = [v.decode() if isinstance(v, bytes) else v for v in settings[p]]
        points[(float(row[caseload_at]), float(row[contacts_at]))] = p
    reference = points.get((30.0, 1.0))
    results = {}
    for kpi, label, digits in KPIS:
        if kpi not in kpis:
            continue
        k = kpis.index(kpi)
        table = {}
        for (caseload, contacts), p in points.items():
            values = runs[p, :, -1, k]
            defined = values[np.isfinite(values)]
            mean = float(defined.mean()) if len(defined) else math.nan
            half = 1.96 * float(defined.std(ddof=1)) / math.sqrt(len(defined)) if len(defined) > 1 else math.nan
            diff = paired(values, runs[reference, :, -1, k]) if reference is not None else (math.nan,) * 3
            table[(caseload, contacts)] = {"mean": mean, "ci95": [mean - half, mean + half],
                                           "difference": diff[0], "difference_ci95": [diff[1], diff[2]]}
        results[kpi] = (label, digits, table)
    return results


def markdown(args, results):
    def fmt(x, digits):
        return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"
    lines = []
    for kpi, (label, digits, table) in results.items():
        lines.append(f"\n**{label}** (`{kpi}`): mean [95 % interval]; below, paired difference with "
                     "caseload 30 at 1 contact a week [95 % interval]\n")
        lines.append("| caseload \\ contacts a week | " + " | ".join(f"{c:g}" for c in args.contacts) + " |")
        lines.append("|---" * (len(args.contacts) + 1) + "|")
        for caseload in args.caseloads:
            cells = []
            for contacts in args.contacts:
                cell = table[(float(caseload), float(contacts))]
                d = 1 if digits == 0 else digits
                text = f"{fmt(cell['mean'], digits)} [{fmt(cell['ci95'][0], digits)}, {fmt(cell['ci95'][1], digits)}]"
                if not (caseload == 30 and contacts == 1):
                    text += (f"<br>{'+' if cell['difference'] >= 0 else ''}{fmt(cell['difference'], d)} "
                             f"[{fmt(cell['difference_ci95'][0], d)}, {fmt(cell['difference_ci95'][1], d)}]")
                cells.append(text)
            lines.append(f"| {caseload:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("scenario", nargs="?", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "scenarios", "dest1.toml"))
    parser.add_argument("-r", "--replications", type=int, default=200)
    parser.add_argument("--capacity", type=float, default=30.0,
                        help="contacts one coach can hold in a week (default 30)")
    parser.add_argument("--caseloads", type=lambda t: numbers(t, float), default=[15, 20, 30, 40, 60])
    parser.add_argument("--contacts", type=lambda t: numbers(t, float), default=[0.5, 1, 2, 3])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("-o", "--output", help="keep the sweep file here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        print(f"intensity_study.py: {args.binary}: not an executable essaim binary", file=sys.stderr)
        return 2
    if not os.path.isfile(args.scenario):
        print(f"intensity_study.py: {args.scenario}: no such scenario file", file=sys.stderr)
        return 2
    if args.replications < 2 or not args.capacity > 0:
        print("intensity_study.py: expected -r >= 2 and --capacity > 0", file=sys.stderr)
        return 2
    if 30 not in args.caseloads or 1 not in args.contacts:
        print("intensity_study.py: the reference design (caseload 30, 1 contact) must be in the grid",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        output = args.output or os.path.join(tmp, "intensity.h5")
        run_sweep(args, output)
        results = study(args, output)
    if args.json:
        print(json.dumps({kpi: {f"{c:g}x{k:g}": cell for (c, k), cell in table.items()}
                          for kpi, (_, _, table) in results.items()}))
    else:
        print(markdown(args, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
