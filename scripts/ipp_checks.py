"""Counting of the harness's own checks (scripts/upgrade_check.py, scripts/wheel_check.py).

Each check is one test; the result file has the format scripts/ipp_results.py writes and
scripts/test.sh reads: a line ``PASSED FAILED SKIPPED`` and a one-line note.
"""

import ast
import os
import re
import subprocess
import time

ODOO_LOG_PROBLEM = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) ")


class Checks:
    """Prints each check as it is decided and counts them."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.passed = 0
        self.failures = []

    def say(self, message):
        print(f"{self.prefix}: {message}", flush=True)

    def test(self, ok, name, detail=""):
        """Record one check; ``detail`` is shown in parentheses on success, below on failure."""
        self.say(f"{'PASS' if ok else 'FAIL'}: {name}" + (f" ({detail})" if detail and ok else ""))
        if ok:
            self.passed += 1
        else:
            self.failures.append(name)
            for line in (detail or "").splitlines():
                self.say(f"    {line}")
        return ok

    def steps(self):
        """The checks themselves; a subclass runs them with :meth:`test`."""
        raise NotImplementedError

    def clean_up(self):
        """Whatever the checks left behind (databases, folders); called even after a crash."""

    def drop_own_database(self, odoo_command, db):
        """Drop the check's database ``db``, unless ``KEEP_DB=1`` asks to keep it."""
        if os.environ.get("KEEP_DB") == "1":
            self.say(f"KEEP_DB=1: keeping database {db}")
            return
        drop_database(odoo_command, db)
        self.say(f"dropped database {db}")

    def run(self, out_path):
        """Run :meth:`steps` (a crash is one failed check), clean up, write the result file."""
        started = time.monotonic()
        try:
            self.steps()
        except Exception as error:  # noqa: BLE001 - any crash is one failed test, shown
            self.test(False, f"the {self.prefix} check ran to its end", f"{type(error).__name__}: {error}")
        finally:
            self.clean_up()
        return self.write_result(out_path, time.monotonic() - started)

    def write_result(self, path, seconds):
        failed = len(self.failures)
        note = f"{self.passed + failed} checks in {seconds:.0f}s"
        if failed:
            note += "; FAILED: " + ", ".join(self.failures)[:300]
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(f"{self.passed} {failed} 0\n{note}\n")
        self.say(f"{self.passed} passed, {failed} failed")
        return 0 if not failed else 1


def odoo_log_problems(log_path):
    """The ERROR and CRITICAL lines of an Odoo log."""
    with open(log_path, encoding="utf-8", errors="replace") as log:
        return [line.rstrip() for line in log if ODOO_LOG_PROBLEM.match(line)]


def drop_database(odoo_command, db):
    """Drop ``db`` and its filestore through Odoo (``dropdb`` as a fallback)."""
    subprocess.run([*odoo_command, "db", "drop", db], capture_output=True, check=False)
    subprocess.run(["dropdb", "--if-exists", db], capture_output=True, check=False)


def read_manifest(path):
    """The manifest of an addon as a dict (it is a Python literal)."""
    with open(path, encoding="utf-8") as handle:
        return ast.literal_eval(handle.read())
