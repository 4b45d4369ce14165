"""`tenderproof monitor run`: an independent monitor of a log, over HTTP only."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.monitor import FetchError, Monitor, MonitorError, Watchlist
from tenderproof.monitor.alerts import Sinks
from tenderproof.monitor.gossip import gossip_app
from tenderproof.monitor.state import FEED_FILE

from .common import err, fail, text_or_file

app = typer.Typer(help="Follow a log as an independent monitor: consistency, gossip, a watchlist.",
                  no_args_is_help=True)


def _listen(address: str) -> socket.socket:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        fail(f"--serve {address!r} is not HOST:PORT", code=2)
    try:
        sock = socket.create_server((host.strip("[]"), int(port)))
    except OSError as e:
        fail(f"cannot listen on {address}: {e.strerror or e}", code=2)
    return sock


def _serve(sock: socket.socket, directory: Path) -> None:
    import uvicorn  # only here: most monitors publish nothing

    server = uvicorn.Server(uvicorn.Config(gossip_app(directory), log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()


@app.command()
def run(
    log: Annotated[str, typer.Option(help="The log's tlog-tiles prefix URL (…/log on a tenderproof server): "
                                          "checkpoint and tile/… are under it")],
    vkey: Annotated[str, typer.Option(help="The log's verifier key, or a file holding it "
                                           "(never fetched from the log)")],
    directory: Annotated[Path, typer.Option("--dir", help="The monitor's own directory (state, alerts.atom)")],
    watch: Annotated[Path | None, typer.Option(help="A watchlist (TOML or JSON): companies, officials, "
                                                    "classifications, buyers")] = None,
    peer: Annotated[list[str] | None, typer.Option(help="A peer's checkpoint URL (another monitor's "
                                                         "…/checkpoint, a witness's); repeatable")] = None,
    once: Annotated[bool, typer.Option(help="One round, then exit")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between rounds")] = 10.0,
    serve: Annotated[str | None, typer.Option(help="Publish GET /checkpoint (gossip) on HOST:PORT")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST each alert as JSON to this URL")] = None,
    json_lines: Annotated[bool, typer.Option("--json", help="Alerts as JSON lines")] = False,
) -> None:
    """Follow the log: each round checks its checkpoint against the last, reads and checks the new
    entries, compares with the peers, and prints one line per new alert."""
    try:
        watchlist = Watchlist.load(watch) if watch else None
        monitor = Monitor(directory, log, text_or_file(vkey), watchlist, peer or [])
        directory.mkdir(parents=True, exist_ok=True)
    except (MonitorError, ValueError, OSError) as e:
        fail(str(e), code=2)
    if webhook and not webhook.startswith(("http://", "https://")):
        fail(f"--webhook {webhook!r} is not an http:// or https:// URL", code=2)
    sinks = Sinks(directory / FEED_FILE, monitor.remote.url, monitor.origin, json_lines, webhook)
    if serve:
        _serve(_listen(serve), directory)
    while True:
        try:
            new = monitor.poll()
        except FetchError as e:
            if once:
                fail(str(e))
            err.print(f"error: {e}", markup=False, soft_wrap=True)
            new = monitor.take_new()
        sinks.send(new, monitor.state["alerts"], int(time.time()))
        if once:
            return
        time.sleep(interval)
