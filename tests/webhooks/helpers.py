"""Subscriptions for the tests, and the receiver's signature check exactly as docs/webhooks.md
gives it to the library systems."""

import re
from pathlib import Path

from patronflow import notices
from patronflow.webhooks.models import Subscription
from patronflow.webhooks.signing import new_secret
from tests.conftest import subprocess_environment

DOC = Path(__file__).parents[2] / "docs" / "webhooks.md"


def subscribe(library, url: str, kinds=notices.KINDS, **fields) -> Subscription:
    return Subscription.objects.create(
        library=library, url=url, kinds=list(kinds), secret=new_secret(), **fields
    )


def documented_verify():
    """The `verify` function of the docs' Python recipe."""
    [code] = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict = {}
    exec(code, namespace)  # the documented recipe, run as a receiver would
    return namespace["verify"]


def deliverer_environment() -> dict[str, str]:
    """A `patronflow webhooks` process's environment, allowed to post to this machine's
    receivers."""
    return subprocess_environment() | {"PATRONFLOW_WEBHOOKS_ALLOW_PRIVATE": "1"}
