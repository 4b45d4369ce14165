"""The log page shows what the log's pusher sees of each witness: a witness that is down shows as
failing there (and holds up nothing else), one that answers as answering."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from tenderproof.app.service import Procurement
from tenderproof.instance import init
from tenderproof.ledger import witness_push, witnessing
from tenderproof.ledger.cosignature import CosignatureSigner

from ..live_server import dead_url
from .conftest import portal_app


def test_a_witness_that_is_down_shows_as_failing_on_the_log_page(settings):
    p = Procurement(init(settings, origin="witnessed.tenderproof.localhost/log"), settings.data_dir)
    url = dead_url()
    witness = CosignatureSigner.generate("witness.example.org/down")
    witnessing.add_witness(p.log, witness.vkey, url)
    client = TestClient(portal_app(p))
    assert "Pushed to" not in client.get("/log").text  # no pusher in this process yet
    pusher, stop = witness_push.Pusher(p.log, poll=0.05), threading.Event()
    thread = threading.Thread(target=pusher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        p.log.append([b"an entry"])
        p.log.checkpoint()
        assert pusher.wait_for(lambda: any(s.failures for s in pusher.status()), timeout=30)
        html = client.get("/log").text
        assert "Pushed to" in html and f"<code>{url}</code>: <strong>failing</strong>" in html
        # Appending never waited for the witness: the log grew while it was failing.
        p.log.append([b"another entry"])
        assert p.log.head().size == 2
    finally:
        stop.set()
        thread.join(timeout=30)
        p.log.db.dispose()
