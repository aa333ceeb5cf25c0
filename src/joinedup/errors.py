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
    """A problem the user can fix. Printed as one line, no traceback.

    Where it applies, the error names where the problem is (`file`, `line`, `column`) and the
    contract or plan `rule` broken, as fields a web page or a JSON answer can use; the line
    printed starts with them: "F, line L, column C (rule R): message". Never a value."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.file, self.line, self.column, self.rule = (
            message, file, line, column, rule,
        )  # fmt: skip

    def __str__(self) -> str:
        where = [str(self.file)] if self.file else []
        where += [f"line {self.line}"] if self.line is not None else []
        where += [f"column {self.column}"] if self.column else []
        place = ", ".join(where) + (f" (rule {self.rule})" if self.rule else "")
        return f"{place}: {self.message}" if place else self.message

    def to_dict(self) -> dict:
        fields = {"file": self.file, "line": self.line, "column": self.column, "rule": self.rule}
        return {"error": self.message, "exit_code": self.exit_code} | {
            k: v for k, v in fields.items() if v is not None
        }


class BadOption(UserError):
    """A command line argparse accepts but the command cannot use (an option without another)."""

    exit_code = 2


class BadInput(UserError):
    exit_code = 3


class CheckFailed(UserError):
    exit_code = 4


class StoreError(UserError):
    exit_code = 5
