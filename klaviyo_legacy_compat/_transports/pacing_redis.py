"""Pacing shared by every process and host through Redis: one rate budget per account.

Klaviyo counts requests per account (new-api.md §6.1: "private-key integrations share one
quota per account"), however many worker processes send them. A :class:`~._pacing.Pacer`
in each process, each pacing alone at the full limit, overshoots that budget by the number
of processes. :class:`RedisPacer` runs the same algorithm as :class:`~._pacing.Pacer`
(sliding burst and steady windows a few percent longer than Klaviyo's, first come first
served, ``RateLimit-Remaining``/``RateLimit-Reset`` hints, holds after a 429, throttled slots
given back) with its state in Redis, so every process that uses the same Redis and account
books from one budget.

Each operation is one Lua script (``EVALSHA``, loaded by redis-py's ``register_script``),
so a booking reads and updates a lane atomically: Redis runs one script at a time. Time is
Redis's own clock (``TIME``) inside the scripts, so hosts whose clocks disagree still agree
on the windows; scripts return waits in seconds, which each process sleeps on its own clock.

A lane is three keys under one hash tag (one Redis Cluster slot):
``<prefix>:{<account>:<operation>}:burst`` and ``...:steady`` are sorted sets of booked
slots (score: the slot's time), trimmed on every booking; ``...:state`` is a hash (last slot,
hold, the server's hint). The account is :func:`~._transport.account_of`'s digest, never a
key. Every write sets the keys to expire one steady window after the latest time they
mention, so idle lanes leave nothing behind.

When Redis cannot be reached (refused, timed out, loading, read-only or out of memory), the
pacer falls back to in-process pacing (its :class:`~._pacing.Pacer` base) with a WARNING,
and tries Redis again after ``recheck_after`` seconds; it logs again when Redis is back. A
request is never held up by a Redis outage, and the outage is never silent. A wrong or
missing user name or password, and any other refusal (a script error, an ACL that forbids
``EVALSHA``), is a misconfiguration that falling back would hide: it raises
:class:`~._errors.ConfigurationError`.

``redis`` (redis-py) is an optional extra, ``pip install klaviyo-legacy-compat[redis]``,
imported only when a :class:`RedisPacer` is built.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Optional

from klaviyo_legacy_compat._core.credentials import safe_url
from klaviyo_legacy_compat._core.endpoints import endpoint
from klaviyo_legacy_compat._core.errors import ConfigurationError
from klaviyo_legacy_compat._core.models import RawResponse

from .pacing import Pacer, rate_limit_hint

if TYPE_CHECKING:
    import redis
    from redis.commands.core import Script

__all__ = ["DEFAULT_PREFIX", "RECHECK_SECONDS", "RedisPacer"]

logger = logging.getLogger("klaviyo_legacy_compat")

#: The first part of every key this library writes to Redis.
DEFAULT_PREFIX = "klaviyo-legacy-compat"

#: Seconds between attempts to reach Redis again after it failed (real seconds: a Redis
#: outage has nothing to do with the rate-limit windows' ``time_scale``).
RECHECK_SECONDS = 5.0

#: A Redis that does not answer within this many seconds is treated as down: pacing must
#: not hold a request up for longer than Klaviyo's own burst window (new-api.md §6.1).
REDIS_TIMEOUT = 1.0

_INSTALL = "pip install klaviyo-legacy-compat[redis]"

# Run at the start of every script. ``TIME`` is Redis's clock, shared by every host (before
# Redis 5 a script must switch to effects replication to write after reading it; later
# versions always do). ``keep`` sets every key of the lane to expire one steady window
# after the latest time the lane mentions (its last slot, a hold, the server's hint), so a
# slot booked far ahead is still counted when its time comes. Numbers travel as "%.17g"
# strings: Lua's own tostring keeps only 14 digits, too few for epoch microseconds.
_PRELUDE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = KEYS[3]
local function fmt(x) return string.format('%.17g', x) end
local function num(x) if x then return tonumber(x) end return nil end
local function keep(steady_window)
  local s = redis.call('HMGET', state, 'last', 'held', 'until')
  local latest = now
  for i = 1, 3 do
    local v = num(s[i])
    if v and v > latest then latest = v end
  end
  local ms = math.ceil((latest - now + steady_window) * 1000)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ms) end
end
"""

# ARGV: burst limit, steady limit, burst window, steady window (seconds, margins included).
# Returns {wait, slot}. The same steps as Pacer.book, in the same order.
_BOOK = (
    _PRELUDE
    + """
local burst, steady = tonumber(ARGV[1]), tonumber(ARGV[2])
local burst_window, steady_window = tonumber(ARGV[3]), tonumber(ARGV[4])
local s = redis.call('HMGET', state, 'last', 'held', 'remaining', 'until')
-- First come, first served: never before the last slot booked, nor during a hold.
local slot = math.max(now, num(s[1]) or now, num(s[2]) or now)
local function room(key, limit, window)
  -- A slot older than one window cannot hold back one at or after now, and only the
  -- limit-th latest slot matters: drop the rest (what Pacer's bounded deques do).
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. fmt(now - window))
  redis.call('ZREMRANGEBYRANK', key, 0, -limit - 1)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    slot = math.max(slot, tonumber(oldest[2]) + window)
  end
end
room(KEYS[1], burst, burst_window)
room(KEYS[2], steady, steady_window)
-- Klaviyo's own count of the steady window (RateLimit-Remaining, new-api.md §6.4) covers
-- the whole account: spend it, then wait for its reset.
local remaining, till = num(s[3]), num(s[4])
if remaining ~= nil and till ~= nil and slot < till then
  if remaining <= 0 then
    slot = till
    redis.call('HDEL', state, 'remaining')
  else
    redis.call('HSET', state, 'remaining', fmt(remaining - 1))
  end
end
-- Members must be unique (several bookings can share one slot time): a lane counter.
local id = redis.call('HINCRBY', state, 'seq', 1)
redis.call('ZADD', KEYS[1], fmt(slot), id)
redis.call('ZADD', KEYS[2], fmt(slot), id)
redis.call('HSET', state, 'last', fmt(slot))
keep(steady_window)
return {fmt(slot - now), fmt(slot)}
"""
)

# ARGV: requests remaining, seconds to reset, steady window.
_OBSERVE = (
    _PRELUDE
    + """
redis.call('HSET', state, 'remaining', ARGV[1],
           'until', fmt(now + math.max(0, tonumber(ARGV[2]))))
keep(tonumber(ARGV[3]))
return 1
"""
)

# ARGV: the slot (as book returned it), steady window. A throttled attempt is not counted
# by Klaviyo (new-api.md §6.4); its slot is free again. One entry per window, as Pacer does.
_RELEASE = (
    _PRELUDE
    + """
for i = 1, 2 do
  local found = redis.call('ZRANGEBYSCORE', KEYS[i], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
  if #found > 0 then redis.call('ZREM', KEYS[i], found[1]) end
end
return 1
"""
)

# ARGV: seconds to hold, steady window. After a 429 nothing goes out until Klaviyo's wait
# has passed, in any process.
_HOLD = (
    _PRELUDE
    + """
local held = num(redis.call('HGET', state, 'held')) or now
redis.call('HSET', state, 'held', fmt(math.max(held, now + tonumber(ARGV[1]))))
keep(tonumber(ARGV[2]))
return 1
"""
)


def _import_redis() -> Any:
    try:
        importlib.import_module("redis.backoff")
        importlib.import_module("redis.retry")
        return importlib.import_module("redis")
    except ImportError:
        raise ConfigurationError(
            f"rate_limit_redis_url is set but the redis package is not installed: {_INSTALL}"
        ) from None


class RedisPacer(Pacer):
    """A :class:`~._pacing.Pacer` whose windows live in Redis at ``url``, shared by every
    process and host that uses the same Redis, ``prefix`` and account.

    ``time_scale`` shrinks the windows as for :class:`~._pacing.Pacer`. Waits and slots are
    in Redis's time; :meth:`release` takes a slot exactly as :meth:`book` returned it.
    ``client`` (a ``redis.Redis``) replaces the one built from ``url``. ``clock`` only
    times the fallback (the base class's in-process pacing) and ``recheck_after``.
    """

    def __init__(
        self,
        url: str,
        *,
        time_scale: float = 1.0,
        prefix: str = DEFAULT_PREFIX,
        enabled: bool = True,
        recheck_after: float = RECHECK_SECONDS,
        client: Optional[redis.Redis] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(time_scale=time_scale, clock=clock, enabled=enabled)
        module = _import_redis()
        self.url = safe_url(url)
        self.prefix = prefix
        self.recheck_after = recheck_after
        if client is None:
            try:
                client = module.Redis.from_url(
                    url,
                    socket_timeout=REDIS_TIMEOUT,
                    socket_connect_timeout=REDIS_TIMEOUT,
                    # One quick retry when a pooled connection has gone stale (a Redis
                    # restart); none after a timeout, which already cost REDIS_TIMEOUT.
                    # redis-py's default backs off for seconds.
                    retry=module.retry.Retry(
                        module.backoff.NoBackoff(), 1, (module.exceptions.ConnectionError,)
                    ),
                )
            except ValueError:
                raise ConfigurationError(
                    f"rate_limit_redis_url: not a Redis URL: {self.url}"
                ) from None
        self.client: redis.Redis = client
        self._scripts: dict[str, Script] = {
            name: client.register_script(text)
            for name, text in (
                ("book", _BOOK),
                ("observe", _OBSERVE),
                ("release", _RELEASE),
                ("hold", _HOLD),
            )
        }
        exceptions = module.exceptions
        # Redis turned the credentials down: no wait will fix that, so it is a
        # misconfiguration, not an outage. Checked before _unreachable because
        # AuthenticationError is a ConnectionError; redis-py raises the WrongNumberOfArgs
        # one when a user name is given to a Redis older than 6 (absent from some versions).
        self._rejected: tuple[type[BaseException], ...] = tuple(
            getattr(exceptions, name)
            for name in ("AuthenticationError", "AuthenticationWrongNumberOfArgsError")
            if hasattr(exceptions, name)
        )
        # Redis is away or cannot take writes for now: fall back. BusyLoadingError is a
        # ConnectionError.
        self._unreachable: tuple[type[BaseException], ...] = (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            exceptions.ReadOnlyError,
            exceptions.OutOfMemoryError,
        )
        self._refused: type[BaseException] = exceptions.RedisError
        self._state_lock = threading.Lock()
        self._down_until = float("-inf")
        self._degraded = False

    def keys(self, operation: str, account: str = "") -> list[str]:
        """The lane's Redis keys: burst set, steady set, state hash."""
        lane = f"{self.prefix}:{{{account or '-'}:{operation}}}"
        return [f"{lane}:burst", f"{lane}:steady", f"{lane}:state"]

    @property
    def degraded(self) -> bool:
        """True while Redis is unreachable and pacing is in-process only."""
        return self._degraded

    def _run(self, name: str, operation: str, account: str, args: list[Any]) -> Optional[Any]:
        """Run script ``name`` on the lane; ``None`` when Redis is unreachable (the caller
        falls back to in-process pacing)."""
        if self.clock() < self._down_until:
            return None
        try:
            result = self._scripts[name](keys=self.keys(operation, account), args=args)
        except self._rejected as exc:
            # Redis's replies (WRONGPASS, NOAUTH, ...) never repeat the password, and the
            # URL is shown without it.
            raise ConfigurationError(
                f"rate-limit Redis at {self.url} rejected the user name or password in "
                f"rate_limit_redis_url ({type(exc).__name__}: {exc})"
            ) from exc
        except self._unreachable as exc:
            with self._state_lock:
                self._down_until = self.clock() + self.recheck_after
                first = not self._degraded
                self._degraded = True
            if first:
                logger.warning(
                    "rate-limit Redis at %s unreachable (%s: %s): pacing in this process "
                    "only, at each endpoint's full limit, until it answers again (retried "
                    "every %.0f s)",
                    self.url,
                    type(exc).__name__,
                    exc,
                    self.recheck_after,
                )
            return None
        except self._refused as exc:
            raise ConfigurationError(
                f"rate-limit Redis at {self.url} refused the pacing script "
                f"({type(exc).__name__}: {exc})"
            ) from exc
        if self._degraded:
            with self._state_lock:
                recovered, self._degraded = self._degraded, False
            if recovered:
                logger.warning(
                    "rate-limit Redis at %s answers again: pacing shared again", self.url
                )
        return result

    def book(self, operation: str, account: str = "") -> tuple[float, float]:
        """Book the next slot for ``operation`` in the shared budget: (seconds to wait,
        the slot's time in Redis's clock)."""
        if not self.enabled:
            return super().book(operation, account)
        row = endpoint(operation)
        result = self._run(
            "book",
            operation,
            account,
            [row.burst, row.steady, repr(self._burst_window), repr(self._steady_window)],
        )
        if result is None:
            return super().book(operation, account)
        wait, slot = (float(value) for value in result)
        return max(0.0, wait), slot

    def observe(self, operation: str, response: RawResponse, account: str = "") -> None:
        """Learn from a response: Klaviyo's count of what is left in the steady window, for
        every process."""
        hint = rate_limit_hint(response) if self.enabled else None
        if hint is None:
            return
        left, seconds = hint
        args = [left, repr(seconds), repr(self._steady_window)]
        if self._run("observe", operation, account, args) is None:
            super().observe(operation, response, account)

    def release(self, operation: str, slot: float, account: str = "") -> None:
        """Give back a slot Klaviyo did not count (a 429, or a request never sent)."""
        if not self.enabled:
            return
        args = [repr(slot), repr(self._steady_window)]
        if self._run("release", operation, account, args) is None:
            super().release(operation, slot, account)

    def hold(self, operation: str, seconds: float, account: str = "") -> None:
        """Let nothing through for ``operation`` for ``seconds``, in any process."""
        if not self.enabled:
            return
        args = [repr(max(0.0, seconds)), repr(self._steady_window)]
        if self._run("hold", operation, account, args) is None:
            super().hold(operation, seconds, account)

    def __repr__(self) -> str:
        # The redis client it holds shows the password in its own repr (redis-py < 8).
        return f"<RedisPacer {self.url} prefix={self.prefix!r} degraded={self.degraded}>"

    def close(self) -> None:
        """Close the connections to Redis."""
        self.client.close()
