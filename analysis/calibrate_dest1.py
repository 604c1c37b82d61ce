#!/usr/bin/python3
"""Tune the two parameters marked * in MODEL.md that the Dest1 targets pin down.

Targets (Amnyos, December 2020): about 400 entries by 2020-12-01 and a first employment solution
about 75 days (2.5 months) after entry on average. Both are measured on runs cut at 2020-12-01, the
date they were published, as means over R replications that share their random numbers (common
random numbers make each mean a smooth, monotone function of the parameter, so bisection works):
  - outreach.per_coach_per_day drives entries (identification is the bottleneck before capacity);
  - hazards.h0_job drives the delay to the first job.
The two are nearly independent; the script alternates one bisection on each until both hold.

Usage: /usr/bin/python3 analysis/calibrate_dest1.py ESSAIM_BINARY [SCENARIO] [-r 40] [--jobs 2] [--json]
Exit codes: 0 converged, 1 not converged after four rounds (or an internal failure), 2 bad input.
"""
import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys


def mean_kpis(binary, scenario, sets, replications, jobs):
    def one(r):
        command = [binary, "run", scenario, "--json", "--no-output", "--quiet",
                   "--replication", str(r), "--set", "scenario.end=2020-12-01"]
        for key, value in sets.items():
            command += ["--set", f"{key}={value!r}" if isinstance(value, str) else f"{key}={value:.8g}"]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        return json.loads(out)["total"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        totals = list(pool.map(one, range(replications)))
    entries = sum(t["entries"] for t in totals) / len(totals)
    days = [t["mean_days_to_first_job"] for t in totals if t["mean_days_to_first_job"] is not None]
    return entries, sum(days) / len(days)


def bisect(f, target, lo, hi, increasing, tolerance, steps=14):
    """Geometric bisection of f(x) = target on [lo, hi]."""
    x = math.sqrt(lo * hi)
    for _ in range(steps):
        x = math.sqrt(lo * hi)
        value = f(x)
        if abs(value - target) <= tolerance:
            break
        if (value < target) == increasing:
            lo = x
        else:
            hi = x
    return x


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("scenario", nargs="?", default="scenarios/dest1.toml")
    parser.add_argument("-r", "--replications", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--entries", type=float, default=400.0)
    parser.add_argument("--days", type=float, default=75.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args()
    if not os.access(args.binary, os.X_OK):
        print(f"calibrate_dest1.py: {args.binary}: not an executable essaim binary", file=sys.stderr)
        return 2
    if not os.path.isfile(args.scenario):
        print(f"calibrate_dest1.py: {args.scenario}: no such scenario file", file=sys.stderr)
        return 2
    if args.replications < 2:
        print("calibrate_dest1.py: --replications must be at least 2", file=sys.stderr)
        return 2

    sets = {"outreach.per_coach_per_day": 0.12, "hazards.h0_job": 1 / 45}
    measure = lambda: mean_kpis(args.binary, args.scenario, sets, args.replications, args.jobs)
    converged = False
    entries = days = float("nan")
    for round_ in range(4):
        def entries_at(x):
            sets["outreach.per_coach_per_day"] = x
            return measure()[0]

        def days_at(x):
            sets["hazards.h0_job"] = x
            return measure()[1]

        sets["outreach.per_coach_per_day"] = bisect(entries_at, args.entries, 0.02, 2.0, True, 0.01 * args.entries)
        sets["hazards.h0_job"] = bisect(days_at, args.days, 0.002, 0.5, False, 0.01 * args.days)
        entries, days = measure()
        if not args.json:
            print(f"round {round_ + 1}: per_coach_per_day = {sets['outreach.per_coach_per_day']:.6f}, "
                  f"h0_job = {sets['hazards.h0_job']:.6f} -> entries by 2020-12-01 {entries:.1f}, "
                  f"mean days to first job {days:.1f} ({args.replications} replications)", flush=True)
        if abs(entries - args.entries) <= 0.02 * args.entries and abs(days - args.days) <= 0.02 * args.days:
            converged = True
            break
    if args.json:
        print(json.dumps({"per_coach_per_day": sets["outreach.per_coach_per_day"],
                          "h0_job": sets["hazards.h0_job"], "entries": entries,
                          "mean_days_to_first_job": days, "replications": args.replications,
                          "rounds": round_ + 1, "converged": converged}))
    return 0 if converged else 1


if __name__ == "__main__":
    sys.exit(main())
