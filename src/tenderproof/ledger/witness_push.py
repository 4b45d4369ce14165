"""The log pushes each new checkpoint to its witnesses (C2SP tlog-witness, https://c2sp.org/tlog-witness).

A background thread (`worker`, started by `tenderproof serve`) polls the newest stored checkpoint,
a primary-key lookup, every `POLL` seconds. When it grows, every witness with a URL that is
behind gets an add-checkpoint request (`witnessing.witness_request`: the checkpoint plus a
consistency proof from the size the witness last cosigned), POSTed to URL/add-checkpoint, each
witness on its own thread with at most one request in flight, so a slow or dead witness delays
nobody else. The answers:

- 200: the cosignature lines; they are verified and attached (`witnessing.add_cosignatures`,
  which refuses a line from a known witness that does not verify: nothing of it is stored).
- 409 with `Content-Type: text/x.tlog.size`: the body is the size the witness holds; the request
  is built again from that size and sent once more (tlog-witness §add-checkpoint).
- anything else, a timeout or a refused connection: the error is kept, and the witness is asked
  again after a backoff that doubles with each failure in a row (BACKOFF_BASE … BACKOFF_MAX).

Nothing here holds the log's lock while waiting for a witness: the pusher reads committed
checkpoints and attaches cosignatures in its own short transactions, so a witness that is down
or lying never delays an append. Per witness it keeps, in memory, the last size it cosigned, the
last error and when it was last asked (`Pusher.status`, read-only snapshots for the log page;
`status_of(log)` finds the running pusher of a log). The ledger knows nothing of procurement.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import httpx
from sqlalchemy.engine import Connection

from . import witnessing
from .checkpoint import Checkpoint
from .log import Log
from .note import parse_note
from .policy import Policy

POLL = 0.15  # seconds between looks at the newest checkpoint
BACKOFF_BASE = 0.5  # seconds before the first retry of a failed witness
BACKOFF_MAX = 60.0
# connect 2 s; the rest of a request (send, answer) 3 s more, so one request takes at most 5 s.
TIMEOUT = httpx.Timeout(connect=2.0, write=1.0, read=2.0, pool=1.0)
SIZE_TYPE = "text/x.tlog.size"  # tlog-witness: the media type of a 409's body
MAX_ANSWER = 64 * 1024  # a cosignature is one line; a bigger answer is not a witness's


@dataclass(frozen=True)
class WitnessStatus:
    """What the pusher knows of one witness: read-only, a snapshot."""

    name: str
    url: str
    cosigned_size: int  # the largest checkpoint size it cosigned for this log
    last_attempt: float | None = None  # Unix time of the last request sent
    last_error: str | None = None  # None after a success
    failures: int = 0  # failed attempts in a row
    retry_at: float = 0.0  # time.monotonic() before which it is not asked again
    in_flight: bool = False  # a request to it is outstanding


class WitnessFailed(Exception):
    """One witness did not cosign; the message is what the status shows."""


class Pusher:
    """Pushes the log's checkpoints to its witnesses; `run` until `stop` is set."""

    def __init__(self, log: Log, client: httpx.Client | None = None, poll: float = POLL,
                 clock: Callable[[], float] = time.time) -> None:
        self.log = log
        self.client = client or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self.poll = poll
        self.clock = clock
        self.error: str | None = None  # the last failure of the pusher itself (e.g. the database)
        self._lock = threading.RLock()  # RLock: a `wait_for` predicate may read `status()`
        self._changed = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._status: dict[str, WitnessStatus] = {}
        self._busy: set[str] = set()
        self._policy: Policy | None = None
        self._seen = -1  # the checkpoint size the witness list was last read for
        self._cosigners: dict[int, set[str]] = {}
        self._cosigned = 0  # the largest size this pusher saw meet the quorum
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="witness-push")

    # --- reading ------------------------------------------------------------------------------

    def status(self) -> list[WitnessStatus]:
        with self._lock:
            return [replace(s, in_flight=s.name in self._busy) for _, s in sorted(self._status.items())]

    @property
    def cosigned_size(self) -> int:
        """The largest checkpoint size this pusher saw cosigned by the policy's quorum."""
        with self._lock:
            return self._cosigned

    def wait_cosigned(self, size: int, timeout: float) -> bool:
        """Wait until a checkpoint of `size` or more has met the quorum; False on timeout."""
        return self.wait_for(lambda: self._cosigned >= size, timeout)

    def wait_for(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait until `ready()` (called under the pusher's lock) holds after an answer or a
        failure; False on timeout."""
        with self._changed:
            return self._changed.wait_for(ready, timeout)

    # --- pushing ------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        _running[self.log] = self
        try:
            while not stop.is_set():
                try:
                    self.step()
                    self.error = None
                except Exception as e:  # the database may be away for a moment: keep going
                    self.error = f"{type(e).__name__}: {e}"
                self._wake.wait(self.poll)
                self._wake.clear()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self.client.close()

    def step(self) -> None:
        """One round: send the newest checkpoint to every witness that is behind and due."""
        with self.log.db.reader.connect() as conn:
            newest = self.log.store.checkpoint(conn)
            if newest is None:
                return
            size, note = newest
            if size != self._seen:
                self._reload(conn, size)
        now = time.monotonic()
        with self._changed:
            due = [s for s in self._status.values()
                   if s.name not in self._busy and s.cosigned_size < size and s.retry_at <= now]
            self._busy.update(s.name for s in due)
            self._changed.notify_all()
        for s in due:
            self._pool.submit(self._push, s.name, s.url, size, note)

    def _reload(self, conn: Connection, size: int) -> None:
        """Read the witnesses and the quorum again (new ones may have been added)."""
        urls = self.log.store.witness_urls(conn)
        sizes = {name: self.log.store.last_cosigned_size(conn, name) for name, url in urls.items() if url}
        pol = Policy.parse(witnessing.policy(self.log))
        with self._lock:
            self._policy = pol
            for name, url in urls.items():
                if not url:
                    self._status.pop(name, None)
                    continue
                old = self._status.get(name)
                if old is None:
                    self._status[name] = WitnessStatus(name, url, sizes[name])
                elif old.url != url:
                    self._status[name] = replace(old, url=url, retry_at=0.0)
            self._seen = size

    def _push(self, name: str, url: str, size: int, note: str) -> None:
        started = self.clock()
        try:
            with self._lock:
                old = self._status[name].cosigned_size
            lines = self._ask(name, url, note, old, size)
            accepted = witnessing.add_cosignatures(self.log, lines, size)
            if name not in accepted:
                raise WitnessFailed("its answer holds no cosignature of its own key")
        except Exception as e:  # WitnessFailed, LogError, httpx.HTTPError, or a surprise: kept, retried
            self._failed(name, started, e)
        else:
            self._cosigned_by(name, started, size)
        finally:
            with self._lock:
                self._busy.discard(name)
            self._wake.set()  # a newer checkpoint may be waiting for this witness

    def _ask(self, name: str, url: str, note: str, old: int, size: int) -> str:
        """POST add-checkpoint; on a 409 with the witness's size, once more from that size."""
        for attempt in range(2):
            body = witnessing.witness_request(self.log, name, old, checkpoint=note)
            r = self.client.post(url + "/add-checkpoint", content=body.encode(),
                                 headers={"Content-Type": "text/plain; charset=utf-8"})
            text = r.content[:MAX_ANSWER].decode("utf-8", "replace")
            if r.status_code == 200:
                return text
            if r.status_code == 409 and r.headers.get("content-type", "").startswith(SIZE_TYPE) and attempt == 0:
                held = text.strip()
                if not held.isdigit():
                    raise WitnessFailed(f"409 with a size that is not a number: {held[:40]!r}")
                if int(held) > size:
                    raise WitnessFailed(f"409: it holds size {held}, beyond this checkpoint's {size}")
                old = int(held)
                continue
            raise WitnessFailed(f"HTTP {r.status_code}: {text.strip()[:200]}")
        raise WitnessFailed(f"409 again after retrying from size {old}")

    def _failed(self, name: str, started: float, e: Exception) -> None:
        with self._changed:
            s = self._status[name]
            failures = s.failures + 1
            delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (failures - 1))
            message = str(e) or type(e).__name__
            self._status[name] = replace(s, last_attempt=started, last_error=message, failures=failures,
                                         retry_at=time.monotonic() + delay)
            self._changed.notify_all()

    def _cosigned_by(self, name: str, started: float, size: int) -> None:
        with self._changed:
            s = self._status[name]
            self._status[name] = replace(s, cosigned_size=max(s.cosigned_size, size), last_attempt=started,
                                         last_error=None, failures=0, retry_at=0.0)
            who = self._cosigners.setdefault(size, set())
            who.add(name)
            if self._policy is not None and size > self._cosigned and self._policy.quorum_met(who):
                self._cosigned = size
                self._cosigners = {k: v for k, v in self._cosigners.items() if k > size}
            self._changed.notify_all()


_running: weakref.WeakKeyDictionary[Log, Pusher] = weakref.WeakKeyDictionary()

#: How long a record export waits for its checkpoint's cosignatures: a bundle a court relies on
#: should carry the quorum's, but an export never hangs on a witness that is down.
COSIGN_WAIT = 5.0


def cosign_now(log: Log, note: str, timeout: float = COSIGN_WAIT) -> None:
    """A record export's cosign hook: have the witnesses cosign `note`'s checkpoint (attached to
    the stored checkpoint, where the export reads it) within `timeout`. The pusher running in this
    process is waited for until the quorum is met; elsewhere (the CLI) a pusher of its own asks
    every witness once and is waited for until each has answered or failed."""
    size = Checkpoint.parse(parse_note(note)[0]).size
    running = _running.get(log)
    pusher = running or Pusher(log)
    try:
        if running is None:
            pusher.step()
        pusher.wait_for(lambda: pusher._cosigned >= size or (running is None and not pusher._busy), timeout)
    finally:
        if running is None:
            pusher._pool.shutdown(wait=False, cancel_futures=True)


def status_of(log: Log) -> list[WitnessStatus] | None:
    """The witnesses' status from the pusher running for `log` in this process, or None."""
    pusher = _running.get(log)
    return None if pusher is None else pusher.status()


def worker(log: Log, stop: threading.Event) -> None:
    """The background worker `tenderproof serve` starts: push until `stop` is set."""
    Pusher(log).run(stop)
