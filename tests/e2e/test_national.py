#!/usr/bin/python3
"""End-to-end checks of essaimage: `essaim generate national`, roll-out policies in runs (summary,
--json, HDF5 /rollout) and scenarios/essaimage_2023.toml.

Usage: test_national.py <essaim-binary> <repo-dir>
"""
import datetime as dt
import json
import os
import sys
import tempfile
import tomllib

import h5py

from e2e import REPO, essaim, check, finish


HALO_2019 = 1_700_000  # Dares Analyses no. 19 (July 2020), quoted in ../shared/DOMAIN.md


def territories_of(path):
    with open(path, "rb") as f:
        return tomllib.load(f)["territory"]


def check_eligible_total(tmp):
    default, big = os.path.join(tmp, "france.toml"), os.path.join(tmp, "big.toml")
    r = essaim("generate", "national", "--territories", "1000", "--seed", "1", "-o", default)
    check(r.returncode == 0, f"generate 1000 territories: {r.stderr}")
    text = open(default, encoding="utf-8").read()
    check("halo around unemployment" in text and "Dares Analyses no. 19" in text,
          "the generated file cites the national figure it uses")
    small = territories_of(default)
    pools = [t["pool"] for t in small]
    check(sum(pools) == HALO_2019, f"pools add up to 1.7 M people: {sum(pools)}")
    # One coach per 400 people, at least 3 (rounded half up): at most 1.7 M / 400 + 3 per territory.
    coaches = [max(h for _, h in t["coaches_after_open"]) for t in small]
    check(all(c == max(3, int(p / 400 + 0.5)) for c, p in zip(coaches, pools)), "coaches follow the pools")
    check(sum(coaches) <= HALO_2019 / 400 + 3 * 1000, f"about 4,000-7,000 coaches, not 59,365: {sum(coaches)}")
    # Inflow: 0.03 % of the pool a day, rounded to a hundredth: about 510 people a day nationally.
    inflows = [t["inflow_per_day"] for t in small]
    check(all(abs(i - 0.0003 * p) <= 0.005 + 1e-9 for i, p in zip(inflows, pools)), "inflow 0.03 % of the pool")
    check(abs(sum(inflows) - 0.0003 * HALO_2019) <= 0.005 * 1000, f"national inflow {sum(inflows)} a day")
    # A stress-test size: the same country with 24 M people, the shape unchanged.
    r = essaim("generate", "national", "--territories", "1000", "--seed", "1", "--eligible-total", "24000000",
               "-o", big)
    check(r.returncode == 0, f"--eligible-total 24000000: {r.stderr}")
    large = [t["pool"] for t in territories_of(big)] if r.returncode == 0 else []
    k = 24_000_000 / HALO_2019
    check(sum(large) == 24_000_000 and all(abs(b - k * a) <= k + 1 for a, b in zip(pools, large)),
          "pools rescaled to the total, same shape")
    check([t["name"] for t in small] == [t["name"] for t in territories_of(big)] if large else False,
          "same territories")
    # The default country runs at a national size: identifications cannot exceed the people there
    # are (pool plus six years of inflow).
    r = essaim("run", default, "--json", "--no-output", "--threads", "2", "--quiet")
    doc = json.loads(r.stdout) if r.returncode == 0 else {"total": {"identified": -1, "total_cost": 0}}
    people = HALO_2019 + sum(inflows) * 2192
    check(0 < doc["total"]["identified"] <= people, f"identified {doc['total']['identified']} <= {people:.0f}")
    # Coaches and hubs cost at most (coaches x 48,000 + 1,000 x 60,000) a year over six years.
    ceiling = 6 * (48000 * sum(coaches) + 60000 * 1000) + 400 * 5 * people
    check(0 < doc["total"]["total_cost"] <= ceiling, f"total cost {doc['total']['total_cost']:.3g} EUR")
    bad = os.path.join(tmp, "bad-total.toml")
    for value in ("0", "999", "1.5e3x", "2500.5", "-5", "2000000000", "abc"):
        r = essaim("generate", "national", "--territories", "1000", "--eligible-total", value, "-o", bad)
        check(r.returncode == 2 and not os.path.exists(bad) and "--eligible-total" in r.stderr,
              f"--eligible-total {value}: exit 2 naming the option, no file ({r.returncode}, {r.stderr})")


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-national-") as tmp:
        return checks(tmp)


def checks(tmp):
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

    # France-sized by default (issue 7 item 23): the eligible pools add up to the 1.7 million
    # people of the "halo around unemployment" at the end of 2019 (../shared/DOMAIN.md), with the
    # log-normal shape kept and --eligible-total to change the total.
    check_eligible_total(tmp)

    # Roll-out policies on a generated country with a budget.
    # The 2 initial hubs of a 40-territory France have ~42,500 people each, ~106 coaches: they
    # alone cost 32 M EUR a year, so 2e7 opens nothing (and the run says so), 6e7 opens some.
    p = os.path.join(tmp, "p.toml")
    r = essaim("generate", "national", "--territories", "40", "--policy", "proximity", "--budget", "2e7", "-o", p)
    check(r.returncode == 0, f"generate with a policy: {r.stderr}")
    doc = json.loads(essaim("run", p, "--json", "--no-output", "--quiet").stdout)
    check(doc["rollout_budget_opens_nothing"] is not None
          and all(d["open"] is None and "cannot open any candidate" in d["reason"]
                  for d in doc["rollout"] if d["wave"] == -1 and d["reason"].startswith("not opened")),
          "a budget below the initial hubs: nothing opens and every candidate says why")
    r = essaim("generate", "national", "--territories", "40", "--policy", "proximity", "--budget", "6e7", "-o", p)
    out = os.path.join(tmp, "p.h5")
    r = essaim("run", p, "--json", "-o", out, "--quiet")
    doc = json.loads(r.stdout)
    rollout = doc["rollout"]
    check(len(rollout) == 40 and doc["rollout_max_run_rate"] <= 6e7, "every territory reported; budget kept")
    check(not any(y["over_budget"] for y in doc["spending"]), "no year over budget")
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
    essaimage = os.path.join(REPO, "scenarios", "essaimage_2023.toml")
    r = essaim("run", essaimage, "--no-output")
    check(r.returncode == 0 and "Roll-out" in r.stdout and "budget" in r.stdout,
          "essaimage_2023: roll-out section in the summary")
    # Proximity rule, wave 0 on 2023-01-01: the candidates next to a hub open for >= 270 days
    # (maturity_days) come first, largest pool first, at most 3 a wave, within the budget.
    # Valenciennes (pool 3500) is next to Douchy-les-Mines, open since 2019-07-01 (1280 days);
    # the other mature-adjacent candidates are Arras (1800, next to Lens-Liévin), Saint-Omer (1700,
    # next to Béthune-Bruay) and Cambrai (1200, next to Douai); Dunkerque has as large a pool but
    # no open neighbour. So Valenciennes is the first choice of wave 0 and opens on 2023-01-01:
    # 1,872,000 EUR a year for the 12 hubs + 204,000 EUR for its 3 coaches and hub <= 3,000,000.
    # The derivation is recomputed here from the scenario file, then checked against --json.
    with open(essaimage, "rb") as f:
        territories = tomllib.load(f)["territory"]
    by_name = {t["name"]: t for t in territories}
    wave0 = dt.date(2023, 1, 1)

    def mature_neighbour(t):
        edges = set(t.get("neighbours", [])) | {u["name"] for u in territories if t["name"] in u.get("neighbours", [])}
        return [n for n in edges if not by_name[n].get("candidate", False)
                and (wave0 - by_name[n]["open"]).days >= 270]

    adjacent = sorted((c for c in territories if c.get("candidate", False) and mature_neighbour(c)),
                      key=lambda c: -c["pool"])
    check(adjacent and adjacent[0]["name"] == "Valenciennes" and adjacent[0]["pool"] > adjacent[1]["pool"]
          and "Douchy-les-Mines" in mature_neighbour(adjacent[0]),
          f"hand derivation: Valenciennes is the largest mature-adjacent candidate: {[c['name'] for c in adjacent]}")
    r = essaim("run", essaimage, "--json", "--no-output", "--quiet")
    decisions = {d["territory"]: d for d in json.loads(r.stdout)["rollout"]} if r.returncode == 0 else {}
    v = decisions.get("Valenciennes", {})
    check(v.get("open") == "2023-01-01" and v.get("wave") == 0 and "Douchy-les-Mines" in v.get("reason", ""),
          f"essaimage_2023: Valenciennes opens on 2023-01-01 in wave 0 next to Douchy-les-Mines: {v}")
    wave0_names = [n for n, d in decisions.items() if d["wave"] == 0]
    check(len(wave0_names) <= 3 and "Dunkerque" not in wave0_names,
          f"wave 0 has at most 3 openings, none without a mature neighbour: {wave0_names}")
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

    return finish()


if __name__ == "__main__":
    sys.exit(main())
