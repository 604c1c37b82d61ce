#!/usr/bin/python3
"""End-to-end checks of essaimage: `essaim generate national`, roll-out policies in runs (summary,
--json, HDF5 /rollout) and scenarios/essaimage_2023.toml.

Usage: test_national.py <essaim-binary> <repo-dir>
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py

BINARY, REPO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
results = {"passed": 0, "failed": 0}


def essaim(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=900)


def check(condition, message):
    results["passed" if condition else "failed"] += 1
    if not condition:
        print("FAIL:", message, file=sys.stderr)


def main():
    tmp = tempfile.mkdtemp(prefix="essaim-national-")
    a, b, c = (os.path.join(tmp, n) for n in ("a.toml", "b.toml", "c.toml"))
    r = essaim("generate", "national", "--territories", "60", "--seed", "9", "-o", a, "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["territories"] == 60, f"generate: {r.stderr}")
    essaim("generate", "national", "--territories", "60", "--seed", "9", "-o", b)
    essaim("generate", "national", "--territories", "60", "--seed", "10", "-o", c)
    text = open(a, encoding="utf-8").read()
    check(text == open(b, encoding="utf-8").read(), "same options, same file")
    check(text != open(c, encoding="utf-8").read(), "another seed, another country")
    check("extends" not in text and text.count("[[territory]]") == 60, "complete scenario, 60 territories")
    check(essaim("validate", a).returncode == 0, "the generated scenario validates")
    run = json.loads(essaim("run", a, "--json", "--no-output", "--threads", "2").stdout)
    check(len(run["territories"]) == 60 and run["total"]["identified"] > 0, "the generated scenario runs")
    check("rollout" not in run, "policy dates: no candidates, no roll-out report")

    # Roll-out policies on a generated country with a budget.
    p = os.path.join(tmp, "p.toml")
    r = essaim("generate", "national", "--territories", "40", "--policy", "proximity", "--budget", "2e7", "-o", p)
    check(r.returncode == 0, f"generate with a policy: {r.stderr}")
    out = os.path.join(tmp, "p.h5")
    r = essaim("run", p, "--json", "-o", out, "--quiet")
    doc = json.loads(r.stdout)
    rollout = doc["rollout"]
    check(len(rollout) == 40 and doc["rollout_max_run_rate"] <= 2e7, "every territory reported; budget kept")
    opened = [d for d in rollout if d["open"] is not None and d["wave"] >= 0]
    check(len(opened) > 0 and all(d["reason"].startswith("wave") for d in opened), "waves with reasons")
    with h5py.File(out, "r") as f:
        check(f["rollout"].attrs["policy"] == "proximity" and f["rollout/reason"].shape == (40,), "/rollout in the file")
        dates = [d.decode() if isinstance(d, bytes) else d for d in f["territories/open_date"][()]]
        check(all((d == "") == (x["open"] is None) for d, x in zip(dates, rollout)), "/territories has actual openings")
        coaches = f["series/daily"][:, :, list(f["series/daily"].attrs["variables"]).index("coaches")]
        never = [i for i, x in enumerate(rollout) if x["open"] is None]
        check(all(coaches[:, i].max() == 0 for i in never), "territories never opened have no coaches")

    # The Hauts-de-France essaimage scenario: 12 candidates, some held back by the budget.
    r = essaim("run", os.path.join(REPO, "scenarios", "essaimage_2023.toml"), "--no-output")
    check(r.returncode == 0 and "Roll-out" in r.stdout and "Valenciennes" in r.stdout and "budget" in r.stdout,
          "essaimage_2023: roll-out section in the summary")
    r = essaim("compare", os.path.join(REPO, "scenarios", "essaimage_2023.toml"),
               os.path.join(REPO, "scenarios", "essaimage_2023_need.toml"), "-r", "4", "--json", "--quiet")
    check(r.returncode == 0 and "entries" in json.loads(r.stdout)["kpis"], "policies compared")

    # Bad options: exit 2, no file.
    bad = os.path.join(tmp, "bad.toml")
    for args in (["--territories", "0"], ["--policy", "random"], ["--start", "2024-13-01"], ["--years", "0"]):
        r = essaim("generate", "national", *args, "-o", bad)
        check(r.returncode == 2 and not os.path.exists(bad), f"generate {args}: exit 2, no file")
    check(essaim("generate", "regional", "-o", bad).returncode == 2, "unknown kind: exit 2")
    check(essaim("generate", "national").returncode == 2, "missing -o: exit 2")

    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
