#!/bin/sh
# The Debian packages whose commands the tests run for real, never downloaded at test time:
# chromium (browser tests of the staff application and the mails, driven by Playwright) and
# spamassassin (the mails' spam score). Each package is named after its command.
#
# Installs the missing ones with apt-get. Where it cannot (not root, no apt-get, apt-get
# failed) it says so; the tests that need them are then skipped with that reason
# (tests/conftest.py), except in CI (env CI set), where this is an error.
set -eu

missing=""
for command in chromium spamassassin; do
    command -v "$command" >/dev/null || missing="$missing $command"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
    problem="not root"
elif ! command -v apt-get >/dev/null; then
    problem="no apt-get on this machine"
else
    echo "== installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    # $missing unquoted: one word per package
    if apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 $missing >/dev/null; then
        exit 0
    fi
    problem="apt-get failed"
fi

echo "== cannot install the Debian packages$missing ($problem)." >&2
if [ -n "${CI:-}" ]; then
    echo "   CI runs every test: this is an error." >&2
    exit 1
fi
echo "   The tests that need them are skipped. To run them: sudo $0" >&2
