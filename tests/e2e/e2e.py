"""What the end-to-end scripts share (imported by tests/e2e/test_*.py, not a test itself): the
binary and repository given on the command line, running `essaim`, counting checks, and the
closing line that ctest and CI read ("N passed, N failed")."""
import os
import subprocess
import sys

BINARY, REPO = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
DOCKING = os.path.join(REPO, "scenarios", "docking.toml")
results = {"passed": 0, "failed": 0}


def essaim(*args, cwd=None, timeout=900):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def check(condition, message):
    results["passed" if condition else "failed"] += 1
    if not condition:
        print("FAIL:", message, file=sys.stderr)


def finish():
    """Prints the closing line; the exit code for sys.exit."""
    print(f"{results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0
