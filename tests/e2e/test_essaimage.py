#!/usr/bin/python3
"""End-to-end checks of issue 7 items 13, 14 (run tables), 17: the roll-out budget counts every
decided and scheduled opening, spending per calendar year in the summary, --json and the HDF5
file, the budget warning, the docs/ESSAIMAGE.md budget example, tables sized to their content,
and --max-memory.

Usage: test_essaimage.py <essaim-binary> <repo-dir>
"""
import datetime as dt
import json
import os
import re
import sys
import tempfile
import time
import tomllib

import h5py
import numpy as np

from e2e import DOCKING, REPO, essaim, check, finish

COACH, HUB, SOLUTION = 48000, 60000, 400  # [costs] of docking.toml


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-essaimage-") as tmp:
        return checks(tmp)


def rollout_snippet():
    """The ```toml block of docs/SCENARIOS.md's roll-out section (a [rollout] table and "Near")."""
    text = open(os.path.join(REPO, "docs", "SCENARIOS.md"), encoding="utf-8").read()
    section = text[text.index("## Roll-out (essaimage)"):]
    return re.search(r"```toml\n(.*?)```", section, re.S).group(1)


def max_headcount(territory):
    return max(h for _, h in territory.get("coaches", territory.get("coaches_after_open", [])))


def checks(tmp):
    docking_rollout = os.path.join(tmp, "docking-rollout.toml")
    with open(docking_rollout, "w", encoding="utf-8") as f:
        f.write(open(DOCKING, encoding="utf-8").read() + "\n" + rollout_snippet())
    check_budget_counts_scheduled(tmp, docking_rollout)
    check_spending(tmp, docking_rollout)
    check_budget_warning()
    check_doc_example(tmp)
    check_tables(tmp)
    check_max_memory(tmp)
    return finish()


def check_budget_counts_scheduled(tmp, path):
    # Hand computation from the file: Alpha (3 coaches at most), Beta (2) and Gamma (2) are
    # scheduled: 3 x 48,000 + 60,000 + 2 x (2 x 48,000 + 60,000) = 516,000 EUR a year, more than
    # the 450,000 budget before Near (2 coaches: 156,000) is even counted. Before the fix, Near
    # opened at "360,000 of 450,000" and the run-rate reached 672,000.
    with open(path, "rb") as f:
        doc = tomllib.load(f)
    scheduled = sum(COACH * max_headcount(t) + HUB for t in doc["territory"] if not t.get("candidate"))
    near = COACH * max_headcount(doc["territory"][-1]) + HUB
    check(scheduled == 516000 and near == 156000 and doc["rollout"]["budget_per_year"] == 450000,
          f"hand computation: scheduled {scheduled}, Near {near}")
    r = essaim("run", path, "--json", "--no-output", "--quiet")
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    decision = {d["territory"]: d for d in out.get("rollout", [])}.get("Near", {})
    check(decision.get("open") is None and "cannot open any candidate" in decision.get("reason", ""),
          f"Near does not open and says the budget cannot open anything: {decision}")
    check(out.get("rollout_max_run_rate") == scheduled, f"run-rate {out.get('rollout_max_run_rate')} = 516000")
    check("516000 EUR" in (out.get("rollout_budget_opens_nothing") or "")
          and "672000 EUR" in out.get("rollout_budget_opens_nothing", ""),
          "the message gives what is committed and the budget that would open one")
    text = essaim("run", path, "--no-output", "--quiet").stdout
    check("Nothing could open" in text and "cannot open any candidate" in text,
          "the summary says the budget cannot open anything")
    # With exactly 516,000 + 156,000, Near fits; its first wave (2020-01-01) is its opening.
    r = essaim("run", path, "--json", "--no-output", "--quiet", "--set", "rollout.budget_per_year=672000")
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    decision = {d["territory"]: d for d in out.get("rollout", [])}.get("Near", {})
    check(decision.get("open") == "2020-01-01" and out.get("rollout_budget_opens_nothing") is None,
          f"a budget of 672,000 opens Near in the first wave: {decision}")
    check(not any(y["over_budget"] for y in out.get("spending", [{"over_budget": True}])),
          "a plan that fits its budget has no year over budget")
    # One euro less: the committed 516,000 + 156,000 no longer fits.
    r = essaim("run", path, "--json", "--no-output", "--quiet", "--set", "rollout.budget_per_year=671999")
    out = json.loads(r.stdout) if r.returncode == 0 else {}
    decision = {d["territory"]: d for d in out.get("rollout", [])}.get("Near", {})
    check(decision.get("open") is None, "671,999 EUR does not open Near")


def check_spending(tmp, path):
    out_h5 = os.path.join(tmp, "rollout.h5")
    r = essaim("run", path, "--json", "-o", out_h5, "--quiet")
    doc = json.loads(r.stdout) if r.returncode == 0 else {"spending": []}
    spending = doc.get("spending", [])
    check([y["year"] for y in spending] == [2019, 2020, 2021, 2022], "one entry per calendar year")
    with h5py.File(out_h5, "r") as f:
        daily = f["series/daily"][...]
        names = list(f["series/daily"].attrs["variables"])
        dates = [dt.date.fromisoformat(d.decode() if isinstance(d, bytes) else d) for d in f["series/dates"][...]]
        opens = [d.decode() if isinstance(d, bytes) else d for d in f["territories/open_date"][...]]
        group = f["spending"] if "spending" in f else None
        stored = {k: group[k][...] for k in group} if group else {}
        dims = {k: group[k].attrs.get("dimensions") for k in group} if group else {}
    # By hand from the daily series: coaches x 48,000 / 365 a day, 60,000 / 365 a day per open
    # territory, 400 per barrier resolved; budget share 450,000 x days / 365.
    years = sorted({d.year for d in dates})
    expected = []
    for year in years:
        days = [i for i, d in enumerate(dates) if d.year == year]
        coaches = daily[days, :, names.index("coaches")].sum() * COACH / 365
        hubs = sum(1 for i in days for o in opens if o and dt.date.fromisoformat(o) <= dates[i]) * HUB / 365
        solutions = daily[days, :, names.index("barriers_resolved")].sum() * SOLUTION
        share = 450000 * len(days) / 365
        expected.append((year, coaches, hubs, solutions, coaches + hubs > share + 1e-6))
    close = lambda a, b: abs(a - b) <= 1e-6 * max(1.0, abs(b))
    check(len(spending) == len(expected) and all(
        y["year"] == e[0] and close(y["coaches"], e[1]) and close(y["hubs"], e[2]) and close(y["solutions"], e[3])
        and close(y["total"], e[1] + e[2] + e[3]) and y["over_budget"] == e[4] for y, e in zip(spending, expected)),
        f"--json spending equals the hand computation: {spending} vs {expected}")
    # 2021 is a whole year with all 7 coaches and 3 hubs: 336,000 + 180,000 = 516,000 > 450,000.
    y2021 = {y["year"]: y for y in spending}.get(2021, {})
    check(close(y2021.get("coaches", 0), 336000) and close(y2021.get("hubs", 0), 180000) and y2021.get("over_budget"),
          f"2021 is over budget: {y2021}")
    check(close(sum(y["total"] for y in spending), doc["total"]["total_cost"]), "years add up to the total cost")
    check(stored and list(stored["year"]) == years and np.allclose(stored["total"], [y["total"] for y in spending])
          and list(stored["over_budget"]) == [int(y["over_budget"]) for y in spending]
          and set(stored) >= {"coaches", "hubs", "solutions", "budget"},
          "/spending in the HDF5 file holds the same years")
    check(dims and all(v == "year" for v in dims.values()), f"/spending datasets have dimensions: {dims}")
    text = essaim("run", path, "--no-output", "--quiet").stdout
    rows = [l.split() for l in text.splitlines() if re.match(r"^20(19|20|21|22)\s+\d", l)]
    check(len(rows) == 4 and [r[-1] for r in rows] == ["yes" if e[4] else "no" for e in expected],
          f"the summary flags the years over budget: {rows}")
    check("Over budget in" in text, "the summary says how many years are over budget")
    # No budget: spending is still reported, nothing flagged, no budget column.
    doc = json.loads(essaim("run", DOCKING, "--json", "--no-output", "--quiet").stdout)
    years = doc.get("spending", [])
    check(len(years) == 4 and not any(y["over_budget"] for y in years)
          and all(y["budget"] is None for y in years), "no budget: reported, not flagged")


def check_budget_warning():
    r = essaim("run", DOCKING, "--no-output", "--set", "rollout.budget_per_year=450000")
    check(r.returncode == 0 and "warning" in r.stderr and "rollout.budget_per_year" in r.stderr
          and "no candidate" in r.stderr, f"a budget without candidates is warned about: {r.stderr}")
    r = essaim("run", DOCKING, "--no-output", "--quiet", "--set", "rollout.budget_per_year=450000")
    check(r.returncode == 0 and r.stderr == "", f"--quiet: no warning ({r.stderr!r})")
    r = essaim("run", DOCKING, "--no-output")
    check("warning" not in r.stderr, "no budget: no warning")


def check_doc_example(tmp):
    # The docs/ESSAIMAGE.md example must open part of the candidates, not almost nothing.
    text = open(os.path.join(REPO, "docs", "ESSAIMAGE.md"), encoding="utf-8").read()
    m = re.search(r"generate national (--territories \d+ --policy proximity --budget \S+)", text)
    check(m is not None, "docs/ESSAIMAGE.md has a budget example")
    if m is None:
        return
    path = os.path.join(tmp, "national-p.toml")
    r = essaim("generate", "national", *m.group(1).split(), "-o", path)
    check(r.returncode == 0, f"the example generates: {r.stderr}")
    budget = float(m.group(1).split()[-1])
    doc = json.loads(essaim("run", path, "--json", "--no-output", "--quiet", "--threads", "2").stdout)
    doc.setdefault("spending", [])
    candidates = [d for d in doc["rollout"] if d["wave"] >= 0 or d["reason"].startswith("not opened")]
    opened = [d for d in candidates if d["open"] is not None]
    check(len(candidates) > 0 and 0.25 <= len(opened) / len(candidates) <= 0.9,
          f"the example opens part of the candidates: {len(opened)} of {len(candidates)}")
    check(doc["rollout_max_run_rate"] <= budget and not any(y["over_budget"] for y in doc["spending"]),
          "and keeps its budget every year")
    check(f"{len(opened)}" in text or "about half" in text, "the documentation says how many open")


def table_blocks(text):
    """Tables of a summary: runs of lines from a header line to the next blank or prose line."""
    blocks, current = [], []
    for line in text.splitlines():
        if re.search(r"\S  +\S", line) or (current and set(line) == {"-"}):
            current.append(line)
        else:
            if len(current) > 1:
                blocks.append(current)
            current = []
    if len(current) > 1:
        blocks.append(current)
    return blocks


def aligned(block):
    """Every row has the header's cells, separated by two spaces or more; numbers right-aligned
    under their header, words left-aligned (widths in characters: names carry accents)."""
    header = block[0]
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    for line in block[1:]:
        if set(line) == {"-"}:
            if len(line) < spans[-1][1]:
                return False
            continue
        cells = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line)]
        if len(cells) < len(spans) - 1:  # a last, empty column is allowed
            return False
        for (hs, he), (cs, ce, value) in zip(spans, cells):
            numeric = re.fullmatch(r"-?[\d.]+|-", value) is not None
            if numeric and ce != he and not (hs == cs):
                return False
            if not numeric and cs != hs:
                return False
    return True


def check_tables(tmp):
    # Coach costs 10^12 times larger make the EUR columns grow past their old fixed widths; before the
    # fix the total row read "total  644766911270700" at national scale.
    r = essaim("run", DOCKING, "--no-output", "--quiet", "--set", "costs.coach_per_year=4.8e16",
               "--set", "rollout.budget_per_year=1")
    blocks = table_blocks(r.stdout)
    check(r.returncode == 0 and len(blocks) == 2 and all(aligned(b) for b in blocks),
          f"large numbers: every column as wide as its content\n{r.stdout}")
    total = next((l for l in r.stdout.splitlines() if l.startswith("total")), "")
    check(len(total.split()) == 8, f"the total row has its 8 cells apart: {total!r}")
    r = essaim("run", os.path.join(REPO, "scenarios", "essaimage_2023.toml"), "--no-output", "--quiet")
    blocks = table_blocks(r.stdout)
    check(r.returncode == 0 and len(blocks) == 3 and all(aligned(b) for b in blocks),
          f"accented names and the roll-out table line up\n{r.stdout}")
    names = [l for l in r.stdout.splitlines() if l.startswith("Charleville-Mézières")]
    check(len(names) == 1, "a 20-character accented name is printed whole")


def check_max_memory(tmp):
    out = os.path.join(tmp, "huge.h5")
    bound = ["--set", "territory.Alpha.pool=1000000000000", "--set", "territory.Alpha.coaches=[[2019-07-01, 1000000]]"]
    start = time.monotonic()
    r = essaim("run", DOCKING, *bound, "--agents", "--max-memory", "4", "-o", out)
    elapsed = time.monotonic() - start
    m = re.search(r"run needs about ([\d.e+]+) GiB \(estimate\), more than the 4 GiB allowed \(--max-memory\)", r.stderr)
    # 0.12 x 10^6 people identified a day over 1096 days, agent rows of at least 37 bytes.
    check(r.returncode == 2 and m is not None and float(m.group(1)) >= 0.12e6 * 1096 * 37 / 2**30,
          f"the validated upper bounds are refused before running: {r.returncode} {r.stderr}")
    check(elapsed < 10 and not os.path.exists(out), f"at once ({elapsed:.1f} s), without a file")
    # The default limit (a share of the machine's memory) refuses 10^10 identifications a day.
    r = essaim("run", DOCKING, *bound, "--set", "outreach.per_coach_per_day=10000", "--no-output")
    check(r.returncode == 2 and "(--max-memory)" in r.stderr and "bad_alloc" not in r.stderr,
          f"default limit: {r.returncode} {r.stderr}")
    r = essaim("run", DOCKING, "--no-output", "--quiet", "--max-memory", "0.001")
    check(r.returncode == 2 and "0.001 GiB allowed" in r.stderr, f"a tiny limit refuses docking: {r.stderr}")
    r = essaim("run", DOCKING, "--no-output", "--quiet", "--max-memory", "1")
    check(r.returncode == 0, f"docking fits in 1 GiB: {r.stderr}")
    for value in ("0", "-1", "abc", "inf", "nan"):
        r = essaim("run", DOCKING, "--no-output", "--quiet", f"--max-memory={value}")
        check(r.returncode == 2 and "max-memory" in r.stderr, f"--max-memory {value}: exit 2 ({r.stderr})")


if __name__ == "__main__":
    sys.exit(main())
