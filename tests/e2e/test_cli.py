#!/usr/bin/python3
"""End-to-end checks of the `essaim` command line: conventions (help, version, exit codes,
stdout/stderr, one JSON object), validation errors through the binary, overrides, variants,
determinism across threads, and no output file on any error.

Usage: test_cli.py <essaim-binary> <repo-dir>
"""
import json
import os
import sys
import tempfile

from e2e import REPO, DOCKING, essaim, check, finish


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-cli-") as tmp:
        return checks(tmp)


def checks(tmp):

    # Help and version.
    for args in (["--help"], ["run", "--help"], ["validate", "--help"]):
        r = essaim(*args)
        check(r.returncode == 0 and "Usage" in r.stdout, f"{args}: exit 0 with usage on stdout")
    r = essaim("--version")
    check(r.returncode == 0 and r.stdout.startswith("essaim "), "--version")
    check(essaim().returncode == 2, "no command: exit 2")
    check(essaim("frobnicate").returncode == 2, "unknown command: exit 2")
    r = essaim("run", DOCKING, "--no-such-option")
    check(r.returncode == 2 and "no-such-option" in r.stderr, "unknown option: exit 2, named")
    check(essaim("run").returncode == 2, "run without scenario: exit 2")

    # validate
    r = essaim("validate", DOCKING)
    check(r.returncode == 0 and "valid" in r.stdout, "docking.toml validates")
    for variant in ("dest1", "dest1_no_crisis", "dest1_sequential", "dest1_caseload_20",
                    "dest1_caseload_40"):
        r = essaim("validate", os.path.join(REPO, "scenarios", variant + ".toml"), "--json")
        ok = r.returncode == 0 and json.loads(r.stdout)["valid"] is True
        check(ok, f"{variant}.toml validates: {r.stderr}")
    with open(DOCKING, encoding="utf-8") as f:
        docking_text = f.read()

    bad_cases = [
        # (what, replacement of a docking line, expected key, expected line)
        ("unknown key with hint", ("caseload = 30\n", "caseloda = 30\n"), "parcours.caseloda", "did you mean"),
        ("negative caseload", ("caseload = 30\n", "caseload = -3\n"), "parcours.caseload", "expected"),
        ("probability above 1", ("prevalence = 0.75", "prevalence = 1.75"), "barriers.mobility.prevalence", "expected"),
        ("shares not summing to 1", ("lt1y = 0.30\n1to2y", "lt1y = 0.40\n1to2y"), "profile.duration", "sum"),
        ("wrong type", ("pool = 3000", 'pool = "many"'), "pool", "expected"),
        ("end before start", ("end = 2022-06-30", "end = 2018-06-30"), "scenario.end", "start"),
        ("unknown neighbour", ('neighbours = ["Beta"]', 'neighbours = ["Betta"]'), "neighbours", "Beta"),
        ("coach schedule out of order", ("[[2019-07-01, 2], [2020-01-01, 3]]", "[[2020-01-01, 2], [2019-07-01, 3]]"), "coaches", "order"),
        ("negative count", ("pool = 800", "pool = -800"), "pool", "expected"),
    ]
    for what, (old, new), key, hint in bad_cases:
        assert old in docking_text, old
        path = write(tmp, "bad.toml", docking_text.replace(old, new, 1))
        out = os.path.join(tmp, "bad.h5")
        r = essaim("run", path, "-o", out)
        check(r.returncode == 2, f"{what}: exit 2 (got {r.returncode}: {r.stderr})")
        check(path in r.stderr and key in r.stderr and hint in r.stderr,
              f"{what}: message names file, key '{key}' and says '{hint}': {r.stderr.strip()}")
        check(":" in r.stderr.split(path, 1)[-1][:8], f"{what}: message gives line:column: {r.stderr.strip()}")
        check(not os.path.exists(out) and not [f for f in os.listdir(tmp) if ".tmp" in f],
              f"{what}: no output file")
        v = essaim("validate", path, "--json")
        doc = json.loads(v.stdout)
        check(v.returncode == 2 and doc["valid"] is False and key in doc["error"]["key"],
              f"{what}: validate --json reports the key: {v.stdout}")
        check(isinstance(doc["error"]["line"], int) and doc["error"]["line"] > 0,
              f"{what}: validate --json gives a line number")

    # The line number points at the offending line.
    text = docking_text.replace("caseload = 30\n", "caseload = -3\n", 1)
    expected_line = text[: text.index("caseload = -3")].count("\n") + 1
    r = essaim("validate", write(tmp, "line.toml", text))
    check(f"line.toml:{expected_line}:" in r.stderr, f"error at line {expected_line}: {r.stderr.strip()}")

    # --set overrides, validated the same way.
    base = json.loads(essaim("run", DOCKING, "--json", "--no-output").stdout)
    r = essaim("run", DOCKING, "--json", "--no-output", "--set", "parcours.caseload=20",
               "--set", "territory.Beta.caseload=20")
    smaller = json.loads(r.stdout)
    check(r.returncode == 0 and smaller["total"]["entries"] < base["total"]["entries"],
          "--set caseload=20 lowers entries")
    r = essaim("run", DOCKING, "--no-output", "--set", "parcours.caseload=-1")
    check(r.returncode == 2 and "--set" in r.stderr and "parcours.caseload" in r.stderr,
          f"bad --set value: exit 2 naming --set and the key: {r.stderr.strip()}")
    r = essaim("run", DOCKING, "--no-output", "--set", "parcours.caseloda=10")
    check(r.returncode == 2 and "did you mean" in r.stderr, f"--set unknown key hint: {r.stderr.strip()}")
    r = essaim("run", DOCKING, "--no-output", "--set", "novalue")
    check(r.returncode == 2, "--set without '=': exit 2")

    # extends: a variant overrides its base.
    write(tmp, "base.toml", docking_text)
    variant = write(tmp, "variant.toml", 'extends = "base.toml"\n[parcours]\nmode = "sequential"\n')
    seq = json.loads(essaim("run", variant, "--json", "--no-output").stdout)
    check(seq["total"]["job_starts"] < base["total"]["job_starts"], "extends variant runs (sequential: fewer jobs)")
    cyc = write(tmp, "cycle.toml", 'extends = "cycle.toml"\n')
    check(essaim("validate", cyc).returncode == 2, "extends cycle: exit 2")

    # --json: exactly one JSON object with the KPI keys, total and per territory.
    r = essaim("run", DOCKING, "--json", "-o", os.path.join(tmp, "j.h5"))
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    check(r.returncode == 0 and len(lines) == 1, "--json prints one line")
    doc = json.loads(r.stdout)
    kpis = ["identified", "entries", "job_starts", "dropouts", "gave_up", "exits_positive",
            "exits_neutral", "positive_exit_rate", "mean_days_to_first_job",
            "median_days_to_first_job", "share_job_within_90d", "employed_6m_after_exit",
            "employed_12m_after_exit", "mean_waiting_days", "capacity_utilisation", "total_cost",
            "cost_per_entry", "cost_per_positive_exit"]
    check(all(k in doc["total"] for k in kpis), "--json total has every KPI")
    check(sorted(doc["territories"]) == ["Alpha", "Beta", "Gamma"], "--json territories by name")
    check(all(k in doc["territories"]["Beta"] for k in kpis), "--json territory has every KPI")
    check(sum(doc["territories"][t]["entries"] for t in doc["territories"]) == doc["total"]["entries"],
          "territory entries sum to the total")

    # Same seed and replication: identical results whatever the thread count; other seed differs.
    one = essaim("run", DOCKING, "--json", "--no-output", "--threads", "1", "--seed", "5").stdout
    two = essaim("run", DOCKING, "--json", "--no-output", "--threads", "2", "--seed", "5").stdout
    check(one == two, "--threads 1 and 2 give identical JSON")
    other = essaim("run", DOCKING, "--json", "--no-output", "--seed", "6").stdout
    check(json.loads(other)["total"] != json.loads(one)["total"], "another seed gives other results")
    r = essaim("run", DOCKING, "--no-output", "--threads", "0")
    check(r.returncode == 2, "--threads 0: exit 2")

    # Default output path results/<scenario name>.h5, summary on stdout, diagnostics on stderr.
    work = os.path.join(tmp, "cwd")  # inside tmp, removed with it
    os.mkdir(work)
    r = essaim("run", DOCKING, cwd=work)
    check(r.returncode == 0 and os.path.exists(os.path.join(work, "results", "docking-3t.h5")),
          "default output results/docking-3t.h5")
    check("Alpha" in r.stdout and "total" in r.stdout and "wrote" in r.stderr, "summary on stdout")
    r = essaim("run", DOCKING, "--quiet", "-o", os.path.join(work, "q.h5"))
    check(r.returncode == 0 and r.stderr == "", "--quiet: nothing on stderr")
    r = essaim("run", DOCKING, "-o", os.path.join(work, "missing-dir", "x.h5"))
    check(r.returncode == 2 and not os.path.exists(os.path.join(work, "missing-dir")),
          "output in a missing directory: exit 2, nothing created")
    r = essaim("run", os.path.join(tmp, "does-not-exist.toml"))
    check(r.returncode == 2 and "does-not-exist.toml" in r.stderr, "missing scenario file: exit 2, named")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
