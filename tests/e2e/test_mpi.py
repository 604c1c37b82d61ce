#!/usr/bin/python3
"""End-to-end checks of MPI (issue 8 item 7): `mpirun -np 2 essaim ensemble|compare|sweep` give
the datasets one process gives, and a rank that dies makes mpirun exit non-zero with a message,
never hang; the units stored before are kept for --resume.

Usage: test_mpi.py <essaim-binary> <repo-dir>
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from e2e import BINARY, REPO, DOCKING, essaim, check, finish
from test_experiment_engine import differences

# As root, Open MPI needs --allow-run-as-root; --oversubscribe lets 2 ranks share fewer cores.
MPIRUN = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "2"]


def mpirun(*args, timeout=300):
    return subprocess.run([*MPIRUN, BINARY, *args], capture_output=True, text=True,
                          timeout=timeout)


def same_datasets(tmp):
    cases = {
        "ensemble": ["ensemble", DOCKING, "-r", "9"],
        "sweep": ["sweep", DOCKING, "--grid", "parcours.caseload=20,40", "-r", "4"],
    }
    for kind, args in cases.items():
        single, ranks = os.path.join(tmp, f"{kind}-1.h5"), os.path.join(tmp, f"{kind}-mpi.h5")
        check(essaim(*args, "-o", single, "-q").returncode == 0, f"{kind}: one process")
        r = mpirun(*args, "-o", ranks, "-q", "--threads", "1")
        check(r.returncode == 0, f"{kind} under mpirun: {r.stderr[-400:]}")
        problems = differences(single, ranks)
        check(not problems, f"{kind}: 2 ranks give one process's datasets: {problems[:5]}")
        check(r.stdout.count("replications") >= 1 and r.stdout.count(kind.capitalize()) == 1,
              f"{kind}: only rank 0 prints")
    args = ["compare", DOCKING, DOCKING, "--set-b", "parcours.caseload=40", "-r", "6", "--json",
            "-q"]
    one = json.loads(essaim(*args).stdout)
    r = mpirun(*args)
    check(r.returncode == 0 and json.loads(r.stdout) == one,
          f"compare under mpirun equals one process: {r.stderr[-300:]}")


def sensitivity(tmp):
    args = ["sa", "--model", "ishigami", "--method", "sobol", "-n", "256", "-r", "2", "--set",
            "noise_sd=0.5", "--json", "-q", "--no-output"]
    one = essaim(*args)
    r = mpirun(*args, "--threads", "1")
    check(r.returncode == 0 and json.loads(r.stdout) == json.loads(one.stdout),
          f"sa under mpirun equals one process: {r.stderr[-300:]}")


def dead_rank(tmp):
    output = os.path.join(tmp, "dead.h5")
    args = ["ensemble", os.path.join(REPO, "scenarios", "dest1.toml"), "-r", "400", "-q",
            "--summary-only", "-o", output]
    process = subprocess.Popen([*MPIRUN, BINARY, *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    victim = None
    while victim is None and time.time() < deadline and process.poll() is None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read()
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read()
            except OSError:
                continue
            if b"OMPI_COMM_WORLD_RANK=1\0" in environ and output.encode() in cmdline:
                victim = int(pid)
        time.sleep(0.05)
    if victim is not None:
        time.sleep(0.5)
        os.kill(victim, 9)
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        check(False, "mpirun hung after a rank died")
        return
    check(victim is not None, "found rank 1 to kill")
    check(process.returncode != 0 and "rank 1" in stderr,
          f"a dead rank: mpirun exits non-zero and says so ({process.returncode}): {stderr[-300:]}")
    check(not os.path.exists(output), "no result file from the failed job")
    if os.path.exists(output + ".units"):
        r = essaim(*args, "--resume", "--threads", "2")
        check(r.returncode == 0 and os.path.exists(output), f"resumed after the job died: {r.stderr}")


def main():
    if shutil.which("mpirun") is None:
        print("mpirun not found: scripts/setup.sh installs openmpi-bin", file=sys.stderr)
        check(False, "mpirun available")
        return finish()
    with tempfile.TemporaryDirectory(prefix="essaim-mpi-") as tmp:
        same_datasets(tmp)
        sensitivity(tmp)
        dead_rank(tmp)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
