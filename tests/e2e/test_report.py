#!/usr/bin/env python3
"""End-to-end check of the HTML run report (analysis/report.py, docs/REPORT.md).

Usage: test_report.py <essaim-binary> <repo-dir>

Runs the docking scenario once, then the report in English and in French, and checks the HTML; then
checks the report's bad-input handling (missing file, HDF5 file that is not an essaim run, wrong
schema version): exit status 2, a message naming the file, and no output file left behind.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import h5py
import numpy as np

SCENARIO_NAME = "docking-3t"
TERRITORIES = ["Alpha", "Beta", "Gamma"]
PNG = "data:image/png;base64,"


class Fixture:
    def __init__(self, binary, repo, tmp):
        self.repo, self.tmp = repo, tmp
        self.script = os.path.join(repo, "analysis", "report.py")
        self.run_file = os.path.join(tmp, "d.h5")
        result = subprocess.run(
            [binary, "run", os.path.join(repo, "scenarios", "docking.toml"), "-o", self.run_file,
             "--quiet"], cwd=tmp, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            sys.exit(f"essaim run failed ({result.returncode}):\n{result.stderr}")
        self.html = {}
        self.results = {}
        for lang in ("en", "fr"):
            out = os.path.join(tmp, f"report_{lang}.html")
            self.results[lang] = self.report(self.run_file, "-o", out, "--lang", lang, "--quiet")
            if os.path.exists(out):
                with open(out, encoding="utf-8") as f:
                    self.html[lang] = f.read()

    def report(self, *args, env=None):
        return subprocess.run([sys.executable, self.script, *args], cwd=self.tmp,
                              capture_output=True, text=True, timeout=300, env=env)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def test_reports_succeed(f):
    for lang, result in f.results.items():
        check(result.returncode == 0,
              f"report --lang {lang} exited {result.returncode}:\n{result.stderr}")
        check(lang in f.html, f"report --lang {lang} wrote no file")
        check(result.stdout == "", f"--quiet printed on stdout: {result.stdout!r}")


def test_scenario_and_territories(f):
    for lang, text in f.html.items():
        check(SCENARIO_NAME in text, f"{lang}: scenario name {SCENARIO_NAME} missing")
        for territory in TERRITORIES:
            check(territory in text, f"{lang}: territory {territory} missing")


def test_embedded_images(f):
    for lang, text in f.html.items():
        images = text.count(PNG)
        check(images >= 4, f"{lang}: {images} embedded PNG images, expected at least 4")
        # Standalone: nothing fetched from elsewhere.
        check(not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", text),
              f"{lang}: the report refers to an external resource")
        check("<link" not in text and "<script src" not in text,
              f"{lang}: the report loads an external stylesheet or script")


def test_languages(f):
    en, fr = f.html["en"], f.html["fr"]
    check('<html lang="en">' in en and '<html lang="fr">' in fr, "html lang attribute")
    check("Key indicators" in en and "Provenance" in en, "en: English headings missing")
    check("Indicateurs clés" in fr and "Graphiques" in fr, "fr: French headings missing")
    check("Key indicators" not in fr, "fr: English heading left in the French report")
    # KPI labels come from the run file, in the chosen language.
    check("positive exit rate" in en and "taux de sortie positive" in fr, "KPI labels")


def test_provenance_and_kpis(f):
    with h5py.File(f.run_file, "r") as run:
        manifest = run["manifest"].attrs
        seed = str(int(manifest["seed"]))
        sha = str(manifest["scenario_sha256"])
        commit = str(manifest["git_commit"])
        kpis = list(run["kpis/total"].attrs["kpis"])
        total = dict(zip(kpis, run["kpis/total"][...]))
    en = f.html["en"]
    check(seed in en, "seed missing from the provenance")
    check(sha[:12] in en, "scenario SHA-256 prefix missing")
    check(commit in en, "git commit missing")
    entries = f"{int(round(total['entries'])):,}"
    check(f">{entries}<" in en, f"total entries {entries} not in the KPI table")
    rate = f"{100 * total['positive_exit_rate']:.1f}%"
    check(rate in en, f"positive exit rate {rate} not in the KPI table")
    cost = f"{int(round(total['total_cost'])):,}"
    check(cost in en, f"total cost {cost} not formatted with thousands separators")
    fr_cost = cost.replace(",", "\u202f")
    check(fr_cost in f.html["fr"], "fr: total cost not formatted with French separators")


def test_missing_input(f):
    out = os.path.join(f.tmp, "missing.html")
    result = f.report(os.path.join(f.tmp, "no-such-run.h5"), "-o", out)
    check(result.returncode == 2, f"missing input: exit {result.returncode}, expected 2")
    check("no-such-run.h5" in result.stderr, f"message does not name the file: {result.stderr}")
    check(not os.path.exists(out), "missing input left an output file")


def test_not_an_essaim_file(f):
    path = os.path.join(f.tmp, "other.h5")
    with h5py.File(path, "w") as h5:
        h5.create_dataset("x", data=np.arange(10.0))
        h5.attrs["schema"] = "something-else"
    out = os.path.join(f.tmp, "other.html")
    result = f.report(path, "-o", out)
    check(result.returncode == 2, f"non-essaim HDF5: exit {result.returncode}, expected 2")
    check("other.h5" in result.stderr and "essaim-run" in result.stderr,
          f"message does not name the file and the expected schema: {result.stderr}")
    check(not os.path.exists(out), "non-essaim HDF5 left an output file")

    bare = os.path.join(f.tmp, "bare.h5")
    with h5py.File(bare, "w") as h5:
        h5.create_group("series")
    result = f.report(bare, "-o", out)
    check(result.returncode == 2, f"HDF5 without attributes: exit {result.returncode}")


def test_not_hdf5(f):
    out = os.path.join(f.tmp, "toml.html")
    result = f.report(os.path.join(f.repo, "scenarios", "docking.toml"), "-o", out)
    check(result.returncode == 2, f"text file: exit {result.returncode}, expected 2")
    check(not os.path.exists(out), "text input left an output file")


def test_wrong_schema_version(f):
    path = os.path.join(f.tmp, "v99.h5")
    with open(f.run_file, "rb") as src, open(path, "wb") as dst:
        dst.write(src.read())
    with h5py.File(path, "r+") as h5:
        h5.attrs["schema_version"] = np.int64(99)
    out = os.path.join(f.tmp, "v99.html")
    result = f.report(path, "-o", out)
    check(result.returncode == 2, f"schema_version 99: exit {result.returncode}, expected 2")
    check("v99.h5" in result.stderr and "99" in result.stderr and "1" in result.stderr,
          f"message does not name the file and the versions: {result.stderr}")
    check(not os.path.exists(out), "wrong schema version left an output file")


def test_existing_report_kept_on_error(f):
    out = os.path.join(f.tmp, "kept.html")
    with open(out, "w") as h:
        h.write("previous")
    result = f.report(os.path.join(f.tmp, "no-such-run.h5"), "-o", out)
    check(result.returncode == 2, f"exit {result.returncode}")
    with open(out) as h:
        check(h.read() == "previous", "a failed report replaced an existing one")


def test_no_temporary_left(f):
    leftovers = [p for p in glob.glob(os.path.join(f.tmp, ".*")) if ".tmp-" in p]
    check(not leftovers, f"temporary files left: {leftovers}")


def test_help_and_unwritable_home(f):
    result = f.report("--help")
    check(result.returncode == 0 and "--lang" in result.stdout, "--help")
    env = dict(os.environ, HOME="/nonexistent-essaim-home")
    env.pop("MPLCONFIGDIR", None)
    out = os.path.join(f.tmp, "nohome.html")
    result = f.report(f.run_file, "-o", out, env=env)
    check(result.returncode == 0, f"HOME not writable: exit {result.returncode}\n{result.stderr}")
    check(os.path.exists(out), "HOME not writable: no report")
    check("nohome.html" in result.stdout, "without --quiet the report names the file written")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, repo = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    tests = [(name, fn) for name, fn in globals().items()
             if name.startswith("test_") and callable(fn)]
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="essaim-report-test-") as tmp:
        fixture = Fixture(binary, repo, tmp)
        for name, fn in tests:
            try:
                fn(fixture)
                passed += 1
                print(f"ok    {name}")
            except Exception as error:  # report every failing check, not only the first
                failed += 1
                print(f"FAIL  {name}: {error}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
