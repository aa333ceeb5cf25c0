import subprocess
import sys

import pytest

from joinedup.cli import COMMANDS, main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "joinedup.cli", *args],
                          capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_every_command_and_exit_codes():
    result = run_cli("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout
    assert "exit codes" in result.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(name):
    result = run_cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: joinedup " + name in result.stdout


def test_unknown_option_exits_2():
    result = run_cli("synth", "--no-such-option")
    assert result.returncode == 2


def test_user_error_is_one_line_with_its_exit_code(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    code = main(["calibrate", str(missing)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and "error" in err[0] and "nowhere" in err[0]


def test_a_reader_that_stops_early_is_not_an_error():
    """`joinedup ... | head`: output to a pipe whose reader has gone ends quietly."""
    code = ("import os, sys\n"
            "r, w = os.pipe(); os.close(r); os.dup2(w, 1)\n"
            "from joinedup.cli import main\n"
            "sys.exit(main(['plan']))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "BrokenPipeError" not in result.stderr
    assert result.returncode == 0
