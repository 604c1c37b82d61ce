#!/usr/bin/python3
"""The README's main job, piece by piece (scripts/run-dest1.sh runs these after setting up):
run scenarios/dest1.toml, write the HDF5 file and the summary, make the report; dest1.toml
meets the figures it was calibrated to, and the calibration runs from the repository's files.

Usage: test_main_job.py <essaim-binary> <repo-dir>
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py

from e2e import BINARY, REPO, check, finish

TERRITORIES = ["Lille", "Roubaix", "Tourcoing", "Douai", "Douchy-les-Mines", "Carvin", "Aniche",
               "Béthune-Bruay", "Lens-Liévin", "Maubeuge", "Charleville-Mézières", "Sedan"]


def main():
    with tempfile.TemporaryDirectory(prefix="essaim-main-") as tmp:
        out = os.path.join(tmp, "dest1.h5")
        r = subprocess.run([BINARY, "run", os.path.join(REPO, "scenarios", "dest1.toml"), "-o", out],
                           capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"dest1 runs: {r.stderr}")
        lines = r.stdout.splitlines()
        check(all(any(line.startswith(t) for line in lines) for t in TERRITORIES), "a summary row per territory")
        check(any(line.startswith("total") for line in lines), "a total row")
        with h5py.File(out, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f["territories/name"][()]]
            opens = [n.decode() if isinstance(n, bytes) else n for n in f["territories/open_date"][()]]
            check(names == TERRITORIES, "the 12 real territories, in order")
            check(opens.count("2019-07-01") == 7 and opens.count("2021-01-01") == 5, "7 from mid-2019, 5 from 2021")
            check(f["series/daily"].shape[0] == 1645, "2019-07-01 .. 2023-12-31")
            crises = f["manifest"].attrs["scenario_text"]
            check(all(d in crises for d in ("2020-03-17", "2020-10-30", "2021-04-03")), "the three lockdowns")
        report = os.path.join(tmp, "dest1.html")
        r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "analysis", "report.py"), out, "-o", report,
                            "--quiet"], capture_output=True, text=True, timeout=600)
        check(r.returncode == 0 and os.path.getsize(report) > 10000, f"report written: {r.stderr}")
        html = open(report, encoding="utf-8").read()
        check("Charleville-Mézières" in html and "data:image/png;base64," in html, "report names territories, has figures")

        # dest1.toml is the calibration's point estimate (docs/CALIBRATION.md): its runs cut at
        # 2020-12-01 meet the two December 2020 figures within their stated scales. 40
        # replications: the standard error of the mean entries is about 3 (sd about 20), of the
        # mean days about 1.5, so a mean more than one scale away (20 entries, 10 days) is far
        # beyond chance (false alarm well under 1e-6) and means dest1.toml no longer fits.
        r = subprocess.run([BINARY, "ensemble", os.path.join(REPO, "scenarios", "dest1.toml"), "-r", "40",
                            "--set", "scenario.end=2020-12-01", "--summary-only", "--no-output", "--json",
                            "--quiet", "--threads", "2"], capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"dest1 cut at 2020-12-01: {r.stderr}")
        k = json.loads(r.stdout)["kpis"]
        check(abs(k["entries"]["mean"] - 400) <= 20, f"about 400 entries by 2020-12-01: {k['entries']['mean']}")
        check(abs(k["mean_days_to_first_job"]["mean"] - 75) <= 10,
              f"about 75 days to a first job: {k['mean_days_to_first_job']['mean']}")

        # The calibration that made it runs from the repository's files (a short one: the full
        # run and its figures are in docs/CALIBRATION.md).
        cal = os.path.join(tmp, "calibration.h5")
        r = subprocess.run([BINARY, "calibrate", os.path.join(REPO, "scenarios", "dest1.toml"),
                            "--space", os.path.join(REPO, "scenarios", "dest1-calibration-space.toml"),
                            "--targets", os.path.join(REPO, "scenarios", "dest1-calibration-targets.toml"),
                            "--particles", "40", "--max-generations", "2", "--threads", "2", "-o", cal,
                            "--json", "--quiet"], capture_output=True, text=True, timeout=900)
        check(r.returncode == 0, f"the Dest1 calibration runs: {r.stderr}")
        with h5py.File(cal, "r") as f:
            targets = [n.decode() if isinstance(n, bytes) else n for n in f["targets/names"][()]]
            check(len(targets) == 5 and f["predictive/draws"].shape == (40, 5),
                  f"five targets and their predictive draws: {targets}")

    return finish()


if __name__ == "__main__":
    sys.exit(main())
