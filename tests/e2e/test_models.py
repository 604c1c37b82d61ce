#!/usr/bin/python3
"""End-to-end checks of the model interface through the command line: `essaim models`,
`essaim describe MODEL` (text, JSON, Markdown), `essaim run --model NAME` for the analytic test
models against their formulas, a scenario file naming its model, and the errors of each.

Usage: test_models.py <essaim-binary> <repo-dir>
"""
import json
import math
import os
import sys
import tempfile

from e2e import REPO, DOCKING, essaim, check, finish


def models_and_describe():
    r = essaim("models", "--json")
    names = [m["name"] for m in json.loads(r.stdout)["models"]]
    check(r.returncode == 0 and names == ["dest1", "ishigami", "sobol-g", "binomial"], f"models: {names}")
    r = essaim("models")
    check(r.returncode == 0 and all(n in r.stdout for n in names), "models text")

    r = essaim("describe", "dest1", "--json")
    d = json.loads(r.stdout)
    by_name = {p["name"]: p for p in d["parameters"]}
    check(by_name["h0_job"]["key"] == "hazards.h0_job" and by_name["h0_job"]["unit"] == "1/day",
          "dest1 h0_job: key and unit")
    check(abs(float(by_name["h0_job"]["default"]) - 1 / 45) < 1e-15, "h0_job default 1/45")
    check(by_name["mode"]["choices"] == ["integrated", "sequential"], "mode choices")
    check(by_name["digital_penalty"]["max"] == 1 and by_name["digital_penalty"]["min"] == 0,
          "digital_penalty range [0, 1]")
    check(all(p["description_fr"] and p["description_en"] for p in d["parameters"]),
          "every parameter described in French and English")
    check([k["name"] for k in d["kpis"]][:2] == ["identified", "entries"], "dest1 KPIs")
    r = essaim("describe", "ishigami")
    check(r.returncode == 0 and "x1" in r.stdout and "noise_sd" in r.stdout, "describe text")
    r = essaim("describe", "ishigami", "--lang", "fr")
    check("facteur d'entrée" in r.stdout, "describe in French")
    r = essaim("describe", "dest1", "--markdown")
    check(r.stdout.startswith("| name | key |") and "`hazards.h0_job`" in r.stdout, "Markdown")
    with open(os.path.join(REPO, "docs", "SCENARIOS.md"), encoding="utf-8") as f:
        check(r.stdout in f.read(), "docs/SCENARIOS.md holds the generated registry table")
    r = essaim("describe", "ishigam")
    check(r.returncode == 2 and "did you mean 'ishigami'" in r.stderr, f"unknown model: {r.stderr}")


def analytic_runs(tmp):
    r = essaim("run", "--model", "ishigami", "--set", "x1=0.5", "--set", "x2=1", "--set", "x3=-2",
               "--json")
    y = math.sin(0.5) + 7 * math.sin(1) ** 2 + 0.1 * 16 * math.sin(0.5)
    j = json.loads(r.stdout)
    check(r.returncode == 0 and abs(j["y"] - y) < 1e-12 and abs(j["total"]["y"] - y) < 1e-12,
          f"ishigami y: {r.stdout}")
    r = essaim("run", "--model", "sobol-g", "--set", "a=[78, 12, 0.5]", "--set", "x1=0.1",
               "--set", "x2=0.3", "--set", "x3=0.9", "--json")
    y = (1.6 + 78) / 79 * (0.8 + 12) / 13 * (1.6 + 0.5) / 1.5
    check(r.returncode == 0 and abs(json.loads(r.stdout)["y"] - y) < 1e-12, "sobol-g y")
    # A scenario file that names its model, with an override on top.
    path = os.path.join(tmp, "ishigami.toml")
    with open(path, "w", encoding="utf-8") as f:
        # Top-level keys come before the first table header (TOML).
        f.write('x1 = 1.0\nx2 = 2.0\n\n[scenario]\nname = "ish"\nmodel = "ishigami"\nseed = 3\n')
    r = essaim("run", path, "--set", "x3=0.5", "--json")
    j = json.loads(r.stdout)
    y = math.sin(1) + 7 * math.sin(2) ** 2 + 0.1 * 0.5 ** 4 * math.sin(1)
    check(r.returncode == 0 and j["scenario"] == "ish" and j["seed"] == 3 and
          abs(j["y"] - y) < 1e-12, f"ishigami from a file: {r.stdout} {r.stderr}")
    r = essaim("run", path, "--set", "x3=0.5")
    check(r.returncode == 0 and "y" in r.stdout, "text output")
    # Errors: out of range, unknown parameter, Dest1 without a file, unknown model.
    for args, expected in [
        (["--model", "ishigami", "--set", "x1=4"], "x1: expected a number in"),
        (["--model", "ishigami", "--set", "x9=1"], "unknown parameter"),
        (["--model", "sobol-g", "--set", "a=[1, 2]", "--set", "x3=1"], "x1..x2"),
        (["--model", "dest1"], "needs a scenario file"),
        (["--model", "nope"], "unknown model"),
        (["--model", "ishigami", "--seed", "-1"], "non-negative"),
    ]:
        r = essaim("run", *args)
        check(r.returncode == 2 and expected in r.stderr, f"{args}: {r.returncode} {r.stderr}")
    # Dest1 through --model with its file runs as before.
    r = essaim("run", "--model", "dest1", DOCKING, "--no-output", "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["total"]["entries"] > 0, "--model dest1 FILE")


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-models-") as tmp:
        models_and_describe()
        analytic_runs(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
