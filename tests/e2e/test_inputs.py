#!/usr/bin/python3
"""End-to-end checks of hostile inputs (issue 7, items 7, 8, 9 and 12): scenario paths and
`extends` targets that are not regular files, oversized files, deep `extends` chains and deep
nesting, NUL characters and invalid UTF-8, and malformed sweep designs. Each must end quickly with
exit 2, a message on stderr that names the file (and line and key when there is one), valid UTF-8
on stderr and stdout (`--json` prints JSON), and no output file.

Usage: test_inputs.py <essaim-binary> <repo-dir>
"""
import json
import os
import subprocess
import sys
import tempfile

from e2e import BINARY, DOCKING, check, finish

TIMEOUT = 60  # seconds: each case takes well under one; a blocked read or a hang fails the check


class Result:
    def __init__(self, returncode, stdout, stderr, utf8):
        self.returncode, self.stdout, self.stderr, self.utf8 = returncode, stdout, stderr, utf8


def run(*args, cwd=None):
    """Runs essaim with str or bytes arguments; a hang becomes exit code None, not an exception.
    Output that is not UTF-8 is kept (undecodable bytes escaped) and flagged in `utf8`."""
    try:
        r = subprocess.run([BINARY, *args], capture_output=True, timeout=TIMEOUT, cwd=cwd)
    except subprocess.TimeoutExpired:
        return Result(None, "", f"(timed out after {TIMEOUT} s)", True)
    utf8 = True
    texts = []
    for data in (r.stdout, r.stderr):
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            utf8 = False
            texts.append(data.decode("utf-8", "backslashreplace"))
    return Result(r.returncode, texts[0], texts[1], utf8)


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def refused(what, r, *fragments):
    """Exit 2, every fragment on stderr, output valid UTF-8."""
    check(r.returncode == 2, f"{what}: exit 2 (got {r.returncode}): {r.stderr.strip()[:300]}")
    for fragment in fragments:
        check(fragment in r.stderr, f"{what}: stderr names {fragment!r}: {r.stderr.strip()[:300]}")
    check(r.utf8, f"{what}: stdout and stderr are valid UTF-8: {r.stderr.strip()[:300]}")


def refused_everywhere(what, tmp, scenario, *fragments, extra=()):
    """`validate`, `validate --json` and `run -o` all refuse; nothing is written."""
    refused(f"{what} (validate)", run("validate", scenario, *extra), *fragments)
    r = run("validate", scenario, "--json", *extra)
    refused(f"{what} (validate --json)", r, *fragments)
    doc = None
    try:
        doc = json.loads(r.stdout)
        check(doc["valid"] is False and doc["error"]["message"],
              f"{what}: validate --json reports the error: {r.stdout.strip()[:300]}")
    except (ValueError, KeyError, TypeError):
        check(False, f"{what}: validate --json prints one JSON object: {r.stdout.strip()[:300]}")
    out = os.path.join(tmp, "out.h5")
    refused(f"{what} (run)", run("run", scenario, "-o", out, *extra), *fragments)
    check(not os.path.exists(out) and not [f for f in os.listdir(tmp) if ".tmp" in f],
          f"{what}: no output file")
    if os.path.exists(out):
        os.remove(out)  # one failure must not fail the next cases' check
    return doc


def main():
    with open(DOCKING, encoding="utf-8") as f:
        docking = f.read()
    with tempfile.TemporaryDirectory(prefix="essaim-inputs-") as tmp:
        not_regular_files(tmp)
        oversized(tmp)
        deep_extends(tmp, docking)
        deep_nesting(tmp, docking)
        strings(tmp, docking)
        designs(tmp)
    return finish()


def not_regular_files(tmp):
    """Item 7: a directory, a device or a FIFO is refused without being read (a FIFO would block
    the opening, /dev/zero never ends)."""
    directory = os.path.join(tmp, "scenario-dir")
    os.mkdir(directory)
    fifo = os.path.join(tmp, "pipe.toml")
    os.mkfifo(fifo)
    for path, kind in ((directory, "a directory"), ("/dev/zero", "a character device"),
                       ("/dev/null", "a character device"), (fifo, "a FIFO")):
        refused_everywhere(f"scenario {path}", tmp, path, f"{path}: is {kind}", "regular file")
        variant = write(tmp, "variant.toml", f'\nextends = "{path}"\n')
        refused_everywhere(f"extends {path}", tmp, variant, f"{variant}:2:11: extends: '{path}' is {kind}")


def oversized(tmp):
    """Item 7: a file over 64 MiB is refused before it is read (the file is sparse)."""
    big = os.path.join(tmp, "big.toml")
    with open(big, "w") as f:
        f.write("[scenario]\n")
    os.truncate(big, 64 * 2**20 + 1)
    refused_everywhere("file over 64 MiB", tmp, big, f"{big}: is 67108865 bytes", "64 MiB")
    variant = write(tmp, "variant.toml", 'extends = "big.toml"\n')
    refused_everywhere("extends a file over 64 MiB", tmp, variant, f"{variant}:1:11: extends:", "64 MiB")
    os.remove(big)


def deep_extends(tmp, docking):
    """Item 8: a chain of 6,200 `extends` crashed with a stack overflow; 64 links are allowed."""
    chain = os.path.join(tmp, "chain")
    os.mkdir(chain)
    write(chain, "base.toml", docking)
    for i in range(6200):
        target = f"f{i + 1}.toml" if i < 6199 else "base.toml"
        write(chain, f"f{i}.toml", f'extends = "{target}"\n')
    top = os.path.join(chain, "f0.toml")
    refused_everywhere("extends chain of 6,200 files", tmp, top,
                       os.path.join(chain, "f64.toml") + ":1:11: extends: more than 64 extends links")
    write(chain, "f64.toml", 'extends = "base.toml"\n')  # now 65 links: f0 ... f64 -> base
    refused("extends chain of 65 links", run("validate", top), "more than 64 extends links")
    write(chain, "f63.toml", 'extends = "base.toml"\n')  # 64 links
    r = run("validate", top)
    check(r.returncode == 0, f"extends chain of 64 links validates: {r.stderr.strip()[:300]}")


def deep_nesting(tmp, docking):
    """Item 8: deep headers, dotted keys, arrays and inline tables are refused where they are
    written, with the key; --set key paths and values too."""
    header = write(tmp, "header.toml", docking + "\n[parcours" + ".a" * 30000 + "]\n")
    line = docking.count("\n") + 2
    doc = refused_everywhere("table header of 30,000 segments", tmp, header,
                             f"{header}:{line}:{2 + 9 + 63 * 2}: parcours.a.a.a", "64 levels")
    check(doc is not None and doc["error"]["line"] == line and
          doc["error"]["key"].startswith("parcours.a.a"),
          f"deep header: validate --json gives line {line} and the key: {doc and doc['error']}")
    cases = [
        ("dotted key of 30,000 segments", "[deep]\n" + ".".join(["b"] * 30000) + " = 1\n",
         "deep.b.b.b"),
        ("arrays nested 30,000 deep", "[deep]\nx = " + "[" * 30000 + "]" * 30000 + "\n",
         "deep.x:"),
        ("inline tables nested 1,000 deep", "[deep]\nx = " + "{a=" * 1000 + "1" + "}" * 1000 + "\n",
         "deep.x.a.a"),
        ("inline table with a dotted key of 300,000 segments",
         "[deep]\nx = {" + ".".join(["c"] * 300000) + " = 1}\n", "deep.x.c.c"),
    ]
    for what, tail, key in cases:
        path = write(tmp, "deep.toml", docking + "\n" + tail)
        refused_everywhere(what, tmp, path, f"{path}:{line + 1}:", key, "nested more than 64 levels")

    long_key = ".".join(["a"] * 5000) + "=1"
    refused_everywhere("--set key path of 5,000 segments", tmp, DOCKING, "--set: a.a.a",
                       "5000 segments", extra=("--set", long_key))
    refused_everywhere("--set value nested 1,000 deep", tmp, DOCKING, "--set: parcours.x:",
                       "64 levels", extra=("--set", "parcours.x=" + "[" * 1000 + "]" * 1000))


def strings(tmp, docking):
    """Item 9: a NUL in a string, invalid UTF-8 in a --set value or key; messages stay UTF-8."""
    text = docking.replace('name = "Beta"', 'name = "Alpha\\u0000Beta"', 1)
    assert text != docking
    line = text[: text.index("Alpha\\u0000")].count("\n") + 1
    path = write(tmp, "nul.toml", text)
    doc = refused_everywhere("NUL in a territory name", tmp, path, f"{path}:{line}:",
                             "territory.1.name", "NUL")
    check(doc is not None and doc["error"]["key"] == "territory.1.name",
          f"NUL: validate --json names the key: {doc and doc['error']}")

    bad = os.fsdecode(b"scenario.name=\xff")  # passed to essaim as the byte 0xFF
    doc = refused_everywhere("invalid UTF-8 in a --set value", tmp, DOCKING,
                             "--set: scenario.name:", "\\xFF", extra=("--set", bad))
    check(doc is not None and doc["error"]["key"] == "scenario.name",
          f"invalid UTF-8 value: validate --json names the key: {doc and doc['error']}")
    r = run("run", DOCKING, "--json", "--no-output", "--set", bad)
    refused("invalid UTF-8 value (run --json)", r, "scenario.name")
    check("internal error" not in r.stderr, f"run --json: not an internal error: {r.stderr.strip()}")
    refused_everywhere("NUL in a --set value", tmp, DOCKING, "--set: scenario.name:", "NUL",
                       extra=("--set", 'scenario.name="a\\u0000b"'))
    refused_everywhere("invalid UTF-8 in a --set key", tmp, DOCKING, "--set: scenario.na\\xE9me",
                       extra=("--set", os.fsdecode(b"scenario.na\xe9me=x")))
    r = run("validate", DOCKING, "--set", "scenario.name=Saint-Étienne", "--json")
    check(r.returncode == 0 and json.loads(r.stdout)["name"] == "Saint-Étienne",
          f"valid UTF-8 in --set is accepted: {r.stdout.strip()} {r.stderr.strip()}")


def designs(tmp):
    """Item 12: repeated keys and empty values in sweep designs are refused; a byte-order mark
    is accepted."""
    common = ("-r", "2", "--no-output", "--quiet")
    r = run("sweep", DOCKING, "--grid", "parcours.caseload=20,30", "--grid", "parcours.caseload=40",
            *common)
    refused("--grid key given twice", r, "'parcours.caseload' is given twice")
    for grid in ("parcours.caseload=20,", "parcours.caseload=,20", "parcours.caseload=20,,30"):
        refused(f"--grid {grid}", run("sweep", DOCKING, "--grid", grid, *common), f"'{grid}'", "is empty")

    repeated = write(tmp, "repeated.csv", "parcours.caseload,parcours.kappa,parcours.caseload\n20,0.5,30\n")
    refused("design CSV with a repeated column", run("sweep", DOCKING, "--design", repeated, *common),
            f"{repeated}:1: column 'parcours.caseload' is given twice")

    bom = os.path.join(tmp, "bom.csv")
    with open(bom, "w", encoding="utf-8-sig", newline="") as f:  # what spreadsheets write
        f.write("parcours.caseload\r\n20\r\n30\r\n")
    r = run("sweep", DOCKING, "--design", bom, "--json", *common)
    try:
        points = json.loads(r.stdout)["points"] if r.returncode == 0 else []
    except (ValueError, KeyError):
        points = []
    check(r.returncode == 0 and [p["values"] for p in points] ==
          [{"parcours.caseload": "20"}, {"parcours.caseload": "30"}],
          f"design CSV with a byte-order mark runs both points: {r.stderr.strip()[:300]}")

    fifo = os.path.join(tmp, "design-pipe.csv")
    os.mkfifo(fifo)
    refused("design CSV that is a FIFO", run("sweep", DOCKING, "--design", fifo, *common),
            f"{fifo}: the design file is a FIFO")


if __name__ == "__main__":
    sys.exit(main())
