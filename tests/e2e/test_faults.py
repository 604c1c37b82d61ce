#!/usr/bin/python3
"""End-to-end checks of output files under faults (docs/RELIABILITY.md): `-o` naming something
that is not a regular file, temporaries that follow planted links, long names, a full disk, a
read-only destination, SIGINT/SIGTERM/SIGHUP, a full stdout, unsafe scenario names, and the
diagnostics of `export` and `generate`.

Usage: test_faults.py <essaim-binary> <repo-dir>

Some checks need root (a character device made with mknod, a tmpfs mount); they are skipped, with
the reason printed, where that is not possible.
"""
import hashlib
import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

from e2e import BINARY, REPO, DOCKING, essaim, check, finish

DEST1 = os.path.join(REPO, "scenarios", "dest1.toml")
SWEEP_GRID = ["--grid", "parcours.caseload=20,30"]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def content(path):
    with open(path, "rb") as f:
        return f.read()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def forget_unit_stores(directory):
    """An interrupted or failed ensemble or sweep keeps its unit store (TARGET.units) on purpose,
    for --resume; the next case here must start afresh."""
    for root, _, files in os.walk(directory):
        for name in files:
            if ".units" in name:
                os.remove(os.path.join(root, name))


def leftovers(directory):
    """Hidden or temporary files anywhere below `directory`: what an interrupted or failed write
    must not leave behind."""
    found = []
    for root, dirs, files in os.walk(directory):
        for name in dirs + files:
            if name.startswith(".") or ".tmp" in name:
                found.append(os.path.join(root, name))
    return found


def commands(output):
    """Every command that writes a file named by -o, with arguments that make it quick."""
    return {
        "run": ["run", DOCKING, "-q", "-o", output],
        "ensemble": ["ensemble", DOCKING, "-r", "3", "-q", "-o", output],
        "sweep": ["sweep", DOCKING, "-r", "2", *SWEEP_GRID, "-q", "-o", output],
        "generate": ["generate", "national", "--territories", "3", "-o", output],
    }


class Mount:
    """A tmpfs of `size` bytes at `path`, or None where mounting is not allowed."""

    @staticmethod
    def make(path, size):
        os.makedirs(path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"skipped: cannot mount a tmpfs ({r.stderr.strip()})")
            return None
        return Mount(path)

    def __init__(self, path):
        self.path = path

    def read_only(self):
        return subprocess.run(["mount", "-o", "remount,ro", self.path]).returncode == 0

    def unmount(self):
        subprocess.run(["umount", self.path])


# ---- 1. -o that is not a regular file (or a new path), for every command

def bad_outputs(tmp):
    targets = {}
    device = os.path.join(tmp, "null-device")
    try:  # a /dev/null of our own: a failing check must not damage the real one
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        targets["character device"] = device
        os.symlink(device, os.path.join(tmp, "link-to-device"))
        targets["link to a device"] = os.path.join(tmp, "link-to-device")
    except PermissionError:
        print("skipped: cannot create a character device (not root)")
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    targets["FIFO"] = fifo
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(os.path.join(tmp, "socket"))
    targets["socket"] = os.path.join(tmp, "socket")
    os.mkdir(os.path.join(tmp, "dir"))
    targets["directory"] = os.path.join(tmp, "dir")
    targets["directory with a slash"] = os.path.join(tmp, "dir") + "/"
    os.symlink(os.path.join(tmp, "dir"), os.path.join(tmp, "link-to-dir"))
    targets["link to a directory"] = os.path.join(tmp, "link-to-dir")
    targets["missing directory"] = os.path.join(tmp, "missing", "out.h5")

    for kind, target in targets.items():
        before = os.lstat(target) if os.path.lexists(target) else None
        for command, args in commands(target).items():
            r = essaim(*args, timeout=60)
            what = f"{command} -o {kind}"
            check(r.returncode == 2, f"{what}: exit 2, got {r.returncode}: {r.stderr.strip()}")
            shown = os.path.dirname(target) if kind == "missing directory" else target
            check(shown.rstrip("/") in r.stderr, f"{what}: the message names the path")
            check("internal error" not in r.stderr, f"{what}: not an internal error")
            check(r.stdout == "", f"{what}: refused before running (no results printed)")
            after = os.lstat(target) if os.path.lexists(target) else None
            check((before is None) == (after is None) and
                  (before is None or (before.st_mode, before.st_ino) == (after.st_mode,
                                                                          after.st_ino)),
                  f"{what}: the target is untouched")
    sock.close()
    check(os.listdir(os.path.join(tmp, "dir")) == [], "nothing written into the directory")
    check(leftovers(tmp) == [], f"no temporary left: {leftovers(tmp)}")

    # An empty -o, and -o naming the scenario itself however it is spelt.
    scenario = write(os.path.join(tmp, "s.toml"), open(DOCKING, encoding="utf-8").read())
    os.link(scenario, os.path.join(tmp, "hard.toml"))
    os.symlink(scenario, os.path.join(tmp, "soft.toml"))
    original = digest(scenario)
    for spelt in [scenario, os.path.join(tmp, ".", "s.toml"), os.path.join(tmp, "hard.toml"),
                  os.path.join(tmp, "soft.toml")]:
        for command in ["run", "ensemble", "sweep"]:
            args = commands(spelt)[command]
            args[1] = scenario
            r = essaim(*args)
            check(r.returncode == 2 and "input file" in r.stderr,
                  f"{command} -o {spelt} (the scenario): exit 2: {r.stderr.strip()}")
    check(digest(scenario) == original, "the scenario file is unchanged")
    for command, args in commands("").items():
        r = essaim(*args, cwd=tmp)  # where an old essaim left ".tmp-PID"
        check(r.returncode == 2 and "empty" in r.stderr, f"{command} -o '': exit 2: {r.stderr}")


# ---- 2. Temporary files: exclusive, unpredictable, short enough

def planted_temporaries(tmp):
    """The old temporaries were FILE.tmp-PID: a link planted there was followed, an (empty)
    directory there was deleted. Plant both for the next few hundred process ids."""
    victim = write(os.path.join(tmp, "victim"), "precious")
    with open("/proc/sys/kernel/ns_last_pid") as f:
        last = int(f.read())
    pids = range(last + 1, last + 300)
    linked, h5, toml = (os.path.join(tmp, name) for name in ["linked.h5", "dir.h5", "out.toml"])
    for pid in pids:
        os.symlink(victim, f"{linked}.tmp-{pid}")
        os.mkdir(f"{h5}.tmp-{pid}")
        os.mkdir(f"{toml}.tmp-{pid}")
    r = essaim("run", DOCKING, "-q", "-o", linked)
    check(r.returncode == 0, f"run beside planted links: {r.stderr.strip()}")
    check(content(victim) == b"precious", "a link planted at a temporary name is not followed")
    r = essaim("run", DOCKING, "-q", "-o", h5)
    check(r.returncode == 0, f"run beside planted directories: {r.stderr.strip()}")
    r = essaim("generate", "national", "--territories", "3", "-o", toml)
    check(r.returncode == 0, f"generate beside planted directories: {r.stderr.strip()}")
    for target in [h5, toml]:
        kept = [pid for pid in pids if os.path.isdir(f"{target}.tmp-{pid}")]
        check(len(kept) == len(pids), f"{target}: a directory planted at a temporary name is kept")


def long_names(tmp):
    for length in [253, 255]:
        name = "n" * (length - 3) + ".h5"
        r = essaim("run", DOCKING, "-q", "-o", os.path.join(tmp, name))
        check(r.returncode == 0 and os.path.exists(os.path.join(tmp, name)),
              f"run -o a {length}-byte name: {r.stderr.strip()}")
        toml = "t" * (length - 5) + ".toml"
        r = essaim("generate", "national", "--territories", "2", "-o", os.path.join(tmp, toml))
        check(r.returncode == 0, f"generate -o a {length}-byte name: {r.stderr.strip()}")
    r = essaim("run", DOCKING, "-q", "-o", os.path.join(tmp, "n" * 256))
    check(r.returncode == 2 and "256 bytes" in r.stderr, f"a 256-byte name: exit 2: {r.stderr}")
    check(leftovers(tmp) == [], f"no temporary left: {leftovers(tmp)}")


# ---- 3. A full disk, a read-only destination

def limited(limit):
    """A child whose files may not grow beyond `limit` bytes: write(2) fails with EFBIG, through
    the same paths as ENOSPC on a full disk."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def failing_writes(tmp, directory, reason, limit=None):
    """Each command writing into `directory`, where writes fail: exit 1 with the path and the
    system's reason, a previous file intact, no temporary left."""
    ensemble_file = os.path.join(tmp, "series.h5")
    cases = dict(commands(os.path.join(directory, "previous")))
    cases["generate"][3] = "1000"  # a file larger than the space left
    cases["ensemble series"] = ["ensemble", DOCKING, "-r", "20", "-q", "-o",
                                os.path.join(directory, "previous")]
    cases["export"] = ["export", ensemble_file, "--csv", os.path.join(directory, "csv")]
    for command, args in cases.items():
        r = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120,
                           preexec_fn=limited(limit) if limit else None)
        what = f"{command} ({reason})"
        check(r.returncode == 1, f"{what}: exit 1, got {r.returncode}: {r.stderr.strip()}")
        check(reason in r.stderr and directory in r.stderr,
              f"{what}: the path and the reason: {r.stderr.strip()}")
        check("internal error" not in r.stderr, f"{what}: not called internal")
        check(content(os.path.join(directory, "previous")) == b"previous",
              f"{what}: the previous file is intact")
        check(content(os.path.join(directory, "csv", "manifest.csv")) == b"previous",
              f"{what}: the previous CSV is intact")
        check(leftovers(directory) == [], f"{what}: no temporary left: {leftovers(directory)}")
        forget_unit_stores(directory)


def prepare_destination(directory):
    os.makedirs(os.path.join(directory, "csv"), exist_ok=True)
    write(os.path.join(directory, "previous"), "previous")
    write(os.path.join(directory, "csv", "manifest.csv"), "previous")


def full_disk(tmp):
    r = essaim("ensemble", DOCKING, "-r", "20", "-q", "-o", os.path.join(tmp, "series.h5"))
    check(r.returncode == 0, f"ensemble for export: {r.stderr.strip()}")
    limited_dir = os.path.join(tmp, "limited")
    prepare_destination(limited_dir)
    for limit in [1000, 100000]:  # in the first writes, and later
        failing_writes(tmp, limited_dir, "File too large", limit)

    # A created CSV directory is removed again.
    r = subprocess.run([BINARY, "export", os.path.join(tmp, "series.h5"), "--csv",
                        os.path.join(limited_dir, "new-csv")], capture_output=True, text=True,
                       preexec_fn=limited(20000))
    check(r.returncode == 1 and not os.path.exists(os.path.join(limited_dir, "new-csv")),
          f"export to a new directory on a full disk removes it: {r.stderr.strip()}")

    mount = Mount.make(os.path.join(tmp, "small"), 64 * 1024)
    if mount is None:
        return
    try:
        prepare_destination(mount.path)
        failing_writes(tmp, mount.path, "No space left on device")
        if mount.read_only():
            failing_writes(tmp, mount.path, "Read-only file system")
        else:
            print("skipped: cannot remount the tmpfs read-only")
    finally:
        mount.unmount()


# ---- 4. SIGINT, SIGTERM, SIGHUP

def wait_for(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False


def interrupt(args, signum, directory, target, ready, what, created=False):
    """Starts essaim, waits for `ready()`, sends `signum`; checks the exit code, the message,
    that no temporary is left and that `target` is unchanged."""
    before = digest(target) if os.path.isfile(target) else None
    process = subprocess.Popen([BINARY, *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        started = wait_for(lambda: ready() or process.poll() is not None, 30)
        running = process.poll() is None
        check(started and running, f"{what}: still running when the signal is sent")
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    name = signal.Signals(signum).name
    check(process.returncode == 128 + signum,
          f"{what}: exit {128 + signum}, got {process.returncode}: {stderr.strip()}")
    check(f"interrupted by {name}" in stderr and "nothing written" in stderr,
          f"{what}: says what was lost: {stderr.strip()}")
    if before is not None:
        check(f"{target} is unchanged" in stderr, f"{what}: names the target: {stderr.strip()}")
        check(digest(target) == before, f"{what}: the previous file is byte-identical")
    if created:
        check(not os.path.exists(target), f"{what}: the directory it created is removed")
    check(leftovers(directory) == [], f"{what}: no temporary left: {leftovers(directory)}")
    forget_unit_stores(directory)


def signals(tmp):
    directory = os.path.join(tmp, "signals")
    os.mkdir(directory)
    national = os.path.join(tmp, "national.toml")
    r = essaim("generate", "national", "--territories", "100", "--years", "20", "-o", national)
    check(r.returncode == 0, f"generate for the signal tests: {r.stderr.strip()}")
    series = os.path.join(tmp, "signal-series.h5")
    r = essaim("ensemble", DOCKING, "-r", "60", "-q", "-o", series)
    check(r.returncode == 0, f"ensemble for the export signal tests: {r.stderr.strip()}")
    out = os.path.join(directory, "out.h5")
    write(out, "previous result")

    def temporary_exists():
        return any(name.startswith(".") for name in os.listdir(directory))

    def after(seconds):
        deadline = time.monotonic() + seconds
        return lambda: time.monotonic() > deadline

    for signum in [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]:
        name = signal.Signals(signum).name
        # The file is written once every replication is done: first while computing, then while
        # its temporary is being written.
        # dest1.toml: long enough (tens of ms a replication) to be still computing at 0.3 s.
        interrupt(["ensemble", DEST1, "-r", "2000", "--threads", "1", "-q", "-o", out], signum,
                  directory, out, after(0.3), f"ensemble {name} while computing")
        interrupt(["ensemble", DOCKING, "-r", "400", "--threads", "1", "-q", "-o", out], signum,
                  directory, out, temporary_exists, f"ensemble {name} while writing")
        interrupt(["run", national, "-q", "-o", out], signum, directory, out, after(0.5),
                  f"run {name}")
        interrupt(["sweep", DEST1, "-r", "1000", "--threads", "1", *SWEEP_GRID, "-q", "-o", out],
                  signum, directory, out, after(0.5), f"sweep {name}")
        csv = os.path.join(directory, "csv")
        interrupt(["export", series, "--csv", csv, "--with-replication-series"], signum,
                  directory, csv, lambda: os.path.isdir(csv) and os.listdir(csv) != [],
                  f"export {name} into a new directory", created=True)
    # Under nohup (SIGHUP ignored), SIGHUP does not stop a command.
    process = subprocess.Popen(["nohup", BINARY, "ensemble", DOCKING, "-r", "300", "-q", "-o", out],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(temporary_exists, 30)
    process.send_signal(signal.SIGHUP)
    check(process.wait(timeout=120) == 0, "an ignored SIGHUP stays ignored (nohup)")


# ---- 5. stdout that cannot be written

def full_stdout(tmp):
    series = os.path.join(tmp, "series.h5")
    check(essaim("ensemble", DOCKING, "-r", "2", "-q", "-o", series).returncode == 0, "ensemble")
    cases = {
        "run": ["run", DOCKING, "--no-output", "--json", "-q"],
        "run text": ["run", DOCKING, "--no-output", "-q"],
        "validate": ["validate", DOCKING],
        "ensemble": ["ensemble", DOCKING, "-r", "2", "--no-output", "-q"],
        "sweep": ["sweep", DOCKING, "-r", "2", *SWEEP_GRID, "--no-output", "-q"],
        "compare": ["compare", DOCKING, DOCKING, "-r", "2", "-q"],
        "export": ["export", series, "--csv", os.path.join(tmp, "full-csv")],
        "generate": ["generate", "national", "--territories", "2", "-o",
                     os.path.join(tmp, "full.toml")],
        "--help": ["--help"],
        "run --help": ["run", "--help"],
        "--version": ["--version"],
    }
    for what, args in cases.items():
        with open("/dev/full", "w") as full:
            r = subprocess.run([BINARY, *args], stdout=full, stderr=subprocess.PIPE, text=True,
                               timeout=120)
        check(r.returncode == 1 and "standard output" in r.stderr,
              f"{what} > /dev/full: exit 1 with a message, got {r.returncode}: {r.stderr.strip()}")


# ---- 6. Default output names from the scenario's name

def unsafe_names(tmp):
    work = os.path.join(tmp, "a", "b", "work")
    os.makedirs(work)
    for name in ["../../escape", "a/b", "..", ".hidden", "x\\y z"]:
        for command, suffix in [("run", ".h5"), ("ensemble", "-ensemble.h5"),
                                ("sweep", "-sweep.h5")]:
            args = {"run": [], "ensemble": ["-r", "2"], "sweep": ["-r", "2", *SWEEP_GRID]}[command]
            r = essaim(command, DOCKING, "-q", *args, "--set", f'scenario.name="{name}"', cwd=work)
            what = f"{command} with scenario.name {name!r}"
            check(r.returncode == 0, f"{what}: exit 0: {r.stderr.strip()}")
            files = os.listdir(os.path.join(work, "results"))
            check(len(files) == 1 and files[0].endswith(suffix) and not files[0].startswith("."),
                  f"{what}: one visible file in results/: {files}")
            check(sorted(os.listdir(work)) == ["results"], f"{what}: nothing beside results/")
            check(os.listdir(os.path.join(tmp, "a")) == ["b"] and os.listdir(tmp).count("a") == 1
                  and not any(f.startswith("escape") for f in os.listdir(tmp)),
                  f"{what}: nothing written outside results/")
            for f in files:
                os.remove(os.path.join(work, "results", f))


# ---- 20. export -q, --with-replication-series without series, replaced files

def export_diagnostics(tmp):
    summary = os.path.join(tmp, "summary.h5")
    run_file = os.path.join(tmp, "run.h5")
    check(essaim("ensemble", DOCKING, "-r", "3", "--summary-only", "-q", "-o",
                 summary).returncode == 0, "summary-only ensemble")
    check(essaim("run", DOCKING, "-q", "-o", run_file).returncode == 0, "run file")
    csv = os.path.join(tmp, "diag-csv")
    for source in [summary, run_file]:
        r = essaim("export", source, "--csv", csv, "--with-replication-series")
        check(r.returncode == 0 and "no per-replication series" in r.stderr,
              f"export --with-replication-series without series says so: {r.stderr.strip()}")
    r = essaim("export", summary, "--csv", csv)
    replaced = [line for line in r.stderr.splitlines() if line.startswith("replaced ")]
    check(r.returncode == 0 and os.path.join(csv, "manifest.csv") in r.stderr and
          len(replaced) == len(r.stdout.splitlines()),
          f"export says which files it replaced: {r.stderr.strip()}")
    for quiet in ["-q", "--quiet"]:
        r = essaim("export", summary, "--csv", csv, quiet, "--with-replication-series")
        check(r.returncode == 0 and r.stderr == "", f"export {quiet}: nothing on stderr: {r.stderr}")
    toml = os.path.join(tmp, "g.toml")
    r = essaim("generate", "national", "--territories", "2", "-o", toml)
    check(r.returncode == 0 and "replaced" not in r.stderr, "generate a new file: not 'replaced'")
    r = essaim("generate", "national", "--territories", "2", "-o", toml)
    check(r.returncode == 0 and f"replaced {toml}" in r.stderr,
          f"generate says it replaced the file: {r.stderr.strip()}")


def main():
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="essaim-faults-") as tmp:
        for part in [bad_outputs, planted_temporaries, long_names, full_disk, signals,
                     full_stdout, unsafe_names, export_diagnostics]:
            directory = os.path.join(tmp, part.__name__)
            os.mkdir(directory)
            part(directory)
    print(f"({time.monotonic() - started:.0f} s)")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
