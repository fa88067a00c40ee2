import pytest


@pytest.fixture
def receivers_on_this_machine(settings):
    """The operator's PATRONFLOW_WEBHOOKS_ALLOW_PRIVATE, for the tests' receivers, which
    listen on 127.0.0.1."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
