"""`tenderproof witness …`: run an independent witness that cosigns a log's checkpoints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tenderproof.witness import Witness, WitnessConflict, WitnessError

from .common import fail, text_or_file

app = typer.Typer(help="Run a witness that cosigns the log's checkpoints.", no_args_is_help=True)

WitnessDir = Annotated[
    Path, typer.Option("--dir", envvar="TENDERPROOF_WITNESS_DIR", help="The witness's own directory"),
]


@app.command()
def init(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. witness.example.org/w1")],
    directory: WitnessDir = Path("./tenderproof-witness"),
) -> None:
    """Create the witness's key and state (idempotent); print its verifier key."""
    typer.echo(Witness.init(directory, name).vkey)


@app.command()
def trust(
    vkey: Annotated[str, typer.Argument(help="The log's verifier key, or a file holding it")],
    directory: WitnessDir = Path("./tenderproof-witness"),
) -> None:
    """Trust a log's key: the witness will cosign that log's checkpoints."""
    key = text_or_file(vkey)
    origin = Witness(directory).trust_log(key)
    typer.echo(f"trusting log {origin}")


@app.command()
def cosign(
    request: Annotated[Path, typer.Argument(help="An add-checkpoint request body; - for stdin")] = Path("-"),
    directory: WitnessDir = Path("./tenderproof-witness"),
) -> None:
    """Handle one add-checkpoint request: print the cosignature, or refuse (exit 1)."""
    body = sys.stdin.buffer.read() if str(request) == "-" else request.read_bytes()
    try:
        typer.echo(Witness(directory).add_checkpoint(body), nl=False)
    except WitnessConflict as e:
        fail(f"{e.status} conflict: {e} (witness holds size {e.size})")
    except WitnessError as e:
        fail(f"{e.status} refused: {e}")


@app.command()
def show(directory: WitnessDir = Path("./tenderproof-witness")) -> None:
    """Show the witness's key, the logs it follows and any evidence of misbehaviour it holds."""
    w = Witness(directory)
    state = w.state()
    typer.echo(f"witness {w.signer.name}\nverifier key: {w.vkey}")
    for origin, log in sorted(state["logs"].items()):
        typer.echo(f"log {origin}: latest cosigned size {log['size']}, root {log['root'] or '-'}")
    for ev in state["evidence"]:
        typer.echo(f"EVIDENCE {ev['origin']}: {ev['reason']} (at {ev['time']})")


@app.command()
def serve(
    directory: WitnessDir = Path("./tenderproof-witness"),
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port)")] = 7380,
) -> None:
    """Serve C2SP tlog-witness over HTTP: POST /add-checkpoint, GET / and GET /evidence."""
    import socket

    import uvicorn  # only here: the server is heavy to import, and every other command starts without it

    from tenderproof.witness.server import create_app

    from .http11 import TimedH11Protocol, limits  # imports uvicorn too

    try:
        w = Witness(directory)
        lim = limits()
    except (WitnessError, ValueError) as e:
        fail(str(e))
    # Bound before it is announced, so whoever reads the line can connect at once (also for --port 0).
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.create_server((host, port), family=family, backlog=128)
    except OSError as e:
        fail(f"cannot listen on {host}:{port}: {e.strerror}")
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"witness {w.name} serving on http://{shown}:{bound}")
    sys.stdout.flush()
    # The head-read timeout, keep-alive and connection cap are the API server's (api.limits.Limits);
    # the body's limit and timeout are the witness's own (witness.server).
    config = uvicorn.Config(
        create_app(w), log_level="warning", http=TimedH11Protocol, timeout_keep_alive=lim.keep_alive,
        limit_concurrency=lim.connections, h11_max_incomplete_event_size=16 * 1024, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
