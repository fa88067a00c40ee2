"""The demo is an extra: without Faker (pip install patronflow, no [demo]) its app is not
installed and everything else still runs."""

import os
import subprocess
import sys

from django.apps import apps

# A production install: Faker cannot be imported, as if it were not installed.
WITHOUT_FAKER = "import sys; sys.modules['faker'] = None; from patronflow.cli import main; main()"


def patronflow_without_faker(tmp_path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATRONFLOW_VAR_DIR": str(tmp_path)}
    environment.pop("PATRONFLOW_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_FAKER, *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_demo_app_is_installed_with_its_extra():
    assert apps.is_installed("patronflow.demo")


def test_without_the_extra_the_commands_run_without_the_demo(tmp_path):
    usage = patronflow_without_faker(tmp_path, "--help")
    assert usage.returncode == 0, usage.stderr
    assert "migrate" in usage.stdout

    commands = patronflow_without_faker(tmp_path, "manage", "help", "--commands")
    assert commands.returncode == 0, commands.stderr
    assert {"migrate", "tick", "report", "serve"} <= set(commands.stdout.split())
    assert "demo" not in commands.stdout.split()

    check = patronflow_without_faker(tmp_path, "manage", "check")
    assert check.returncode == 0, check.stderr


def test_without_the_extra_the_demo_says_how_to_install_it(tmp_path):
    result = patronflow_without_faker(tmp_path, "demo")
    assert result.returncode == 1
    assert "pip install 'patronflow[demo]'" in result.stderr
    assert not (tmp_path / "demo").exists()
