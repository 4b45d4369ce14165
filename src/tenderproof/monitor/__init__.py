"""An independent monitor of a log: follows it over HTTP only (its checkpoint and C2SP tiles),
checks every checkpoint against the last and every entry against the checkpoints, compares its
view with other monitors' and witnesses' (gossip), watches the events for names someone cares
about, and raises alerts (stdout, a webhook, an Atom feed). Its state is in its own directory,
so it resumes after a restart; it imports only the ledger's client-side code and `fsutil`.
"""

from __future__ import annotations

from .follow import Monitor
from .remote import FetchError, Remote
from .state import Alert, MonitorError
from .watch import Watchlist

__all__ = ["Alert", "FetchError", "Monitor", "MonitorError", "Remote", "Watchlist"]
