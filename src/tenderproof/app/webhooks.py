"""Webhooks: an API client subscribes a URL to a tender's, a buyer's or certain types of events,
and each new event is POSTed to it, signed, retried with exponential backoff until it is taken.

What is sent is the public envelope as logged (the change feed's JSON): it never names a bidder
before the opening (docs/architecture.md, "Who bid stays secret"), so a subscription needs no
grant, only a token. The signature follows the scheme Stripe uses for its webhooks:

    Tenderproof-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

A receiver recomputes v1 over the exact body with the secret it was shown once, compares in
constant time, and refuses a `t` far from its clock (`verify`), so a captured delivery cannot be
replayed later. Deliveries are rows (store/webhook_tables.py): a restart loses none; a process
claims one by moving its due time (compare-and-swap), so several processes send each once.

URLs that resolve to loopback, private, link-local or other non-global addresses are refused,
at subscription and again before every attempt (the name may resolve elsewhere by then), unless
TENDERPROOF_WEBHOOKS_ALLOW_PRIVATE=1; redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tenderproof.domain import InvalidCommand
from tenderproof.domain.commands.base import check_json
from tenderproof.domain.events import EventType
from tenderproof.domain.model import iso
from tenderproof.store.schema import events, tenders
from tenderproof.store.webhook_tables import webhook_cursor, webhook_deliveries, webhook_subscriptions

from .service import Procurement

ALLOW_PRIVATE_ENV = "TENDERPROOF_WEBHOOKS_ALLOW_PRIVATE"
SIGNATURE_HEADER = "Tenderproof-Signature"
MAX_SUBSCRIPTIONS = 100  # per person
MAX_URL = 2000
MAX_ATTEMPTS = 10  # then the delivery is failed: about 4 h 15 min after the event
FIRST_RETRY = timedelta(seconds=30)  # doubled after each failed attempt …
LONGEST_WAIT = timedelta(hours=6)  # … up to this
LEASE = timedelta(minutes=2)  # a claimed delivery is tried again after this if its process died
TIMEOUT = 10.0  # seconds for one attempt
SENDERS = 8  # subscriptions served at once
KEEP = timedelta(days=30)  # delivered and failed deliveries are kept this long, for their owners to read
TOLERANCE = 300  # seconds a receiver should accept between `t` and its own clock
_BATCH = 500  # events matched, or deliveries attempted, per step
_log = logging.getLogger(__name__)
#: The matching step's place, locked: a subscription and a step are never interleaved.
_CURSOR = sa.select(webhook_cursor.c.after).where(webhook_cursor.c.id == 1).with_for_update()

# --- subscriptions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    id: str
    url: str
    tender_id: str
    buyer_id: str
    event_types: list[str]
    created: str

    def matches(self, tender_id: str, buyer_id: str, event_type: str) -> bool:
        return ((not self.tender_id or self.tender_id == tender_id) and (not self.buyer_id or self.buyer_id == buyer_id)
                and (not self.event_types or event_type in self.event_types))


def _sub(row: Any) -> Subscription:
    return Subscription(row.id, row.url, row.tender_id, row.buyer_id, row.event_types.split(), row.created)


def allow_private() -> bool:
    return os.environ.get(ALLOW_PRIVATE_ENV) == "1"


def check_url(url: str) -> str:
    """`url` if it may receive deliveries: http(s), a host, no credentials, and (unless private
    addresses are allowed) every address it resolves to global (RFC 6890's special-purpose
    registries: loopback, private, link-local, shared, documentation … are not)."""
    check_json(url, "url")
    if len(url) > MAX_URL:
        raise InvalidCommand(f"the url is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise InvalidCommand(f"the url is not a URL: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidCommand("the url must be http:// or https:// with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidCommand("the url must not carry credentials (sign with the secret instead)")
    if allow_private():
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise InvalidCommand(f"the url's host {parts.hostname!r} does not resolve: {e}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise InvalidCommand(f"the url's host resolves to {address}, which is not a public address "
                                 f"(set {ALLOW_PRIVATE_ENV}=1 to allow it)")
    return url


def _check_filter(tender_id: str, buyer_id: str, event_types: Iterable[str]) -> list[str]:
    for value, what in ((tender_id, "tender id"), (buyer_id, "buyer id")):
        check_json(value, what)
        if len(value) > 200:
            raise InvalidCommand(f"the {what} is longer than 200 characters")
    types = list(dict.fromkeys(event_types))
    known = {e.value for e in EventType}
    if unknown := [t for t in types if t not in known]:
        raise InvalidCommand(f"unknown event types: {', '.join(map(repr, unknown[:5]))}")
    return types


def subscribe(p: Procurement, person_id: str, url: str, *, tender_id: str = "", buyer_id: str = "",
              event_types: Iterable[str] = ()) -> tuple[Subscription, str]:
    """A new subscription and its secret (shown once): events logged from now on that match it."""
    check_url(url)
    types = _check_filter(tender_id, buyer_id, event_types)
    s = webhook_subscriptions.c
    with p.db.writer.begin() as conn:
        if tender_id and conn.execute(sa.select(tenders.c.id).where(tenders.c.id == tender_id)).first() is None:
            raise InvalidCommand(f"no tender {tender_id}")
        owned = conn.execute(sa.select(sa.func.count()).where(s.person_id == person_id)).scalar() or 0
        if owned >= MAX_SUBSCRIPTIONS:
            raise InvalidCommand(f"at most {MAX_SUBSCRIPTIONS} subscriptions a person; delete one first")
        conn.execute(_CURSOR)  # PostgreSQL: no matching step runs between reading `after` and committing
        after = conn.execute(sa.select(sa.func.max(events.c.ledger_index))).scalar()
        sub = Subscription("wh_" + secrets.token_hex(8), url, tender_id, buyer_id, types, iso(p.clock()))
        secret = "whsec_" + secrets.token_urlsafe(32)
        conn.execute(sa.insert(webhook_subscriptions).values(
            id=sub.id, person_id=person_id, url=url, secret=secret, tender_id=tender_id, buyer_id=buyer_id,
            event_types=" ".join(types), after=-1 if after is None else after, created=sub.created))
    return sub, secret


def subscriptions(p: Procurement, person_id: str) -> list[Subscription]:
    s = webhook_subscriptions.c
    with p.db.reader.connect() as conn:
        return [_sub(r) for r in conn.execute(sa.select(webhook_subscriptions).where(s.person_id == person_id)
                                              .order_by(s.created, s.id))]


def unsubscribe(p: Procurement, person_id: str, sub_id: str) -> bool:
    """Delete a subscription of `person_id` and its deliveries; False if it has none by that id."""
    s, d = webhook_subscriptions.c, webhook_deliveries.c
    with p.db.writer.begin() as conn:
        gone = conn.execute(sa.delete(webhook_subscriptions).where(s.id == sub_id, s.person_id == person_id))
        if gone.rowcount:
            conn.execute(sa.delete(webhook_deliveries).where(d.subscription_id == sub_id))
        return bool(gone.rowcount)


@dataclass(frozen=True)
class Delivery:
    ledger_index: int
    state: str  # pending, delivered, failed
    attempts: int
    due: str
    last_error: str


def deliveries(p: Procurement, person_id: str, sub_id: str, limit: int = 100) -> list[Delivery] | None:
    """A subscription's newest deliveries; None if `person_id` has no subscription by that id."""
    s, d = webhook_subscriptions.c, webhook_deliveries.c
    with p.db.reader.connect() as conn:
        if conn.execute(sa.select(s.id).where(s.id == sub_id, s.person_id == person_id)).first() is None:
            return None
        rows = conn.execute(sa.select(d.ledger_index, d.state, d.attempts, d.due, d.last_error)
                            .where(d.subscription_id == sub_id).order_by(d.ledger_index.desc()).limit(limit))
        return [Delivery(int(r.ledger_index), r.state, int(r.attempts), r.due, r.last_error) for r in rows]


# --- signatures -------------------------------------------------------------------------------


def signature(secret: str, t: int, body: bytes) -> str:
    """The header's value: t=<t>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE) -> bool:
    """What a receiver does: the header's v1 is the HMAC of its t and this body, and t is recent."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        t = int(fields["t"])
    except (KeyError, ValueError):
        return False
    expected = signature(secret, t, body).split(",v1=")[1]
    return abs(now - t) <= tolerance and hmac.compare_digest(expected, fields.get("v1", ""))


# --- delivery ---------------------------------------------------------------------------------

#: Sends one delivery: (url, body, headers) -> None if the receiver took it (2xx), else why not.
Send = Callable[[str, bytes, dict[str, str]], str | None]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a redirect could lead anywhere
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str]) -> str | None:
    try:
        check_url(url)
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with _opener.open(req, timeout=TIMEOUT) as r:
            return None if 200 <= r.status < 300 else f"HTTP {r.status}"
    except InvalidCommand as e:
        return str(e)
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except (OSError, ValueError) as e:  # refused, reset, timed out, TLS, a malformed answer
        return f"{type(e).__name__}: {e}"[:500]


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, … at most 6 h."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


class Deliverer:
    """One step matches new events to subscriptions and makes the deliveries due; then tries
    every due one. The clock is the service's (tests move it; nothing here sleeps)."""

    def __init__(self, p: Procurement, send: Send = post) -> None:
        self.p, self.send = p, send
        self._pruned: datetime | None = None

    def step(self) -> int:
        """Match and attempt (and, hourly, forget old finished deliveries); how many attempts were made."""
        self.match()
        if self._pruned is None or self._now() - self._pruned >= timedelta(hours=1):
            self.prune()
        return self.attempt()

    def prune(self) -> int:
        """Delete delivered and failed deliveries last touched more than `KEEP` ago."""
        d, now = webhook_deliveries.c, self._now()
        with self.p.db.writer.begin() as conn:
            gone = conn.execute(sa.delete(webhook_deliveries).where(d.state != "pending",
                                                                    d.updated < iso(now - KEEP))).rowcount
        self._pruned = now
        return gone

    def _now(self) -> datetime:
        return self.p.clock()

    def match(self) -> None:
        e = events.c
        with self.p.db.writer.begin() as conn:
            cursor = conn.execute(_CURSOR).scalar()
            if cursor is None:
                conn.execute(sa.insert(webhook_cursor).values(id=1, after=-1))
                cursor = -1
            subs = [(_sub(r), int(r.after)) for r in conn.execute(sa.select(webhook_subscriptions))]
            if not subs:  # nothing to match: skip what is logged now (a subscription starts from its own time)
                new = conn.execute(sa.select(sa.func.max(e.ledger_index))).scalar()
                self._advance(conn, cursor, cursor if new is None else int(new))
                return
            rows = conn.execute(sa.select(e.ledger_index, e.tender_id, e.type).where(e.ledger_index > cursor)
                                .order_by(e.ledger_index).limit(_BATCH)).all()
            if not rows:
                return
            now, buyers = iso(self._now()), self._buyers(conn, {r.tender_id for r in rows})
            todo = [{"subscription_id": sub.id, "ledger_index": r.ledger_index, "state": "pending", "attempts": 0,
                     "due": now, "last_error": "", "updated": now}
                    for r in rows for sub, after in subs
                    if r.ledger_index > after and sub.matches(r.tender_id, buyers.get(r.tender_id, ""), r.type)]
            if todo:
                conn.execute(sa.insert(webhook_deliveries), todo)
            self._advance(conn, cursor, int(rows[-1].ledger_index))

    @staticmethod
    def _advance(conn: Connection, old: int, new: int) -> None:
        c = webhook_cursor.c
        if new != old and conn.execute(sa.update(webhook_cursor).where(c.id == 1, c.after == old)
                                       .values(after=new)).rowcount != 1:
            raise _Raced  # another process matched these events: undo ours

    @staticmethod
    def _buyers(conn: Connection, ids: set[str]) -> dict[str, str]:
        rows = conn.execute(sa.select(tenders.c.id, tenders.c.state).where(tenders.c.id.in_(sorted(ids))))
        return {r.id: json.loads(r.state)["buyer"].get("id", "") for r in rows}

    def attempt(self) -> int:
        d, s = webhook_deliveries.c, webhook_subscriptions.c
        now = self._now()
        with self.p.db.reader.connect() as conn:
            due = conn.execute(
                sa.select(d.id, d.due, d.attempts, d.ledger_index, d.subscription_id, s.url, s.secret,
                          events.c.envelope)
                .join(webhook_subscriptions, s.id == d.subscription_id)
                .join(events, events.c.ledger_index == d.ledger_index)
                .where(d.state == "pending", d.due <= iso(now)).order_by(d.due, d.id).limit(_BATCH)).all()
        by_sub: dict[str, list[Any]] = {}
        for r in due:
            by_sub.setdefault(r.subscription_id, []).append(r)
        # Each subscription's deliveries in order, on its own thread: a slow receiver holds up only itself.
        with ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="webhook-send") as pool:
            return sum(pool.map(lambda rows: self._send_all(rows, now), by_sub.values()))

    def _send_all(self, rows: list[Any], now: datetime) -> int:
        done = 0
        for r in rows:
            if not self._claim(r.id, r.due, now):
                continue  # another process has it
            body = json.dumps({"subscription": r.subscription_id, "index": r.ledger_index,
                               "envelope": json.loads(r.envelope)}, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json", "User-Agent": "tenderproof-webhooks",
                       SIGNATURE_HEADER: signature(r.secret, int(now.timestamp()), body),
                       "Tenderproof-Delivery": f"{r.subscription_id}/{r.ledger_index}"}
            self._record(r.id, r.attempts + 1, self.send(r.url, body, headers), now)
            done += 1
        return done

    def _claim(self, delivery_id: int, due: str, now: datetime) -> bool:
        d = webhook_deliveries.c
        with self.p.db.writer.begin() as conn:
            return conn.execute(sa.update(webhook_deliveries).where(d.id == delivery_id, d.due == due,
                                                                    d.state == "pending")
                                .values(due=iso(now + LEASE))).rowcount == 1

    def _record(self, delivery_id: int, attempts: int, error: str | None, now: datetime) -> None:
        if error is None:
            values: dict[str, Any] = {"state": "delivered", "last_error": ""}
        elif attempts >= MAX_ATTEMPTS:
            values = {"state": "failed", "last_error": error}
        else:
            values = {"due": iso(now + backoff(attempts)), "last_error": error}
        with self.p.db.writer.begin() as conn:
            conn.execute(sa.update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                         .values(attempts=attempts, updated=iso(now), **values))


class _Raced(Exception):
    pass


WORKER_PERIOD = 1.0  # seconds between steps


def worker(p: Procurement, stop: threading.Event, period: float = WORKER_PERIOD) -> None:
    """The delivery loop `tenderproof serve` runs beside the deadline worker."""
    deliverer = Deliverer(p)
    while not stop.wait(period):
        try:
            deliverer.step()
        except _Raced:
            pass
        except Exception:  # one bad step must not end the deliveries
            _log.exception("webhook worker")
