#!/usr/bin/env python3
"""Turn the raw output of the test runners into counts for scripts/test.sh.

Two sub-commands, each explains what it found on stdout and writes a result
file of two lines: ``PASSED FAILED SKIPPED`` and a one-line note.

``pytest-junit XML --rc RC --out FILE``
    Counts the test cases of pytest's JUnit XML. Exit status 5 (no test
    collected) is 0 tests, not an error; any other status than 0/1/5, or a
    status that contradicts the XML, counts at least one failure.

``odoo-log LOG --rc RC --out FILE``
    Reads the log of ``odoo-bin ... --test-tags ... --stop-after-init
    --log-level=test``: the closing line ``N failed, N error(s) of N tests when
    loading database '...'`` (odoo.tests.result), the ``skipped <test> :
    <reason>`` lines, the ``FAIL:``/``ERROR:`` test reports and every other
    ERROR/CRITICAL line. Skipped Odoo tests count as FAILED (a tour is skipped
    when Chromium or websocket-client is missing: the run must not look green).

``pre-commit LOG --rc RC --out FILE``
    Reads the output of ``pre-commit run --all-files --color never``: each hook's
    line ``<name>....Passed|Failed|Skipped`` is one test (Skipped: no file of its
    kind). A non-zero exit without a failed hook counts one failure.

Only the standard library is used: it runs with any python3.
"""

import argparse
import re
import sys
import xml.etree.ElementTree as ET

# "2026-11-26 17:15:02,572 12056 ERROR dbname odoo.addons.x.tests.test_y: message"
LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL|\S+) (?P<db>\S+) (?P<logger>\S+): (?P<message>.*)$"
)
SUMMARY = re.compile(
    r"^(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests "
    r"when loading database (?P<db>.*?)\s*$"
)
SKIPPED = re.compile(r"^skipped (?P<test>.+?) : (?P<reason>.*?)\s*$")
# "ruff check (ruff.toml)......................Passed" / "...(no files to check)Skipped"
PRE_COMMIT_HOOK = re.compile(r"^(?P<name>.+?)\.{3,}(?:\(no files to check\))?(?P<status>Passed|Failed|Skipped)\s*$")
STARTING = re.compile(r"^Starting (?P<test>\S+) \.\.\.\s*$")
TEST_REPORT = re.compile(r"^(?P<kind>FAIL|ERROR): (?P<test>\S+)")
# ERROR lines Odoo itself writes to summarise test failures: already counted.
TEST_BOOKKEEPING = (
    re.compile(r"^Module \S+: \d+ failures, \d+ errors of \d+ tests"),
    re.compile(r"^At least one test failed when loading the modules"),
    re.compile(r"^Test suite halted: max failed tests already reached"),
)
# Lines that close the window in which an ERROR can be blamed on a running test.
END_OF_TEST_WINDOW = (
    re.compile(r"^Module \S+ loaded in "),
    re.compile(r"^Loading module "),
    re.compile(r"^Starting post tests"),
    re.compile(r"^\d+ post-tests in "),
)


def write_result(path, passed, failed, skipped, note):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{passed} {failed} {skipped}\n{note}\n")


def pytest_junit(args):
    rc = args.rc
    notes = []
    passed = failed = skipped = 0
    if rc == 5:
        notes.append("no tests collected (pytest exit 5): counted as 0 tests")
        write_result(args.out, 0, 0, 0, "; ".join(notes))
        print(f"pytest: {notes[0]}")
        return
    try:
        root = ET.parse(args.xml).getroot()
    except (OSError, ET.ParseError) as exc:
        note = f"pytest exited {rc} without a readable JUnit XML ({exc.__class__.__name__}): counted as 1 failure"
        write_result(args.out, 0, 1, 0, note)
        print(f"pytest: {note}")
        return
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    if rc not in (0, 1):
        meaning = {2: "interrupted or collection error", 3: "internal error", 4: "usage error"}.get(rc, "crashed")
        notes.append(f"pytest exited {rc} ({meaning})")
        failed = max(failed, 1)
    elif rc == 1 and failed == 0:
        notes.append("pytest exited 1 without a failing test case: counted as 1 failure")
        failed = 1
    elif rc == 0 and failed:
        notes.append("pytest exited 0 but the XML reports failures")
    write_result(args.out, passed, failed, skipped, "; ".join(notes))
    print(f"pytest: {passed} passed, {failed} failed, {skipped} skipped" + (f" ({'; '.join(notes)})" if notes else ""))


def _iter_records(path):
    """Yield (level, logger, message) for each log record (continuation lines dropped)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = LOG_LINE.match(line.rstrip("\n"))
            if match:
                yield match["level"], match["logger"], match["message"]


def odoo_log(args):
    summary = None
    skipped_tests = []  # (test, reason, logger)
    failed_tests = {}  # test -> "FAIL" or "ERROR", in log order
    current_test = None
    stray_outside = []  # messages
    stray_in_test = []  # (test, message)
    try:
        records = list(_iter_records(args.log))
    except OSError as exc:
        note = f"no Odoo log to read ({exc}): counted as 1 failure"
        write_result(args.out, 0, 1, 0, note)
        print(f"Odoo: {note}")
        return

    for level, logger, message in records:
        if (match := SUMMARY.match(message)) and logger.startswith("odoo.tests"):
            summary = match
            current_test = None
            continue
        if match := STARTING.match(message):
            if ".tests" in logger or logger.startswith("odoo.addons."):
                current_test = match["test"]
            continue
        if any(pattern.match(message) for pattern in END_OF_TEST_WINDOW):
            current_test = None
            continue
        if match := SKIPPED.match(message):
            skipped_tests.append((match["test"], match["reason"], logger))
            continue
        if level not in ("ERROR", "CRITICAL"):
            continue
        if match := TEST_REPORT.match(message):
            failed_tests.setdefault(match["test"], match["kind"])
            continue
        if any(pattern.match(message) for pattern in TEST_BOOKKEEPING):
            continue
        line = f"{level} {logger}: {message}"
        if current_test:
            stray_in_test.append((current_test, line))
        else:
            stray_outside.append(line)

    notes = []
    if summary:
        run, failed, errors = int(summary["run"]), int(summary["failed"]), int(summary["errors"])
    else:
        run = failed = errors = 0
    skipped = len(skipped_tests)
    passed = max(run - failed - errors - skipped, 0)
    total_failed = failed + errors + skipped

    print(f"Odoo: {run} tests run, {failed} failed, {errors} error(s), {skipped} skipped")
    for test, kind in failed_tests.items():
        print(f"Odoo:   {kind}: {test}")
    if failed or errors:
        notes.append(f"{failed} failed, {errors} error(s)")
    if not summary:
        total_failed += 1
        notes.append("no 'N failed, N error(s) of N tests' line: Odoo did not finish its tests")
        print(
            "Odoo: FAILURE: the closing line 'N failed, N error(s) of N tests when loading database' "
            "is missing: the module probably failed to install or Odoo crashed (see the log above)."
        )
    elif run == 0 and not args.allow_no_tests:
        total_failed += 1
        notes.append("0 Odoo tests ran")
        print(
            "Odoo: FAILURE: Odoo ran 0 tests for these --test-tags (is tests/__init__.py importing the "
            "test files?). Set ODOO_ALLOW_NO_TESTS=1 to accept that."
        )
    if skipped_tests:
        notes.append(f"{skipped} skipped Odoo test(s) counted as failed")
        print()
        print("!" * 78)
        print(f"!! {skipped} Odoo test(s) were SKIPPED. This harness counts every skipped Odoo test as")
        print("!! FAILED: a skipped test proves nothing. The usual cause is a tour without a browser:")
        print("!! HttpCase.start_tour needs Debian's `chromium` on PATH and the `websocket-client`")
        print("!! package in Odoo's interpreter (requirements-odoo.txt). Skipped:")
        for test, reason, logger in skipped_tests:
            print(f"!!   - {logger}: {test} : {reason}")
        print("!" * 78)
        print()
    # An ERROR logged while a test ran is that test's business if the test failed;
    # if the test passed, or no test was running, nothing else accounts for it.
    unexplained_in_test = [(test, line) for test, line in stray_in_test if test not in failed_tests]
    if stray_outside or unexplained_in_test:
        total_failed += 1
        count = len(stray_outside) + len(unexplained_in_test)
        notes.append(f"{count} ERROR/CRITICAL log line(s) not explained by a failing test")
        print(f"Odoo: FAILURE: {count} ERROR/CRITICAL log line(s) that no failing test explains (counted as 1 failure):")
        for line in stray_outside[:20]:
            print(f"  outside tests: {line[:300]}")
        for test, line in unexplained_in_test[:20]:
            print(f"  during passing test {test}: {line[:300]}")
        if unexplained_in_test:
            print("  (a test that expects an error log should wrap it in odoo.tools.mute_logger)")
    # A run with failing tests exits 1: nothing to add then. Without a closing
    # line the failure is already counted above.
    if args.rc != 0 and failed + errors == 0 and summary:
        total_failed += 1
        notes.append(f"odoo-bin exited {args.rc} although no test failed")
        print(f"Odoo: FAILURE: odoo-bin exited with status {args.rc} although no test failed.")
    elif args.rc != 0 and not summary:
        notes.append(f"odoo-bin exited {args.rc}")
    write_result(args.out, passed, total_failed, 0, "; ".join(notes))


def pre_commit(args):
    counts = {"Passed": 0, "Failed": 0, "Skipped": 0}
    failed_hooks = []
    try:
        with open(args.log, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if match := PRE_COMMIT_HOOK.match(line.rstrip("\n")):
                    counts[match["status"]] += 1
                    if match["status"] == "Failed":
                        failed_hooks.append(match["name"].strip())
    except OSError as exc:
        write_result(args.out, 0, 1, 0, f"no pre-commit log to read ({exc}): counted as 1 failure")
        return
    passed, failed, skipped = counts["Passed"], counts["Failed"], counts["Skipped"]
    notes = [f"failed: {', '.join(failed_hooks)}"] if failed_hooks else []
    if args.rc != 0 and not failed:
        failed = 1
        notes.append(f"pre-commit exited {args.rc} without a failed hook (see its log)")
    elif passed + failed + skipped == 0:
        failed = 1
        notes.append("no hook ran")
    print(f"pre-commit: {passed} hooks passed, {failed} failed, {skipped} skipped (no files)")
    write_result(args.out, passed, failed, skipped, "; ".join(notes))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    junit = sub.add_parser("pytest-junit")
    junit.add_argument("xml")
    junit.add_argument("--rc", type=int, required=True)
    junit.add_argument("--out", required=True)
    junit.set_defaults(func=pytest_junit)
    odoo = sub.add_parser("odoo-log")
    odoo.add_argument("log")
    odoo.add_argument("--rc", type=int, required=True)
    odoo.add_argument("--out", required=True)
    odoo.add_argument("--allow-no-tests", action="store_true")
    odoo.set_defaults(func=odoo_log)
    hooks = sub.add_parser("pre-commit")
    hooks.add_argument("log")
    hooks.add_argument("--rc", type=int, required=True)
    hooks.add_argument("--out", required=True)
    hooks.set_defaults(func=pre_commit)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
