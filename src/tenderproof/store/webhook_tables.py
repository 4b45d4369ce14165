"""Webhook subscriptions and their deliveries (issue 13), on the one metadata (migration 0009).

Private state of the installation, never published and never dropped by a rebuild: a
subscription's secret signs its deliveries, so it is kept as given (it cannot be a hash), and
a delivery's state says what was sent where and whether it arrived.
"""

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, UniqueConstraint

from tenderproof.ledger.tables import metadata

#: One subscription of an API client: where to POST, which events (a tender, a buyer, event types;
#: empty: any), and from which ledger index on (the events logged before it was made are not sent).
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("person_id", String(100), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("tender_id", String(100), nullable=False, server_default=""),
    Column("buyer_id", String(200), nullable=False, server_default=""),
    Column("event_types", Text, nullable=False, server_default=""),  # space-separated EventType values
    Column("after", BigInteger, nullable=False),
    Column("created", String(30), nullable=False),
)

#: One event to one subscription. `state`: pending (due at `due`), delivered or failed (after the
#: last attempt); `attempts` so far and what the last one got.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", String(40), nullable=False),
    Column("ledger_index", BigInteger, nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("due", String(30), nullable=False, index=True),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("updated", String(30), nullable=False),
    UniqueConstraint("subscription_id", "ledger_index", name="uq_webhook_deliveries_event"),
)

#: One row: the ledger index up to which events have been matched against the subscriptions.
webhook_cursor = Table(
    "webhook_cursor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("after", BigInteger, nullable=False),
)

WEBHOOK_TABLES = (webhook_subscriptions, webhook_deliveries, webhook_cursor)
