import uuid

import pytest


@pytest.fixture
def broker(settings, redis_url):
    """Settings pointing at Redis, with a queue of this test's own, removed afterwards."""
    import redis

    settings.BROKER_URL = redis_url
    settings.SEND_QUEUE = queue = f"pf-test-{uuid.uuid4().hex[:8]}"
    yield settings
    client = redis.Redis.from_url(redis_url)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()
