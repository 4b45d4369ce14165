"""`tenderproof serve` and `tenderproof demo`: the API and the portal, with the deadline worker."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import threading
from typing import Annotated, Any

import typer

from tenderproof.app.publication import stale_stored_release
from tenderproof.app.service import Procurement
from tenderproof.instance import PUBLIC_URL_ENV, Settings
from tenderproof.scenario import demo as demo_setup

from .common import DataDir, Db, PublicUrl, close, err, fail, service_at, settings

WORKER_PERIOD = 1.0  # seconds between checks for due deadlines

def deadline_worker(p: Procurement, stop: threading.Event) -> None:
    """Fire due deadlines even when nobody calls the API (exactly once: see run_deadlines)."""
    while not stop.wait(WORKER_PERIOD):
        try:
            p.run_deadlines()
        except Exception as e:
            err.print(f"deadline worker: {e}", markup=False)


def serve(
    data_dir: DataDir = None,
    db: Db = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes (each with its own writer; "
                                                                "they take turns at the log)")] = 1,
    public_url: PublicUrl = None,
) -> None:
    """Serve the API, the portal and the log's tiles over HTTP for an existing data directory."""
    import uvicorn  # only here: the server is heavy to import, and every other command starts without it

    from .http11 import TimedH11Protocol, limits  # imports uvicorn too

    s = settings(data_dir, db, public_url)
    p = service_at(s)  # fail here, once, if the installation is unusable
    if stale := stale_stored_release(p):
        err.print(f"warning: stored OCDS releases link documents as {stale}, not under "
                  f"{p.document_base_url or 'ni:'}; run `tenderproof rebuild` with this --public-url", markup=False)
    close(p.log)
    try:
        lim = limits()
    except ValueError as e:
        fail(str(e))
    # The head of a request is at most 16 KiB (h11's default, stated): a bearer token and a few
    # headers need far less. Timeouts and the connection cap: see api.limits.Limits.
    server: dict[str, Any] = {
        "host": host, "port": port, "log_level": "warning", "http": TimedH11Protocol,
        "timeout_keep_alive": lim.keep_alive, "limit_concurrency": lim.connections,
        "h11_max_incomplete_event_size": 16 * 1024}
    if workers == 1:
        uvicorn.run(served_app(s), **server)
        return
    # Each worker process builds its own app from the environment (uvicorn starts them afresh).
    os.environ["TENDERPROOF_DATA_DIR"], os.environ["TENDERPROOF_DATABASE_URL"] = str(s.data_dir), s.db_url
    os.environ.pop(PUBLIC_URL_ENV, None)
    if s.public_url:
        os.environ[PUBLIC_URL_ENV] = s.public_url
    uvicorn.run(f"{__name__}:served_app", factory=True, workers=workers, **server)


def served_app(s: Settings | None = None):
    """The ASGI app of one server process, with its deadline worker."""
    from tenderproof.api import create_app  # only here: FastAPI is heavy to import, other commands need none of it
    from tenderproof.app import webhooks  # the delivery worker, beside the deadline worker
    from tenderproof.ledger import witness_push  # pushes each new checkpoint to the witnesses

    p = service_at(s or Settings.resolve())
    stop = threading.Event()
    threading.Thread(target=deadline_worker, args=(p, stop), daemon=True, name="deadline-worker").start()
    threading.Thread(target=webhooks.worker, args=(p, stop), daemon=True, name="webhook-worker").start()
    threading.Thread(target=witness_push.worker, args=(p.log, stop), daemon=True, name="witness-pusher").start()
    return create_app(p)


def _me() -> str:
    """How this command was invoked (e.g. .venv/bin/tenderproof), so the hint can be pasted."""
    arg0 = sys.argv[0]
    return shlex.quote(arg0) if arg0.endswith("tenderproof") else "tenderproof"


def demo(
    data_dir: DataDir = None,
    db: Db = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Set everything up, then stop")] = False,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    hours: Annotated[float, typer.Option(help="Hours until the sandbox tender's deadline")] = 3.0,
) -> None:
    """Replay JEDI and JWCC into a fresh data directory, open a live sandbox tender with demo accounts, serve."""
    s = settings(data_dir, db)
    if s.data_dir.exists() and db is None:
        shutil.rmtree(s.data_dir)
    info = demo_setup.setup(s, hours)
    base = f"http://{host}:{port}"
    typer.echo(f"JEDI replayed ({info.jedi_events} events), then JWCC ({info.jwcc_events}); sandbox tender "
               f"{info.sandbox} open until {info.deadline.isoformat()}")
    typer.echo(f"demo tokens (also in {s.data_dir / 'demo-accounts.json'}):")
    for pid, token in info.tokens.items():
        typer.echo(f"  {pid:16} {token}")
    typer.echo(f"\nportal:  {base}/\nAPI:     {base}/api/docs\nlog:     {base}/log/checkpoint")
    typer.echo("\nTry sealing and submitting a bid as the demo bidder ACME:")
    typer.echo(f"  mkdir -p my-bid && echo 'PRICE 199000' > my-bid/price.txt\n"
               f"  {_me()} bid submit my-bid --api {base} --token {info.tokens['acme']} --tender {info.sandbox}")
    if not no_serve:
        serve(data_dir, db, host, port)
