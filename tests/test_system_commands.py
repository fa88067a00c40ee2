"""The commands from Debian's packages that some tests run (chromium, spamassassin): where
one is missing, its tests are skipped saying how to install it, except in CI, where the
missing command is an error, never a quiet skip."""

import pytest

from tests.conftest import system_command


def test_a_missing_command_skips_its_tests_outside_ci_saying_how_to_install_it(tmp_path):
    with pytest.raises(pytest.skip.Exception) as skipped:
        system_command("chromium", path=str(tmp_path), environ={})
    assert str(skipped.value) == (
        "chromium is missing: `sudo scripts/system-packages.sh` installs it"
    )


def test_a_missing_command_is_an_error_in_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="spamassassin is missing"):
        system_command("spamassassin", path=str(tmp_path), environ={"CI": "true"})


def test_a_command_on_the_path_is_used(tmp_path):
    command = tmp_path / "chromium"
    command.write_text("#!/bin/sh\n")
    command.chmod(0o755)
    assert system_command("chromium", path=str(tmp_path), environ={"CI": "true"}) == str(command)
