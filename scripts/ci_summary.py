#!/usr/bin/env python3
"""Reads the logs of the CI stages and prints one closing line "N passed, N failed" over all of
them. Usage: ci_summary.py NAME=STATUS:LOG ... (STATUS is the stage's exit code).

Each stage's own closing line is read: Swift Testing's "Test run with N tests … passed/failed",
with its failed tests counted from their "✘ Test … failed" lines; pytest's "N passed, M failed";
the cluster check's "N passed, N failed"; the security scan's "sqlmap: passed" and
"schemathesis: passed" lines (one check each). A stage that failed without saying how many of
its tests failed counts as one failure, so a red stage can never add up to a green line."""
import re
import sys


def counts(text):
    """(passed, failed) as the stage's log reports them, or None when it reports nothing."""
    run = re.findall(r"Test run with (\d+) tests? in \d+ suites? (passed|failed)", text)
    if run:
        total = int(run[-1][0])
        failed = len(set(re.findall(r"✘ Test (?!run with )(\S.*?) (?:failed|recorded an issue)", text))) if run[-1][1] == "failed" else 0
        return total - failed, failed
    # Before pytest's line: schemathesis, inside the security scan, ends with a pytest-like
    # "=== 3 warnings in 10.19s ===" that would count as nothing.
    checks = re.findall(r"^(sqlmap|schemathesis):\s+(passed|FAILED)", text, re.M)
    if checks:
        return sum(1 for _, result in checks if result == "passed"), sum(1 for _, result in checks if result != "passed")
    pytest = re.findall(r"^=+ (.*?) in [\d.]+s", text, re.M)
    if pytest:
        summary = pytest[-1]
        number = lambda word: sum(int(n) for n in re.findall(r"(\d+) " + word, summary))
        return number("passed"), number("failed") + number("error")
    plain = re.findall(r"^(\d+) passed, (\d+) failed$", text, re.M)
    if plain:
        return int(plain[-1][0]), int(plain[-1][1])
    return None


def main(stages):
    passed = failed = 0
    for stage in stages:
        name, rest = stage.split("=", 1)
        status, log = rest.split(":", 1)
        try:
            text = open(log, encoding="utf-8", errors="replace").read()
        except OSError:
            text = ""
        found = counts(text)
        stage_passed, stage_failed = found if found else (0, 0)
        if int(status) != 0 and stage_failed == 0:
            stage_failed = 1
        print(f"{name}: {stage_passed} passed, {stage_failed} failed (exit {status})")
        passed += stage_passed
        failed += stage_failed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
