#!/usr/bin/python3
"""End-to-end checks of `essaim calibrate` (issue 11): the binomial model's known posterior
Beta(19, 33) and predictive Beta-binomial(50, 19, 33), recovery of known parameters of the
docking scenario, results independent of threads and MPI ranks, a killed calibration resumed to
the same file, the errors, and the calibration file's contents recomputed from its own datasets.

Statistical checks and their false-alarm rates:
- Known posterior: 8 independent seeds; each statistic's mean over the seeds is compared with its
  exact value by Student's t with 7 degrees of freedom, |t| < 7.885 (two-sided 1e-4 per
  statistic; 8 statistics, so under 1e-3 for the whole check). The Monte-Carlo error comes from
  the spread between seeds, not from the particle count: weighted particles are not independent
  draws (importance weights, and a proposal fitted to the previous generation), and rare
  particles far in the tails carry large weights. The per-seed estimates are skewed; with 48
  further seeds, random subsets of 8 (centred) exceeded |t| = 7.885 at rates from 0 (q50) to
  2.5e-4 (sd), close to the nominal 1e-4.
- Recovery: the 90 % posterior interval of each of 2 parameters, over 8 seeds with observations
  from 8 different replications, covers the true value at least 5 times. If each interval
  covered with probability 0.9, independently across seeds, P(at most 4 of 8) = 0.0050 per
  parameter; ABC with a tolerance above 0 widens the posterior, so coverage is higher and the
  false-alarm rate lower (about 6e-5 per parameter at 0.97).

Usage: test_calibrate.py <essaim-binary> <repo-dir>
"""
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from e2e import BINARY, DOCKING, essaim, check, finish

# As root, Open MPI needs --allow-run-as-root; --oversubscribe lets 2 ranks share fewer cores.
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2"]
STATISTICS = ["mean", "sd", "q05", "q50", "q95"]


# ---- Helpers

def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def calibrate(*args, **kwargs):
    return essaim("calibrate", *args, **kwargs)


def text_of(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def datasets(path, roots):
    """{name: value} of every dataset under `roots`, and {name@attr: value} of their attributes
    and of the roots' groups."""
    out = {}
    with h5py.File(path) as f:
        for root in roots:
            if root not in f:
                out[root] = "missing"
                continue
            def visit(name, obj, root=root):
                full = f"{root}/{name}"
                if isinstance(obj, h5py.Dataset):
                    out[full] = obj[()]
                for key, value in obj.attrs.items():
                    out[f"{full}@{key}"] = value
            f[root].visititems(visit)
            for key, value in f[root].attrs.items():
                out[f"{root}@{key}"] = value
    return out


def same_value(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
        return False
    if a.dtype.kind == "f":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


# What differs between two runs of the same calibration: how and when it was run.
MANIFEST_VARIES = {"command_line", "started_at", "threads", "wall_seconds"}


def differences(path_a, path_b, roots=("generations", "posterior", "predictive", "targets",
                                       "space")):
    """The datasets and attributes under `roots`, and the manifest's attributes, that differ
    between two files (the command line, the date and the thread count aside)."""
    a, b = datasets(path_a, roots), datasets(path_b, roots)
    for path, out in ((path_a, a), (path_b, b)):
        with h5py.File(path) as f:
            out.update({f"manifest@{k}": v for k, v in f["manifest"].attrs.items()
                        if k not in MANIFEST_VARIES})
    problems = [f"only in one file: {k}" for k in sorted(set(a) ^ set(b))]
    problems += [f"values of {k}" for k in sorted(set(a) & set(b)) if not same_value(a[k], b[k])]
    return problems


def weighted_quantile(x, w, q):
    """The smallest value whose cumulative weight reaches q of the total (docs/CALIBRATION.md)."""
    order = np.argsort(x, kind="stable")
    cumulative = np.cumsum(w[order])
    i = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12)))
    return x[order][min(i, len(x) - 1)]


def weighted_statistics(x, w):
    w = w / w.sum()
    mean = float(w @ x)
    return {"mean": mean, "sd": math.sqrt(float(w @ (x - mean) ** 2)),
            "q05": weighted_quantile(x, w, 0.05), "q50": weighted_quantile(x, w, 0.5),
            "q95": weighted_quantile(x, w, 0.95)}


def t_check(values, truth, label, critical=7.885):
    """Student's t of the mean of per-seed estimates against the exact value. 7.885: the
    two-sided 1e-4 critical value with 7 degrees of freedom (8 seeds)."""
    values = np.asarray(values, dtype=float)
    k = len(values)
    se = values.std(ddof=1) / math.sqrt(k)
    t = (values.mean() - truth) / se if se > 0 else math.inf
    check(abs(t) < critical,
          f"{label}: mean over {k} seeds {values.mean():.5f} vs exact {truth:.5f} "
          f"(se {se:.5f}, t = {t:.2f}); per seed {np.round(values, 5).tolist()}")
    return t


# ---- Exact values for the binomial model: 18 successes of 50, uniform prior on p.

K_OBSERVED, TRIALS = 18, 50
A, B = K_OBSERVED + 1, TRIALS - K_OBSERVED + 1  # Beta(19, 33)


def beta_cdf(x):
    """I_x(a, b) for whole a, b: P(Binomial(a + b - 1, x) >= a)."""
    n = A + B - 1
    return sum(math.comb(n, j) * x ** j * (1 - x) ** (n - j) for j in range(A, n + 1))


def beta_quantile(q):
    lo, hi = 0.0, 1.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if beta_cdf(mid) < q else (lo, mid)
    return (lo + hi) / 2


def beta_binomial_pmf(k):
    """P(k successes of 50 | p ~ Beta(19, 33))."""
    log_beta = lambda a, b: math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.comb(TRIALS, k) * math.exp(log_beta(k + A, TRIALS - k + B) - log_beta(A, B))


EXACT = {
    "mean": A / (A + B),
    "sd": math.sqrt(A * B / ((A + B) ** 2 * (A + B + 1))),
    "q05": beta_quantile(0.05),
    "q50": beta_quantile(0.5),
    "q95": beta_quantile(0.95),
}
PREDICTIVE_MEAN = TRIALS * A / (A + B)
PREDICTIVE_SD = math.sqrt(TRIALS * A * B * (A + B + TRIALS) / ((A + B) ** 2 * (A + B + 1)))
PREDICTIVE_BELOW = sum(beta_binomial_pmf(k) for k in range(K_OBSERVED + 1))  # P(draw <= 18)

SEEDS = range(1, 9)
PARTICLES = 2000


def binomial_targets(tmp):
    return write(os.path.join(tmp, "binomial-targets.toml"),
                 f"[[target]]\nkpi = \"successes\"\nvalue = {K_OBSERVED}\nscale = 1\n")


# ---- a. The known posterior

def known_posterior(tmp):
    """Returns the files and JSON objects of the seeds, for the checks of the file's contents."""
    targets = binomial_targets(tmp)
    results, files = [], []
    started = time.time()
    for seed in SEEDS:
        output = os.path.join(tmp, f"binomial-{seed}.h5")
        r = calibrate("--model", "binomial", "--targets", targets, "--final-tolerance", "0",
                      "--particles", str(PARTICLES), "--threads", "2", "--seed", str(seed),
                      "-o", output, "--json", "-q")
        check(r.returncode == 0, f"binomial seed {seed}: {r.stderr}")
        if r.returncode != 0:
            return [], []
        results.append(json.loads(r.stdout))
        files.append(output)
    print(f"known posterior: {len(SEEDS)} seeds x {PARTICLES} particles in "
          f"{time.time() - started:.1f} s", file=sys.stderr)
    for j in results:
        check(j["accepted"] == PARTICLES and j["tolerance"] == 0,
              f"exact matching reached: {j['accepted']}, {j['tolerance']}")
    for statistic in STATISTICS:
        t_check([j["parameters"]["p"][statistic] for j in results], EXACT[statistic],
                f"posterior {statistic} of p (Beta(19, 33))")

    # The predictive distribution from each file's draws: Beta-binomial(50, 19, 33).
    means, sds, below = [], [], []
    for path in files:
        with h5py.File(path) as f:
            draws = f["predictive/draws"][:, 0]
            check(len(draws) == PARTICLES, f"one predictive draw per particle: {len(draws)}")
            check(np.all((draws >= 0) & (draws <= TRIALS) & (draws == np.floor(draws))),
                  "predictive draws are counts of successes")
            means.append(draws.mean())
            sds.append(draws.std())
            below.append(np.mean(draws <= K_OBSERVED))
            check(abs(f["predictive/share_below"][0] - below[-1]) < 1e-12,
                  f"share_below is P(draw <= 18): {f['predictive/share_below'][0]} vs {below[-1]}")
    t_check(means, PREDICTIVE_MEAN, "predictive mean (Beta-binomial: 50 x 19 / 52)")
    t_check(sds, PREDICTIVE_SD, "predictive sd")
    t_check(below, PREDICTIVE_BELOW, "predictive P(successes <= 18)")

    # The weights matter: the same statistics of the last generations without their weights
    # (draws from the proposal times the likelihood, narrower than the posterior) must fail the
    # same test, or the test could not tell a run that ignored them.
    unweighted = {s: [] for s in STATISTICS}
    for path in files:
        with h5py.File(path) as f:
            last = f["generations"][str(len(f["generations/tolerance"]) - 1)]
            x = last["parameters"][:, 0]
            for s, v in weighted_statistics(x, np.ones_like(x)).items():
                unweighted[s].append(v)
    rejected = []
    for s in ("sd", "q05", "q95"):
        values = np.asarray(unweighted[s])
        t = (values.mean() - EXACT[s]) / (values.std(ddof=1) / math.sqrt(len(values)))
        if abs(t) >= 7.885:
            rejected.append(f"{s} (t = {t:.1f})")
    print(f"unweighted last generations rejected on: {', '.join(rejected) or 'nothing'}",
          file=sys.stderr)
    check(rejected, "the test has power: unweighted populations would fail it")
    return files, results


# ---- f. The file's contents

def file_contents(path, expect_replications, label):
    with h5py.File(path) as f:
        check(text_of(f.attrs["schema"]) == "essaim-calibration", f"{label}: schema")
        manifest = f["manifest"].attrs
        r = int(manifest["replications"])
        n = int(manifest["particles"])
        check(r == expect_replications, f"{label}: replications {r}")
        names = [text_of(x) for x in f["space/names"][:]]
        tolerance = f["generations/tolerance"][:]
        proposals = f["generations/proposals"][:]
        simulations = f["generations/simulations"][:]
        rate = f["generations/acceptance_rate"][:]
        ess = f["generations/effective_sample_size"][:]
        count = len(tolerance)
        check(count >= 2, f"{label}: {count} generations")
        check(math.isinf(tolerance[0]) and np.all(np.diff(tolerance) < 0),
              f"{label}: tolerances decrease from infinity: {tolerance}")
        check(proposals[0] == n and np.all(proposals >= n), f"{label}: proposals {proposals}")
        check(np.array_equal(simulations, proposals * r), f"{label}: simulations = proposals x R")
        check(np.allclose(rate, n / proposals, rtol=1e-12), f"{label}: acceptance rates")
        check(int(manifest["simulations"]) == int(simulations.sum()),
              f"{label}: manifest simulations {manifest['simulations']} vs {simulations.sum()}")
        values = f["targets/values"][:]
        scales = f["targets/scales"][:]
        s = len(values)
        check(len(f["targets/names"]) == s and len(f["targets/kpis"]) == s
              and len(f["targets/dates"]) == s, f"{label}: /targets lengths")
        groups = sorted(int(g) for g in f["generations"] if g.isdigit())
        check(groups == list(range(count)), f"{label}: generation groups {groups}")
        for g in range(count):
            gen = f["generations"][str(g)]
            w = gen["weights"][:]
            x = gen["parameters"][:]
            u = gen["unit"][:]
            d = gen["distances"][:]
            sim = gen["simulated"][:]
            ok_shapes = (w.shape == (n,) and x.shape == (n, len(names)) and u.shape == x.shape
                         and d.shape == (n, r) and sim.shape == (n, r, s))
            check(ok_shapes, f"{label} generation {g}: shapes {w.shape} {x.shape} {d.shape} "
                             f"{sim.shape}")
            if not ok_shapes:
                continue
            check(abs(w.sum() - 1) < 1e-12 and np.all(w > 0),
                  f"{label} generation {g}: weights sum to {w.sum()}")
            check(abs(ess[g] - 1 / np.sum(w ** 2)) < 1e-6 * ess[g],
                  f"{label} generation {g}: ESS {ess[g]} vs {1 / np.sum(w ** 2)}")
            check(np.all((u > 0) & (u < 1)), f"{label} generation {g}: unit values in (0, 1)")
            check(gen.attrs["tolerance"] == tolerance[g], f"{label} generation {g}: tolerance")
            # Distances recomputed from the simulated figures; every particle has at least one
            # replication within the tolerance.
            z = (sim - values) / scales
            recomputed = np.sqrt(np.sum(z ** 2, axis=2))
            recomputed[~np.all(np.isfinite(sim), axis=2)] = np.inf
            check(np.allclose(d, recomputed, rtol=1e-12, atol=0) or np.array_equal(d, recomputed),
                  f"{label} generation {g}: distances = sqrt(sum ((sim - value) / scale)^2)")
            within = d <= tolerance[g]
            check(np.all(within.any(axis=1)),
                  f"{label} generation {g}: {np.sum(~within.any(axis=1))} particles with no "
                  f"replication within {tolerance[g]}")
        # The schedule: each tolerance is the weighted --quantile of the previous generation's
        # distances within its tolerance (a particle's weight shared by its replications there),
        # never below --final-tolerance; when that would not shrink it (discrete distances),
        # the largest distance below it.
        quantile, final = float(manifest["quantile"]), float(manifest["final_tolerance"])
        for g in range(count - 1):
            gen = f["generations"][str(g)]
            d = gen["distances"][:]
            keep = np.isfinite(d) & (d <= tolerance[g])
            # A particle's weight is shared by its replications within the tolerance.
            w = np.repeat(gen["weights"][:], r).reshape(d.shape) / np.maximum(keep.sum(axis=1), 1)[:, None]
            expected = weighted_quantile(d[keep], w[keep], quantile)
            if final >= 0:
                expected = max(expected, final)
            if not expected < tolerance[g]:
                below = d[keep][d[keep] < tolerance[g]]
                expected = max(below.max(), final) if final >= 0 else below.max()
            check(tolerance[g + 1] == expected,
                  f"{label}: tolerance {g + 1} = {tolerance[g + 1]}, the schedule gives {expected}")
        # The posterior: the weighted statistics of the last generation.
        last = f["generations"][str(count - 1)]
        x, w = last["parameters"][:], last["weights"][:]
        summary = f["posterior/summary"][:]
        check(summary.shape == (len(names), 5), f"{label}: posterior summary shape")
        for i, name in enumerate(names):
            expected = weighted_statistics(x[:, i], w)
            for j, stat in enumerate(STATISTICS):
                close = abs(summary[i, j] - expected[stat]) <= 1e-12 * max(1, abs(expected[stat]))
                check(close, f"{label}: posterior {stat} of {name}: file {summary[i, j]} vs "
                             f"recomputed {expected[stat]}")
        check(f["posterior"].attrs["tolerance"] == tolerance[-1]
              and int(f["posterior"].attrs["accepted"]) == n, f"{label}: posterior attributes")
        # The predictive summary: plain statistics of the defined draws.
        draws = f["predictive/draws"][:]
        psummary = f["predictive/summary"][:]
        for t in range(s):
            defined = draws[:, t][np.isfinite(draws[:, t])]
            expected = weighted_statistics(defined, np.ones_like(defined))
            for j, stat in enumerate(STATISTICS):
                check(abs(psummary[t, j] - expected[stat]) <= 1e-9 * max(1, abs(expected[stat])),
                      f"{label}: predictive {stat} of target {t}")
            check(abs(f["predictive/share_below"][t] - np.mean(defined <= values[t])) < 1e-12,
                  f"{label}: share_below of target {t}")
        missing = []
        f.visititems(lambda name, obj: missing.append(name)
                     if isinstance(obj, h5py.Dataset) and not name.startswith("manifest")
                     and "dimensions" not in obj.attrs and obj.ndim > 1 else None)
        check(not missing, f"{label}: every array has its dimensions: {missing}")
    return names


def json_matches_file(j, path, label):
    with h5py.File(path) as f:
        names = [text_of(x) for x in f["space/names"][:]]
        summary = f["posterior/summary"][:]
        tolerance = f["generations/tolerance"][-1]
        same = list(j["parameters"]) == names and all(
            j["parameters"][name][stat] == summary[i, k]
            for i, name in enumerate(names) for k, stat in enumerate(STATISTICS))
        check(same, f"{label}: JSON and file agree")
        check(j["tolerance"] == tolerance, f"{label}: JSON tolerance {j['tolerance']} vs {tolerance}")


def export(path, tmp):
    """essaim export --csv: the posterior table holds the file's summary."""
    directory = os.path.join(tmp, "csv")
    r = essaim("export", path, "--csv", directory, "-q")
    check(r.returncode == 0, f"export of a calibration file: {r.stderr}")
    if r.returncode != 0:
        return
    with open(os.path.join(directory, "posterior.csv"), encoding="utf-8") as f:
        rows = [line.strip().split(",") for line in f][1:]
    with h5py.File(path) as f:
        summary = f["posterior/summary"][:]
    check(len(rows) == 5 and all(
        row[0] == "p" and row[1] == stat and float(row[2]) == summary[0, k]
        for k, (row, stat) in enumerate(zip(rows, STATISTICS))), f"posterior.csv: {rows}")


def causal_cut(tmp):
    """What `at` rests on: a run cut at a date (scenario.end) is the long run's history up to
    that date, day for day (experiment/model.hpp, end_key)."""
    full, cut = os.path.join(tmp, "full-run.h5"), os.path.join(tmp, "cut-run.h5")
    for path, extra in [(full, []), (cut, ["--set", "scenario.end=2020-12-31"])]:
        r = essaim("run", DOCKING, "--replication", "11", "-o", path, "-q", *extra)
        check(r.returncode == 0, f"run for the cut check: {r.stderr}")
        if r.returncode != 0:
            return
    with h5py.File(full) as f, h5py.File(cut) as g:
        a, b = f["series/daily"][:], g["series/daily"][:]
        check(b.shape[0] == 550 and np.array_equal(a[: b.shape[0]], b),
              f"a run cut at 2020-12-31 is the long run's first {b.shape[0]} days")


# ---- b. Recovery on the docking scenario

TRUE = {"h0_job": ("hazards.h0_job", 0.026, 0.015, 0.045),
        "outreach_per_coach": ("outreach.per_coach_per_day", 0.10, 0.05, 0.20)}
MID = "2020-12-31"


def docking_space(tmp):
    text = "".join(f"[[parameter]]\nname = \"{name}\"\nmin = {lo}\nmax = {hi}\n\n"
                   for name, (_, _, lo, hi) in TRUE.items())
    return write(os.path.join(tmp, "docking-space.toml"), text)


def observe(replication, *extra):
    sets = [a for _, (key, value, _, _) in TRUE.items() for a in ("--set", f"{key}={value}")]
    r = essaim("run", DOCKING, "--json", "--no-output", "--replication", str(replication), *sets,
               *extra)
    check(r.returncode == 0, f"observation run {replication}: {r.stderr}")
    return json.loads(r.stdout)["total"]


def recovery(tmp):
    space = docking_space(tmp)
    covered = {name: 0 for name in TRUE}
    width = {name: [] for name in TRUE}
    started = time.time()
    for seed in range(1, 9):
        # Observations from replications far from the calibration's own unit ids.
        replication = 7_000_000 + seed
        full = observe(replication)
        mid = observe(replication, "--set", f"scenario.end={MID}")
        # Scales: about one sd of each figure between replications at the true values.
        targets = write(os.path.join(tmp, f"recovery-targets-{seed}.toml"), f"""
[[target]]
kpi = "entries"
value = {full["entries"]}
scale = 13

[[target]]
kpi = "job_starts"
value = {full["job_starts"]}
scale = 26

[[target]]
kpi = "mean_days_to_first_job"
value = {full["mean_days_to_first_job"]!r}
scale = 3.5

[[target]]
name = "entries by the end of 2020"
kpi = "entries"
at = {MID}
value = {mid["entries"]}
scale = 10
""")
        r = calibrate(DOCKING, "--space", space, "--targets", targets, "--particles", "200",
                      "--max-simulations", "5000", "--threads", "2", "--seed", str(seed),
                      "--json", "-q", "--no-output")
        check(r.returncode == 0, f"recovery seed {seed}: {r.stderr}")
        if r.returncode != 0:
            return
        j = json.loads(r.stdout)
        line = []
        for name, (_, truth, lo, hi) in TRUE.items():
            p = j["parameters"][name]
            covered[name] += p["q05"] <= truth <= p["q95"]
            width[name].append((p["q95"] - p["q05"]) / (hi - lo))
            line.append(f"{name} [{p['q05']:.4f}, {p['q95']:.4f}]")
        print(f"recovery seed {seed}: {'; '.join(line)}", file=sys.stderr)
    print(f"recovery: 8 calibrations in {time.time() - started:.1f} s", file=sys.stderr)
    for name, (_, truth, _, _) in TRUE.items():
        check(covered[name] >= 5,
              f"recovery: the 90 % interval of {name} covers {truth} in {covered[name]} of 8 seeds")
        # Informative: a calibration that returned its prior would cover every time.
        check(np.mean(width[name]) < 0.5,
              f"recovery: 90 % intervals of {name} narrower than half the prior: "
              f"{np.round(width[name], 3).tolist()}")


# ---- c. Determinism: threads and MPI ranks

def docking_targets(tmp):
    """Targets with an `at` date, a date range shared by two targets, a territory and a ratio."""
    return write(os.path.join(tmp, "docking-targets.toml"), """
[[target]]
kpi = "entries"
value = 421
scale = 13

[[target]]
name = "job starts per entry, late 2020"
ratio = ["job_starts", "entries"]
from = 2020-09-01
to = 2020-12-31
value = 0.9
scale = 0.1

[[target]]
name = "entries, late 2020"
kpi = "entries"
from = 2020-09-01
to = 2020-12-31
value = 120
scale = 15

[[target]]
name = "Alpha entries mid"
kpi = "territory.Alpha.entries"
at = 2020-12-31
value = 100
scale = 10
""")


def determinism(tmp, docking_args):
    binomial = ["--model", "binomial", "--targets", binomial_targets(tmp), "--particles", "500",
                "--final-tolerance", "0", "--seed", "5", "-r", "2", "--json", "-q"]
    cases = {"binomial": binomial, "docking": docking_args}
    files = {}
    for kind, args in cases.items():
        outputs, jsons = {}, {}
        for threads in ("1", "2"):
            outputs[threads] = os.path.join(tmp, f"{kind}-threads{threads}.h5")
            r = calibrate(*args, "--threads", threads, "-o", outputs[threads])
            check(r.returncode == 0, f"{kind} --threads {threads}: {r.stderr}")
            jsons[threads] = r.stdout
        check(jsons["1"] == jsons["2"] and jsons["1"].strip(),
              f"{kind}: the same JSON with 1 and 2 threads")
        problems = differences(outputs["1"], outputs["2"])
        check(not problems, f"{kind}: the same datasets with 1 and 2 threads: {problems[:5]}")
        files[kind] = outputs["1"]
        if shutil.which("mpirun") is None:
            print(f"{kind}: mpirun not found, MPI check skipped", file=sys.stderr)
            continue
        # Open MPI's own allocations, never freed by design, read as leaks under the sanitizers
        # (scripts/test.sh leaves the MPI tests out of that suite for the same reason).
        if os.environ.get("ESSAIM_SANITIZE") == "1":
            print(f"{kind}: under the sanitizers, MPI check skipped", file=sys.stderr)
            continue
        ranks = os.path.join(tmp, f"{kind}-mpi.h5")
        r = subprocess.run([*MPIRUN, BINARY, "calibrate", *args, "--threads", "1", "-o", ranks],
                           capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"{kind} under mpirun: {r.stderr[-500:]}")
        check(r.stdout == jsons["1"], f"{kind}: mpirun -np 2 prints the JSON of one process "
                                      f"(once): {r.stdout[:300]!r}")
        problems = differences(outputs["1"], ranks)
        check(not problems, f"{kind}: 2 ranks give one process's datasets: {problems[:5]}")
    return files


# ---- d. Resume

def wait_for(path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline and not os.path.exists(path):
        time.sleep(0.01)
    return os.path.exists(path)


def store_units(path, tmp):
    """Units in a store (SQLite in WAL mode), read from a copy so that the store itself is left
    as the killed process left it; -1 if the copy cannot be read."""
    import sqlite3
    copy = os.path.join(tmp, "store-copy.units")
    for suffix in ("", "-wal"):
        if os.path.exists(copy + suffix):
            os.remove(copy + suffix)
        if os.path.exists(path + suffix):
            shutil.copy(path + suffix, copy + suffix)
    try:
        with sqlite3.connect(copy) as db:
            return db.execute("select count(*) from units").fetchone()[0]
    except sqlite3.Error:
        return -1


def resume(tmp, space, targets):
    args = ["calibrate", DOCKING, "--space", space, "--targets", targets, "--particles", "150",
            "--max-simulations", "3000", "--threads", "2", "--seed", "21", "-q"]
    reference = os.path.join(tmp, "resume-reference.h5")
    started = time.time()
    r = essaim(*args, "-o", reference)
    duration = time.time() - started
    check(r.returncode == 0, f"uninterrupted calibration: {r.stderr}")
    generator = random.Random(20261201)
    resumed = 0
    for attempt in range(2):
        output = os.path.join(tmp, f"killed{attempt}.h5")
        process = subprocess.Popen([BINARY, *args, "-o", output], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        wait_for(output + ".units")
        time.sleep(generator.uniform(0.1, 0.8) * duration)
        process.send_signal(signal.SIGKILL)
        process.wait()
        if os.path.exists(output):  # finished before the kill: nothing to resume
            continue
        units = store_units(output + ".units", tmp)
        check(units != 0, f"killed after some units were stored: {units}")
        r = essaim(*args, "-o", output)
        check(r.returncode == 2 and "--resume" in r.stderr and not os.path.exists(output),
              f"a left store is not overwritten without --resume: {r.returncode} {r.stderr}")
        r = essaim(*args, "-o", output, "--seed", "22", "--resume")
        check(r.returncode == 2 and "seed" in r.stderr and not os.path.exists(output),
              f"a store of another calibration (seed) is refused: {r.returncode} {r.stderr}")
        r = essaim(*args, "-o", output, "--resume")
        check(r.returncode == 0, f"resume {attempt} ({units} units stored): {r.stderr}")
        problems = differences(reference, output)
        check(not problems, f"resumed file {attempt} ({units} units stored) equals the "
                            f"uninterrupted one: {problems[:5]}")
        check(not os.path.exists(output + ".units"), "the store is removed once the file exists")
        resumed += 1
    check(resumed >= 1, "at least one calibration was killed before it finished")
    # SIGTERM: the store is kept and the message says how to continue.
    output = os.path.join(tmp, "terminated.h5")
    process = subprocess.Popen([BINARY, *args, "-o", output], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    wait_for(output + ".units")
    time.sleep(0.3 * duration)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    if process.returncode == 0:
        print("SIGTERM arrived after the calibration finished: not checked", file=sys.stderr)
        return
    check(process.returncode == 143 and "--resume" in stderr and os.path.exists(output + ".units")
          and not os.path.exists(output),
          f"SIGTERM keeps the store and says --resume ({process.returncode}): {stderr}")
    r = essaim(*args, "-o", output, "--resume")
    check(r.returncode == 0, f"resume after SIGTERM: {r.stderr}")
    check(not differences(reference, output), "resumed after SIGTERM equals the reference")


# ---- e. Errors and the command line

def errors(tmp):
    targets = binomial_targets(tmp)
    space = docking_space(tmp)
    output = os.path.join(tmp, "error.h5")

    def refused(args, wanted, label):
        r = calibrate(*args, "-o", output)
        check(r.returncode == 2, f"{label}: exit {r.returncode} (2 expected): {r.stderr}")
        for part in wanted:
            check(part in r.stderr, f"{label}: {part!r} not in {r.stderr!r}")
        check(r.stdout == "", f"{label}: nothing on stdout: {r.stdout!r}")
        check(not os.path.exists(output) and not os.path.exists(output + ".units"),
              f"{label}: no file and no store left")

    def targets_file(name, text):
        return write(os.path.join(tmp, name), text)

    binomial = ["--model", "binomial"]
    refused([*binomial], ["missing --targets"], "no --targets")
    refused([*binomial, "--targets", os.path.join(tmp, "absent.toml")], ["absent.toml"],
            "missing targets file")
    bad = targets_file("bad-key.toml", "[[target]]\nkpi = \"successes\"\nvalue = 18\n"
                                       "scael = 1\n")
    refused([*binomial, "--targets", bad],
            ["bad-key.toml:4:1: target.0.scael: unknown key, did you mean 'scale'?"],
            "unknown target key")
    bad = targets_file("no-scale.toml", "[[target]]\nkpi = \"successes\"\nvalue = 18\n")
    refused([*binomial, "--targets", bad], ["no-scale.toml:1:1: target.0.scale: missing"],
            "missing scale")
    bad = targets_file("zero-scale.toml",
                       "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 0\n")
    refused([*binomial, "--targets", bad], ["zero-scale.toml:4:9: target.0.scale: expected a "
                                            "scale > 0"], "scale 0")
    bad = targets_file("dup.toml", "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 1\n"
                                   "[[target]]\nkpi = \"successes\"\nvalue = 19\nscale = 1\n")
    refused([*binomial, "--targets", bad], ["dup.toml:5:1: target.1.name: 'successes' is already "
                                            "target 0"], "duplicate names")
    bad = targets_file("both-dates.toml",
                       "[[target]]\nkpi = \"entries\"\nvalue = 1\nscale = 1\nat = 2020-01-01\n"
                       "from = 2020-01-01\nto = 2020-02-01\n")
    refused([DOCKING, "--space", space, "--targets", bad],
            ["both-dates.toml:5:6: target.0.at: give either at or from/to"], "at and from/to")
    bad = targets_file("typo-kpi.toml", "[[target]]\nkpi = \"sucesses\"\nvalue = 18\nscale = 1\n")
    refused([*binomial, "--targets", bad],
            ["typo-kpi.toml:", "no KPI 'sucesses', did you mean 'successes'?"], "unknown KPI")
    bad = targets_file("typo-territory.toml",
                       "[[target]]\nkpi = \"territory.Alfa.entries\"\nvalue = 1\nscale = 1\n")
    refused([DOCKING, "--space", space, "--targets", bad],
            ["typo-territory.toml:", "no territory 'Alfa'", "did you mean 'Alpha'?"],
            "unknown territory")
    bad = targets_file("dated.toml", "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 1\n"
                                     "at = 2020-01-01\n")
    refused([*binomial, "--targets", bad], ["dated.toml:", "the binomial model has no dates"],
            "a date on a model without dates")
    bad = targets_file("late.toml", "[[target]]\nkpi = \"entries\"\nvalue = 1\nscale = 1\n"
                                    "from = 2022-01-01\nto = 2022-07-01\n")
    refused([DOCKING, "--space", space, "--targets", bad],
            ["late.toml:", "expected dates within the scenario's run, 2019-07-01 to 2022-06-30"],
            "a date after the scenario's end")
    for option, wanted in [(["--shard", "1/2"], "--shard"),
                           (["--final-tolerance", "-1"], "--final-tolerance"),
                           (["--particles", "1"], "--particles"),
                           (["--particles", "0"], "--particles"),
                           (["--quantile", "1.5"], "--quantile"),
                           (["--quantile", "0"], "--quantile"),
                           (["--min-acceptance", "0"], "--min-acceptance"),
                           (["-r", "0"], "--replications"),
                           (["--threads", "0"], "--threads"),
                           (["--max-generations", "0"], "--max-generations"),
                           (["--particles", "100", "--max-simulations", "99"], "--max-simulations"),
                           (["--particles", "100", "-r", "2", "--max-simulations", "150"],
                            "--max-simulations"),
                           (["--engine", "warp"], "--engine"),
                           (["--params", "q"], "did you mean 'p'?"),
                           (["--params", "p", "--space", space], "not both")]:
        refused([*binomial, "--targets", targets, *option], [wanted], " ".join(option))
    refused([DOCKING, "--targets", targets], ["--space"], "dest1 needs a space")
    refused([*binomial, "--targets", targets, "--max-generations", "99999999999"],
            ["--max-generations"], "--max-generations beyond the unit ids")
    # A target that no run can compute (0 / 0 whenever p is 0): found by running, still bad
    # input, located at that target.
    bad = targets_file("undefined.toml", "[[target]]\nkpi = \"successes\"\nvalue = 0\n"
                                         "scale = 1\n\n[[target]]\nname = \"share\"\n"
                                         "kpi = \"successes / successes\"\nvalue = 1\nscale = 1\n")
    zero = write(os.path.join(tmp, "zero-space.toml"),
                 "[[parameter]]\nname = \"p\"\nmin = 0\nmax = 1e-12\n")
    undefined_out = os.path.join(tmp, "undefined.h5")
    r = calibrate(*binomial, "--targets", bad, "--space", zero, "--particles", "20", "-q",
                  "-o", undefined_out)
    check(r.returncode == 2 and "undefined.toml:8:7: target.1.kpi: no run drawn from the prior "
          "gave target 'share' a value" in r.stderr, f"a target no run computes: {r.returncode} {r.stderr}")
    check(not os.path.exists(undefined_out) and not os.path.exists(undefined_out + ".units"),
          "no file and no store left behind by targets that no run computes")
    # The targets file is an input: never overwritten by the output.
    r = calibrate(*binomial, "--targets", targets, "--particles", "20", "-o", targets, "-q")
    check(r.returncode == 2 and os.path.getsize(targets) > 0, f"-o TARGETS refused: {r.stderr}")

    r = calibrate("--help")
    check(r.returncode == 0 and "Usage: essaim calibrate" in r.stdout and "--targets" in r.stdout
          and "--final-tolerance" in r.stdout, f"--help: {r.returncode} {r.stderr}")

    # --json: exactly one JSON object with exactly the documented keys.
    r = calibrate(*binomial, "--targets", targets, "--particles", "50", "--final-tolerance", "2",
                  "--json", "--no-output", "-q")
    check(r.returncode == 0 and r.stdout.count("\n") == 1, f"--json: one line: {r.stdout!r}")
    j = json.loads(r.stdout)
    check(isinstance(j, dict) and list(j) == ["parameters", "accepted", "tolerance"],
          f"JSON keys: {list(j)}")
    check(list(j["parameters"]) == ["p"], f"the binomial model's space is p alone: {j}")
    check(list(j["parameters"]["p"]) == STATISTICS, f"statistics: {list(j['parameters']['p'])}")
    check(j["accepted"] == 50 and isinstance(j["accepted"], int), f"accepted: {j['accepted']}")
    check(isinstance(j["tolerance"], (int, float)) and 0 <= j["tolerance"] <= 2,
          f"tolerance: {j['tolerance']}")
    p = j["parameters"]["p"]
    check(0 <= p["q05"] <= p["q50"] <= p["q95"] <= 1 and p["sd"] > 0,
          f"ordered quantiles inside the prior: {p}")
    # Without --json: the tables, the posterior and the predictive check.
    r = calibrate(*binomial, "--targets", targets, "--particles", "50", "--final-tolerance", "2",
                  "--no-output", "-q")
    check(r.returncode == 0 and "Posterior" in r.stdout and "predictive" in r.stdout
          and "stopped: the final tolerance was reached" in r.stdout, f"text output: {r.stdout}")


def predictive_option(tmp):
    targets = binomial_targets(tmp)
    output = os.path.join(tmp, "predictive.h5")
    r = calibrate("--model", "binomial", "--targets", targets, "--particles", "40",
                  "--final-tolerance", "3", "--predictive", "123", "-o", output, "-q")
    check(r.returncode == 0, f"--predictive 123: {r.stderr}")
    with h5py.File(output) as f:
        check(f["predictive/draws"].shape == (123, 1), f"--predictive draws: "
                                                       f"{f['predictive/draws'].shape}")
        check(f["generations/0/parameters"].shape == (40, 1), "40 particles")


def budget(tmp):
    """--max-simulations and --max-generations stop the sequence, and the file says why."""
    targets = binomial_targets(tmp)
    output = os.path.join(tmp, "budget.h5")
    r = calibrate("--model", "binomial", "--targets", targets, "--particles", "100",
                  "--final-tolerance", "0", "--max-simulations", "400", "-o", output, "-q")
    check(r.returncode == 0, f"--max-simulations 400: {r.stderr}")
    with h5py.File(output) as f:
        simulations = f["generations/simulations"][:]
        check(simulations.sum() <= 400, f"runs kept within the budget: {simulations}")
        check("--max-simulations" in text_of(f["manifest"].attrs["stopped"]),
              f"stopped: {f['manifest'].attrs['stopped']}")
    r = calibrate("--model", "binomial", "--targets", targets, "--particles", "100",
                  "--final-tolerance", "0", "--max-generations", "2", "-o", output, "-q")
    with h5py.File(output) as f:
        check(len(f["generations/tolerance"]) == 2, "--max-generations 2: two generations")
        check("--max-generations" in text_of(f["manifest"].attrs["stopped"]),
              f"stopped: {f['manifest'].attrs['stopped']}")


def main():
    started = time.time()
    # Under the sanitizers (scripts/test.sh with ESSAIM_SANITIZE=1, several times slower) the runs
    # check memory and undefined behaviour, not distributions: the statistical checks (known
    # posterior, recovery) run in the Release suite only.
    statistical = os.environ.get("ESSAIM_SANITIZE") != "1"
    with tempfile.TemporaryDirectory(prefix="essaim-calibrate-") as tmp:
        files, results = known_posterior(tmp) if statistical else ([], [])
        if files:
            names = file_contents(files[0], 1, "binomial file")
            check(names == ["p"], f"binomial space names: {names}")
            json_matches_file(results[0], files[0], "binomial")
            export(files[0], tmp)
        causal_cut(tmp)
        t = time.time()
        if statistical:
            recovery(tmp)
        print(f"recovery: {time.time() - t:.1f} s", file=sys.stderr)
        space, targets = docking_space(tmp), docking_targets(tmp)
        docking = [DOCKING, "--space", space, "--targets", targets, "--particles", "100", "-r",
                   "2", "--max-simulations", "1500", "--seed", "3", "--json", "-q"]
        t = time.time()
        outputs = determinism(tmp, docking)
        print(f"determinism: {time.time() - t:.1f} s", file=sys.stderr)
        if "docking" in outputs:
            file_contents(outputs["docking"], 2, "docking file")
        t = time.time()
        resume(tmp, space, targets)
        print(f"resume: {time.time() - t:.1f} s", file=sys.stderr)
        errors(tmp)
        predictive_option(tmp)
        budget(tmp)
    print(f"test_calibrate: {time.time() - started:.1f} s", file=sys.stderr)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
