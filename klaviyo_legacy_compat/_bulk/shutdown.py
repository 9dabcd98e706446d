"""Shutdown of bulk mode: what a process holds is sent, or logged, before it ends.

Bulk mode answers a held ``track`` with the legacy ``1`` ("accepted for processing"). Without
a spool the item then lives in memory only, and a process stopped by SIGTERM or SIGINT would
lose it: Python's default for SIGTERM ends the process at once, without ``atexit``. So:

- :func:`shutdown` sends what every bulk-mode client of the process holds, within a bound
  (``shutdown_timeout``, 5 s by default: inside gunicorn's ``graceful_timeout`` and
  Kubernetes' grace period, both 30 s, and the 10 s of ``docker stop``), then stops holding
  (later calls are sent one by one) and logs at ERROR, payload and all, whatever it could
  not deliver. A spool keeps what is left instead. Worker frameworks call it from their exit
  hooks (README, "Bulk mode").
- When an item is first held in memory, SIGTERM and SIGINT handlers are installed (once per
  process, from the main thread, as :func:`signal.signal` requires) that run that shutdown
  and then pass the signal on to the handler installed before: the application's own is
  called; the default is restored and the signal raised again, so the process ends as it
  would have (SIGINT's default raises :class:`KeyboardInterrupt`); a signal the process
  ignores stays ignored, and is not watched.

A signal handler runs in the main thread between two bytecodes of whatever it was doing,
perhaps inside this library with one of its locks held. So the handler does no work: it
wakes a watcher thread, started with the handlers, and returns. The watcher runs the
shutdown while the main thread goes on (its bulk-mode calls wait for the end of the
shutdown, then are sent one by one), and then sends the signal to the main thread again,
whose handler now passes it on. A second signal during the shutdown ends it at once: what
is left is logged and the signal goes on (the operator really wants out).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import weakref
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from klaviyo_legacy_compat._core.config import OPTIONS, BatchMode

from .send import FlushReport

if TYPE_CHECKING:
    from .batching import Batcher

__all__ = ["LIVE", "arm", "memory_closed", "shutdown"]

logger = logging.getLogger("klaviyo_legacy_compat")

#: The signals a supervisor stops a process with: SIGTERM (Kubernetes, docker, systemd,
#: gunicorn's master) and SIGINT (Ctrl-C; gunicorn's quick shutdown).
SIGNALS = (signal.SIGTERM, signal.SIGINT)

_Handler = Union[Callable[[int, Optional[FrameType]], Any], int, signal.Handlers, None]

#: Every batcher not yet closed, which a shutdown sends (each adds itself: this module is
#: below bulk mode, which imports it, never the other way round).
LIVE: weakref.WeakSet[Batcher] = weakref.WeakSet()

#: A shutdown ran: no batcher holds anything in memory from then on, not even one made after
#: it (its calls are sent one by one), as the process is ending and its signal handlers have
#: had their turn. A spool stays safe to hold in.
_MEMORY_CLOSED = False


def memory_closed() -> bool:
    """Whether a shutdown ran, so that nothing may be held in memory any more."""
    return _MEMORY_CLOSED


#: One shutdown at a time: a worker's exit hook and a signal may both ask for one.
_RUNNING = threading.Lock()


def shutdown(timeout: Optional[float] = None) -> FlushReport:
    """Send what bulk mode holds, in every client of this process, within ``timeout``
    seconds (default: the largest ``shutdown_timeout`` configured, 5 s unless set), then
    stop holding: calls made later are sent one by one. Whatever could not be delivered is
    logged at ERROR with its payload (no key; the account label) when it was held in memory,
    and stays in the spool with ``spool_path``. Returns what happened, as a
    :class:`FlushReport` (``pending``: the items not delivered). Never raises for delivery.
    From then on nothing is held in memory in this process, by any client (the process is
    ending); a spool can still hold.

    For a worker framework's exit hook (gunicorn ``worker_exit``, Celery
    ``worker_process_shutdown``, uWSGI ``atexit``): see README, "Bulk mode". Not from a
    signal handler of your own: the handlers bulk mode installs already call yours after it.
    """
    if timeout is not None:
        timeout = float(OPTIONS["shutdown_timeout"].check("timeout", timeout))
    global _MEMORY_CLOSED
    with _RUNNING:
        _MEMORY_CLOSED = True
        batchers = [b for b in list(LIVE) if not b._closed]
        if timeout is None:
            timeout = max(
                (b.shutdown_timeout() for b in batchers), default=BatchMode().shutdown_timeout
            )
        deadline = time.monotonic() + timeout
        for batcher in batchers:
            batcher._begin_shutdown(deadline, _SIGNALS.hurried)
        drained = [_wait(batcher, deadline) for batcher in batchers]
        reports = [b._end_shutdown(done) for b, done in zip(batchers, drained)]
    return FlushReport(
        requests=sum(r.requests for r in reports),
        delivered=sum(r.delivered for r in reports),
        rejected=tuple(item for r in reports for item in r.rejected),
        pending=sum(r.pending for r in reports),
        error=next((r.error for r in reports if r.error is not None), None),
    )


def _wait(batcher: Batcher, deadline: float) -> bool:
    """Wait for ``batcher``'s sender to send what it holds: ``False`` when the deadline
    passed first, or the operator hurried the shutdown."""
    while not batcher._drained.wait(timeout=max(0.0, min(0.05, deadline - time.monotonic()))):
        if _SIGNALS.hurried() or time.monotonic() >= deadline:
            return False
    return True


def arm() -> bool:
    """Watch SIGTERM and SIGINT (bulk mode holds an item in memory). ``True`` once done, or
    once it is known it cannot be (the handlers can only be installed from the main thread:
    ``False`` until a call there asks)."""
    return _SIGNALS.arm()


_IDLE, _SHUTTING_DOWN, _DONE = "idle", "shutting down", "done"


class _Signals:
    """The SIGTERM and SIGINT handlers of the process, and their watcher thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: The handlers installed before ours, by signal; ``None`` until installed.
        self.previous: Optional[dict[int, _Handler]] = None
        self.phase = _IDLE
        self.hurry = False
        self.received: list[int] = []
        self._wake = threading.Event()
        self._watcher: Optional[threading.Thread] = None
        self._warned = False

    def hurried(self) -> bool:
        """A second signal came during the shutdown: end it now."""
        return self.hurry

    def arm(self) -> bool:
        with self._lock:
            if self.previous is None:
                if threading.current_thread() is not threading.main_thread():
                    if not self._warned:
                        self._warned = True
                        logger.warning(
                            "bulk mode holds items in memory, but it can watch SIGTERM and "
                            "SIGINT only from the main thread, and this call came from %r: "
                            "call klaviyo_legacy_compat.shutdown() from your worker's exit "
                            "hook (README, Bulk mode), or set spool_path",
                            threading.current_thread().name,
                        )
                    return False
                self.previous = self._install()
            if self.previous and (self._watcher is None or not self._watcher.is_alive()):
                self._watcher = threading.Thread(
                    target=self._watch, name="klaviyo-legacy-compat-signals", daemon=True
                )
                self._watcher.start()
            return True

    def _install(self) -> dict[int, _Handler]:
        installed: dict[int, _Handler] = {}
        for signum in SIGNALS:
            previous = signal.getsignal(signum)
            # Ignored stays ignored; None: a handler not set from Python, which cannot be
            # called on (left alone).
            if previous is None or previous == signal.SIG_IGN:
                continue
            try:
                signal.signal(signum, self._handle)
            except (ValueError, OSError) as exc:  # not the main interpreter, say
                logger.warning(
                    "bulk mode cannot watch %s (%s): call klaviyo_legacy_compat.shutdown() "
                    "before the process ends",
                    signal.Signals(signum).name,
                    exc,
                )
                continue
            installed[signum] = previous
        return installed

    def _handle(self, signum: int, frame: Optional[FrameType]) -> None:
        # The main thread, between two bytecodes of anything (maybe holding a lock of this
        # library): take no lock, do no work. The watcher does the work, then sends the
        # signal again, and this passes it on.
        if self.phase == _IDLE and self._watcher is not None and self._watcher.is_alive():
            self.received.append(signum)
            self.phase = _SHUTTING_DOWN
            self._wake.set()
        elif self.phase == _SHUTTING_DOWN:
            self.received.append(signum)
            self.hurry = True  # the operator really wants out
        else:
            self._pass_on(signum, frame)

    def _watch(self) -> None:
        self._wake.wait()
        try:
            shutdown()
        except BaseException:  # pragma: no cover - logged; the signal still goes on
            logger.exception("bulk mode: the shutdown on a signal failed")
        finally:
            self.phase = _DONE
            for signum in dict.fromkeys(self.received):
                _raise_in_main_thread(signum)

    def _pass_on(self, signum: int, frame: Optional[FrameType]) -> None:
        """To the handler that was there before: called, or the default action."""
        previous = (self.previous or {}).get(signum, signal.SIG_DFL)
        self.hurry = False
        _flush_logs()  # what the shutdown logged must be out before the process ends
        signal.signal(signum, previous)
        if previous == signal.SIG_DFL:
            signal.raise_signal(signum)  # ends the process, as the signal would have
        elif callable(previous):
            previous(signum, frame)

    def forked(self) -> None:
        """In a forked child: the handlers came along, the watcher did not; the child
        starts its own when it holds an item in memory."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._watcher = None
        self.phase, self.hurry, self.received = _IDLE, False, []


_SIGNALS = _Signals()

if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_SIGNALS.forked)


def _raise_in_main_thread(signum: int) -> None:
    """Deliver ``signum`` to the main thread, so that its handler runs now (a wait or a
    sleep there is interrupted), not whenever it next runs Python code."""
    if hasattr(signal, "pthread_kill"):
        signal.pthread_kill(threading.main_thread().ident or 0, signum)
    else:  # pragma: no cover - Windows: the handler runs in the main thread regardless
        signal.raise_signal(signum)


def _flush_logs() -> None:
    """Flush the handlers this library's log records go through."""
    log: Optional[logging.Logger] = logger
    while log is not None:
        for handler in log.handlers:
            with contextlib.suppress(Exception):
                handler.flush()
        log = log.parent if log.propagate else None
