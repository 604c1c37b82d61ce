#!/usr/bin/env python3
"""End-to-end check of the HDF5 run file (schema v1, docs/OUTPUT.md).

Usage: test_hdf5_output.py <essaim-binary> <repo-dir>

Runs the docking scenario once with the agent table and once more with --json, then reads the file
back with h5py and checks its schema, its provenance and invariants that tie the daily series, the
agent table and the KPIs together.
"""
import glob
import hashlib
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SEED = 7
N_DAYS = 1096  # 2019-07-01 .. 2022-06-30, both inclusive
N_TERRITORIES = 3
SERIES = [
    "pool", "waiting", "remob", "employed", "post_employed", "post_unemployed", "identified",
    "admitted", "gave_up", "job_starts", "job_ends", "dropouts", "exits_positive",
    "exits_neutral", "barriers_resolved", "inflow", "followup_ends", "coaches", "capacity",
    "cost", "effective_contacts",
]
KPIS = [
    "identified", "entries", "job_starts", "dropouts", "gave_up", "exits_positive",
    "exits_neutral", "positive_exit_rate", "mean_days_to_first_job", "median_days_to_first_job",
    "share_job_within_90d", "employed_6m_after_exit", "employed_12m_after_exit",
    "mean_waiting_days", "capacity_utilisation", "total_cost", "cost_per_entry",
    "cost_per_positive_exit", "entrants_with_job", "share_entrants_with_job",
]
COUNT_KPIS = ["identified", "entries", "job_starts", "dropouts", "gave_up", "exits_positive",
              "exits_neutral", "entrants_with_job"]
STATES = ["WAITING", "REMOB", "EMPLOYED", "POST_EMPLOYED", "POST_UNEMPLOYED", "DROPPED", "GAVE_UP",
          "DONE"]
BARRIERS = ["mobility", "confidence", "digital", "housing", "health"]
AGENT_COLUMNS = {
    "territory": np.int32, "local_id": np.int32, "duration": np.int8, "diploma": np.int8,
    "barriers_at_identification": np.uint8, "barriers_at_end": np.uint8,
    "identified_day": np.int32, "entry_day": np.int32, "first_job_day": np.int32, "first_job_sector": np.int8,
    "exit_day": np.int32, "end_day": np.int32, "outcome": np.int8, "final_state": np.int8,
    "state_6m": np.int8, "state_12m": np.int8, "employability": np.float32,
}


def run(binary, args, cwd):
    return subprocess.run([binary, "run", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


class Fixture:
    def __init__(self, binary, repo, tmp):
        self.binary, self.repo, self.tmp = binary, repo, tmp
        self.scenario = os.path.join(repo, "scenarios", "docking.toml")
        self.path = os.path.join(tmp, "out.h5")
        first = run(binary, [self.scenario, "-o", self.path, "--seed", str(SEED), "--agents",
                             "--quiet"], tmp)
        if first.returncode != 0:
            sys.exit(f"essaim run failed ({first.returncode}):\n{first.stderr}")
        # Same seed, no agent table: recording agents must not change what happens.
        self.second_path = os.path.join(tmp, "second.h5")
        second = run(binary, [self.scenario, "-o", self.second_path, "--seed", str(SEED),
                              "--json", "--quiet"], tmp)
        if second.returncode != 0:
            sys.exit(f"essaim run --json failed ({second.returncode}):\n{second.stderr}")
        self.json = json.loads(second.stdout)
        self.file = h5py.File(self.path, "r")
        self.second = h5py.File(self.second_path, "r")
        self.daily = self.file["series/daily"]
        self.variables = list(self.daily.attrs["variables"])
        self.values = self.daily[...]
        self.agents = {name: self.file["agents"][name][...] for name in self.file["agents"]}

    def series(self, name):
        """day x territory values of one variable."""
        return self.values[:, :, self.variables.index(name)]

    def kpi_total(self, name):
        return self.file["kpis/total"][list(self.file["kpis/total"].attrs["kpis"]).index(name)]

    def agents_of(self, territory):
        return self.agents["territory"] == territory


def same_double(a, b):
    """Bit-identical, except that any NaN equals any NaN (JSON null)."""
    if b is None:
        return math.isnan(a)
    return np.float64(a).tobytes() == np.float64(b).tobytes()


# ---- schema and provenance

def test_schema(f):
    assert f.file.attrs["schema"] == "essaim-run", f.file.attrs["schema"]
    assert f.file.attrs["schema_version"] == 1, f.file.attrs["schema_version"]
    for group in ["manifest", "territories", "series", "kpis", "agents"]:
        assert group in f.file, f"missing group /{group}"
    assert "agents" not in f.second, "/agents written without --agents"


def test_manifest(f):
    m = f.file["manifest"].attrs
    text = m["scenario_text"]
    assert isinstance(text, str) and "docking-3t" in text, "scenario_text"
    assert m["scenario_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest(), "sha256"
    assert m["schema_version"] == 1
    assert m["model"] == "dest1", m["model"]
    assert m["scenario_name"] == "docking-3t", m["scenario_name"]
    assert os.path.basename(m["scenario_path"]) == "docking.toml", m["scenario_path"]
    assert m["seed"] == SEED, m["seed"]
    assert m["replication"] == 0, m["replication"]
    assert m["threads"] >= 1
    assert m["start_date"] == "2019-07-01" and m["end_date"] == "2022-06-30"
    assert m["n_days"] == N_DAYS, m["n_days"]
    assert m["wall_seconds"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["started_at"]), m["started_at"]
    assert "--seed 7" in m["command_line"], m["command_line"]
    for key in ["essaim_version", "git_commit", "hdf5", "boost", "tbb", "random123"]:
        assert isinstance(m[key], str) and m[key], f"manifest {key}"
    assert m["hdf5"].startswith("1."), m["hdf5"]
    assert m["random123"] == "philox4x64-10"


def test_territories(f):
    t = f.file["territories"]
    names = list(t["name"].asstr()[...])
    assert len(names) == N_TERRITORIES, names
    for key in ["open_date", "open_day", "initial_pool", "inflow_per_day", "caseload",
                "neighbours"]:
        assert t[key].shape == (N_TERRITORIES,), f"/territories/{key} shape {t[key].shape}"
    start = np.datetime64("2019-07-01")
    for date, day in zip(t["open_date"].asstr()[...], t["open_day"][...]):
        assert (np.datetime64(date) - start).astype(int) == day, (date, day)
    assert np.all(t["caseload"][...] > 0)
    assert np.all(t["initial_pool"][...] >= 0)
    for entry in t["neighbours"].asstr()[...]:
        for neighbour in filter(None, entry.split(",")):
            assert neighbour in names, entry


def test_series_shape(f):
    assert f.daily.dtype == np.float64
    assert f.daily.shape == (N_DAYS, N_TERRITORIES, len(f.variables)), f.daily.shape
    assert f.variables == SERIES, f.variables
    for key in ["units", "labels_en", "labels_fr"]:
        assert len(f.daily.attrs[key]) == len(f.variables), key
    assert list(f.daily.attrs["territories"]) == list(f.file["territories/name"].asstr()[...])
    assert f.daily.attrs["dimensions"] == "day,territory,variable"
    assert f.daily.attrs["start_date"] == "2019-07-01"
    assert f.daily.compression == "gzip" and f.daily.shuffle, "series not compressed"
    dates = f.file["series/dates"].asstr()[...]
    assert len(dates) == N_DAYS and dates[0] == "2019-07-01" and dates[-1] == "2022-06-30"


def test_series_non_negative(f):
    assert np.all(np.isfinite(f.values)), "non-finite series value"
    worst = np.unravel_index(np.argmin(f.values), f.values.shape)
    assert f.values.min() >= 0, f"negative value at (day, territory, variable) {worst}"


# ---- flows against the agent table

def test_agent_table(f):
    g = f.file["agents"]
    assert list(g.attrs["state_codes"]) == STATES, list(g.attrs["state_codes"])
    assert list(g.attrs["barrier_bits"]) == BARRIERS, list(g.attrs["barrier_bits"])
    n = len(f.agents["territory"])
    assert n > 0, "empty agent table"
    for name, dtype in AGENT_COLUMNS.items():
        assert name in f.agents, f"missing agent column {name}"
        assert f.agents[name].dtype == dtype, f"{name}: {f.agents[name].dtype}"
        assert len(f.agents[name]) == n, name
    assert set(np.unique(f.agents["territory"])) <= set(range(N_TERRITORIES))
    assert np.all((f.agents["final_state"] >= 0) & (f.agents["final_state"] < len(STATES)))


def test_identified_matches_agents(f):
    identified = f.series("identified")
    for t in range(N_TERRITORIES):
        rows = f.agents_of(t)
        assert identified[:, t].sum() == rows.sum(), (t, identified[:, t].sum(), rows.sum())
        per_day = np.bincount(f.agents["identified_day"][rows], minlength=N_DAYS)
        assert np.array_equal(per_day, identified[:, t]), f"territory {t}: identified per day"


def test_identified_conservation(f):
    for t in range(N_TERRITORIES):
        rows = f.agents_of(t)
        identified = f.series("identified")[:, t].sum()
        admitted = f.series("admitted")[:, t].sum()
        gave_up = f.series("gave_up")[:, t].sum()
        waiting = (f.agents["final_state"][rows] == STATES.index("WAITING")).sum()
        assert identified == admitted + gave_up + waiting, (t, identified, admitted, gave_up,
                                                            waiting)
        assert f.series("waiting")[-1, t] == waiting, (t, f.series("waiting")[-1, t], waiting)
        entries = np.bincount(f.agents["entry_day"][rows & (f.agents["entry_day"] >= 0)],
                              minlength=N_DAYS)
        assert np.array_equal(entries, f.series("admitted")[:, t]), f"territory {t}: entries"


# ---- KPIs

def test_kpis_against_series(f):
    total = f.file["kpis/total"]
    by_territory = f.file["kpis/territories"]
    assert list(total.attrs["kpis"]) == KPIS, list(total.attrs["kpis"])
    assert list(by_territory.attrs["kpis"]) == KPIS
    assert by_territory.shape == (N_TERRITORIES, len(KPIS)), by_territory.shape
    assert len(total.attrs["units"]) == len(KPIS) and len(by_territory.attrs["units"]) == len(KPIS)
    assert f.kpi_total("entries") == f.series("admitted").sum()
    assert f.kpi_total("identified") == f.series("identified").sum()
    per_territory = by_territory[...]
    for k in COUNT_KPIS:
        column = KPIS.index(k)
        assert per_territory[:, column].sum() == f.kpi_total(k), k
    entries = per_territory[:, KPIS.index("entries")]
    assert np.array_equal(entries, f.series("admitted").sum(axis=0)), "entries per territory"


def test_kpis_equal_json(f):
    names = list(f.file["territories/name"].asstr()[...])
    total = f.file["kpis/total"][...]
    assert list(f.json["total"]) == KPIS, list(f.json["total"])
    for k, name in enumerate(KPIS):
        assert same_double(total[k], f.json["total"][name]), (name, total[k], f.json["total"][name])
    by_territory = f.file["kpis/territories"][...]
    assert list(f.json["territories"]) == names, list(f.json["territories"])
    for t, territory in enumerate(names):
        for k, name in enumerate(KPIS):
            expected = f.json["territories"][territory][name]
            assert same_double(by_territory[t, k], expected), (territory, name, expected)


def test_runs_are_reproducible(f):
    other = f.second["series/daily"][...]
    assert other.tobytes() == f.values.tobytes(), "same seed, different daily series"
    assert f.second["kpis/total"][...].tobytes() == f.file["kpis/total"][...].tobytes()
    assert (f.second["manifest"].attrs["scenario_sha256"]
            == f.file["manifest"].attrs["scenario_sha256"])


# ---- failures

def test_bad_output_path(f):
    missing = os.path.join(f.tmp, "no-such-directory", "out.h5")
    result = run(f.binary, [f.scenario, "-o", missing, "--seed", str(SEED), "--quiet"], f.tmp)
    assert result.returncode in (1, 2), (result.returncode, result.stderr)
    assert not os.path.exists(missing), "file written in a missing directory"
    assert not os.path.exists(os.path.dirname(missing)), "missing directory created"
    assert result.stderr.strip(), "no error message"


def test_no_temporary_left(f):
    # Temporaries are hidden (".NAME.RANDOM.tmp"), which glob's "*" does not match.
    leftovers = [p for p in glob.glob(os.path.join(f.tmp, "**", "*"), recursive=True)
                 + glob.glob(os.path.join(f.tmp, "**", ".*"), recursive=True) if ".tmp" in p]
    assert not leftovers, leftovers
    assert sorted(os.listdir(f.tmp)) == ["out.h5", "second.h5"], os.listdir(f.tmp)


TESTS = [
    test_schema, test_manifest, test_territories, test_series_shape, test_series_non_negative,
    test_agent_table, test_identified_matches_agents, test_identified_conservation,
    test_kpis_against_series, test_kpis_equal_json, test_runs_are_reproducible,
    test_bad_output_path, test_no_temporary_left,
]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="essaim-e2e-hdf5-") as tmp:
        fixture = Fixture(binary, repo, tmp)
        try:
            for test in TESTS:
                try:
                    test(fixture)
                    passed += 1
                except Exception as error:  # an assertion or a malformed file: report and go on
                    failed += 1
                    print(f"FAIL {test.__name__}: {type(error).__name__}: {error}")
        finally:
            fixture.file.close()
            fixture.second.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
