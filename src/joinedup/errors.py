"""Two error families (STYLE.md): user errors print one clear line and exit with a documented
code; anything else is an internal error and keeps its traceback.

Exit codes (documented in README.md and `joinedup --help`):
  0  success
  1  internal error (a bug: please report it with the traceback)
  2  bad command line (unknown option, missing argument)
  3  bad input: a file or folder that is missing, unreadable or not what the contract expects
  4  a check failed (calibration, linkage quality or another measured bar was not met)
  5  a warehouse or vault problem (missing, locked, or from an incompatible version)

Messages never include patient identifiers: name the file, line, column and rule, not the value.
"""


class UserError(Exception):
    """A problem the user can fix. Printed as one line, no traceback."""

    exit_code = 3


class BadInput(UserError):
    exit_code = 3


class CheckFailed(UserError):
    exit_code = 4


class StoreError(UserError):
    exit_code = 5
