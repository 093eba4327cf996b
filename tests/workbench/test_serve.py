"""`warrant serve`: prints the URL it serves (on the loopback unless told otherwise), and refuses a missing case."""

import subprocess
import sys
import urllib.request

from click.testing import CliRunner

from engine.cli import main


def test_serve_prints_its_url_and_serves_the_case(hostile_case):
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", str(hostile_case), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"Warrant workbench for {hostile_case} (read-only, reading as owner): "
                               "http://127.0.0.1:"), line
        url = line.split(": ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200 and b"run-000002" in response.read()
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_refuses_a_principal_the_case_file_does_not_know(hostile_case):
    result = CliRunner().invoke(main, ["--as", "nobody", "serve", "--db", str(hostile_case), "--port", "0"])
    assert result.exit_code == 2 and "A001" in result.output and "no principal named 'nobody'" in result.output


def test_serve_refuses_a_missing_case_file(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "S004" in result.output and "no such case file" in result.output
