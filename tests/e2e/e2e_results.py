"""Shared by the unittest-based e2e scripts: their PASS/FAIL lines in $RESULTS."""

import os
import sys
import unittest


def result_log(script):
    """A unittest result class that appends one PASS/FAIL line per test of
    script (its file name) to $RESULTS, as run.sh collects them."""
    results = os.environ.get("RESULTS")

    class ResultLog(unittest.TextTestResult):
        def _record(self, test, status):
            if results:
                with open(results, "a") as f:
                    f.write(f"{status} {script}: {test.id().split('.', 1)[-1]}\n")

        def addSuccess(self, test):
            super().addSuccess(test)
            self._record(test, "PASS")

        def addFailure(self, test, err):
            super().addFailure(test, err)
            self._record(test, "FAIL")

        def addError(self, test, err):
            super().addError(test, err)
            # An error in setUpModule/setUpClass is reported on an
            # _ErrorHolder, not a test: it still counts as a FAIL line.
            self._record(test, "FAIL")

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            print(f"\n  {reason}", file=sys.stderr)

    return ResultLog
