#!/usr/bin/python3
"""End-to-end check of MODEL.md version 1.1 in the run file (docs/OUTPUT.md): the KPIs
entrants_with_job and share_entrants_with_job, the agent column `employability` (Z of §7.1) and
the daily series `effective_contacts` (c_t(d) of §7.2), with both extensions on
(tests/reference/extensions.toml: v = 1.5, K = 20) and with both off (docking.toml).

Usage: test_extensions.py <essaim-binary> <repo-dir>
"""
import datetime as dt
import json
import math
import os
import sys
import tempfile
import tomllib

import h5py
import numpy as np

from e2e import REPO, DOCKING, essaim, check, finish

EXTENSIONS = os.path.join(REPO, "tests", "reference", "extensions.toml")
Z = 4.753  # upper 1e-6 quantile of N(0, 1), as tests/stat_check.hpp


def run_file(tmp, scenario, name):
    path = os.path.join(tmp, name + ".h5")
    r = essaim("run", scenario, "-o", path, "--agents", "-q")
    check(r.returncode == 0, f"{name}: essaim run: {r.stderr}")
    j = essaim("run", scenario, "--no-output", "--json", "-q")
    check(j.returncode == 0, f"{name}: essaim run --json: {j.stderr}")
    return h5py.File(path, "r"), json.loads(j.stdout)


def contacts_multiplier(scenario, n_days):
    """m_contacts(d) of every day: the product over the crisis periods covering it."""
    start = scenario["scenario"]["start"]
    m = np.ones(n_days)
    for crisis in scenario.get("crisis", []):
        for d in range(n_days):
            if crisis["start"] <= start + dt.timedelta(days=d) <= crisis["end"]:
                m[d] *= crisis.get("contacts", 1.0)
    return m


def check_kpis(f, answer, name):
    kpis = list(f["kpis/total"].attrs["kpis"])
    check(kpis[-2:] == ["entrants_with_job", "share_entrants_with_job"],
          f"{name}: the new KPIs are appended: {kpis[-3:]}")
    units = list(f["kpis/total"].attrs["units"])
    check(units[-2:] == ["persons", "ratio"], f"{name}: units {units[-2:]}")
    a = {column: f["agents"][column][()] for column in ("territory", "entry_day", "first_job_day")}
    with_job = (a["entry_day"] >= 0) & (a["first_job_day"] >= 0)
    entrants = a["entry_day"] >= 0
    total = dict(zip(kpis, f["kpis/total"][()]))
    check(total["entrants_with_job"] == with_job.sum(),
          f"{name}: entrants_with_job {total['entrants_with_job']} vs {with_job.sum()}")
    check(math.isclose(total["share_entrants_with_job"], with_job.sum() / entrants.sum(),
                       rel_tol=1e-12), f"{name}: share_entrants_with_job")
    for t, row in enumerate(f["kpis/territories"][()]):
        by_name = dict(zip(kpis, row))
        mine = a["territory"] == t
        check(by_name["entrants_with_job"] == (with_job & mine).sum(),
              f"{name}: entrants_with_job of territory {t}")
    for kpi in ("entrants_with_job", "share_entrants_with_job"):
        check(answer["total"][kpi] == total[kpi], f"{name}: --json {kpi} equals the file's")


def check_effective_contacts(f, scenario, name):
    """c_t(d) = min(c_req, K m C / active), active = REMOB + EMPLOYED at the end of d - 1; 0 before
    opening. Returns the number of open territory-days on which the limit binds."""
    daily = f["series/daily"]
    variables = list(daily.attrs["variables"])
    check("effective_contacts" in variables, f"{name}: effective_contacts in the series")
    k = variables.index("effective_contacts")
    check(daily.attrs["units"][k] == "contacts/week", f"{name}: unit {daily.attrs['units'][k]}")
    values = daily[()]
    n_days = values.shape[0]
    m = contacts_multiplier(scenario, n_days)
    requested = scenario["parcours"]["contacts_per_week"] * m
    limit = scenario["parcours"].get("contacts_capacity_per_coach_week", math.inf)
    coaches = values[:, :, variables.index("coaches")]
    active = values[:, :, variables.index("remob")] + values[:, :, variables.index("employed")]
    at_step_1 = np.vstack([np.zeros((1, active.shape[1])), active[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        held = np.where(at_step_1 > 0, limit * m[:, None] * coaches / at_step_1, math.inf)
    expected = np.where(coaches > 0, np.minimum(requested[:, None], held), 0.0)
    got = values[:, :, k]
    check(np.allclose(got, expected, rtol=1e-12, atol=0),
          f"{name}: effective_contacts differs from min(c_req, K m C / active) on "
          f"{np.sum(~np.isclose(got, expected, rtol=1e-12, atol=0))} territory-days")
    return int(np.sum((coaches > 0) & (expected < requested[:, None])))


def main():
    with open(EXTENSIONS, "rb") as file:
        extensions = tomllib.load(file)
    with open(DOCKING, "rb") as file:
        docking = tomllib.load(file)
    with tempfile.TemporaryDirectory(prefix="essaim-extensions-") as tmp:
        on, on_json = run_file(tmp, EXTENSIONS, "extensions")
        off, off_json = run_file(tmp, DOCKING, "docking")
        with on, off:
            check_kpis(on, on_json, "extensions")
            check_kpis(off, off_json, "docking")
            bound = check_effective_contacts(on, extensions, "extensions")
            check(bound > 100, f"extensions: the limit binds on {bound} territory-days")
            check(check_effective_contacts(off, docking, "docking") == 0,
                  "docking: no limit without the key")

            z = on["agents/employability"]
            check(z.dtype == np.float32 and z.shape == on["agents/territory"].shape,
                  f"employability column {z.dtype} {z.shape}")
            z = z[()].astype(np.float64)
            v = extensions["hazards"]["employability_variance"]
            check(np.all(z >= 0) and len(np.unique(z)) > len(z) // 2, "Z drawn per person")
            check(abs(z.mean() - 1) <= Z * math.sqrt(v / len(z)),
                  f"mean employability {z.mean():.3f} over {len(z)} people, expected 1")
            check(np.all(off["agents/employability"][()] == 1), "Z = 1 when v = 0")

    # Validation: the key and what it expects.
    r = essaim("run", DOCKING, "--no-output", "-q", "--set", "hazards.employability_variance=-1")
    check(r.returncode == 2 and "hazards.employability_variance" in r.stderr and ">= 0" in r.stderr,
          f"negative variance refused at its key: {r.stderr}")
    r = essaim("run", DOCKING, "--no-output", "-q", "--set",
               "parcours.contacts_capacity_per_coach_week=0")
    check(r.returncode == 2 and "parcours.contacts_capacity_per_coach_week" in r.stderr
          and "> 0" in r.stderr, f"zero capacity refused at its key: {r.stderr}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
