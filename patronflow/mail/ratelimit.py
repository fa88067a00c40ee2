"""How fast mail may go to one SMTP server: per process, or shared by every worker via Redis.

Providers count messages per second over all connections of an account. A per-process limit
lets N worker processes send N times the rate, so with a Redis URL every process takes its
turn from one schedule kept in Redis instead: the next free moment per server, advanced
atomically by a Lua script (GCRA without burst), on Redis's clock so that workers on
machines whose clocks differ still share it. Without Redis, or while it cannot be reached,
each process spaces its own mails.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

import redis

log = logging.getLogger(__name__)

_REDIS_SCHEMES = {"redis", "rediss", "unix"}

# KEYS[1]: the server's next free moment, in microseconds on Redis's clock.
# ARGV[1]: microseconds between two messages. Returns the microseconds this caller waits.
# Numbers are written with %d: Lua would print 16 digits as 1.7e+15 and lose the precision.
_TAKE_TURN = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local turn = tonumber(redis.call('GET', KEYS[1]) or '0')
if turn < now then turn = now end
local after = turn + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', after),
           'PX', string.format('%d', math.ceil((after - now) / 1000) + 1000))
return turn - now
"""


class Throttle:
    """At most `rate` messages a second from this process (0: no limit), spaced evenly:
    providers count bursts."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class SharedThrottle:
    """At most `rate` messages a second to one server from all processes sharing a Redis."""

    def __init__(self, server: str, rate: float, redis_url: str) -> None:
        self.interval = 1 / rate
        self.key = f"patronflow:smtp-rate:{server}"
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._take_turn = client.register_script(_TAKE_TURN)
        self._fallback = Throttle(rate)
        self._degraded = False

    def wait(self) -> None:
        try:
            wait_us = self._take_turn(keys=[self.key], args=[round(self.interval * 1_000_000)])
        except redis.RedisError as error:
            if not self._degraded:
                log.warning("shared SMTP rate limit unavailable, limiting per process: %s", error)
                self._degraded = True
            self._fallback.wait()
            return
        if self._degraded:
            log.warning("shared SMTP rate limit available again")
            self._degraded = False
        if wait_us > 0:
            time.sleep(wait_us / 1_000_000)


_throttles: dict[tuple[str, float, str], Throttle | SharedThrottle] = {}
_lock = threading.Lock()


def throttle_for(server: str, rate: float, redis_url: str = "") -> Throttle | SharedThrottle:
    """This process's throttle for `server` ("host:port"), shared by every session to it;
    kept in Redis when `redis_url` is a Redis URL and there is a limit."""
    shared = redis_url if rate > 0 and urlsplit(redis_url).scheme in _REDIS_SCHEMES else ""
    key = (server, rate, shared)
    with _lock:
        if key not in _throttles:
            _throttles[key] = SharedThrottle(server, rate, shared) if shared else Throttle(rate)
        return _throttles[key]
