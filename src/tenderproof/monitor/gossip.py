"""What a monitor publishes for others to compare with theirs (the gossip): GET /checkpoint, the
latest checkpoint it verified, exactly as the log signed it; GET / a JSON summary. A tiny ASGI app
that reads the monitor's saved state, so it answers the same whichever thread polls."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from .state import STATE_FILE

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def gossip_app(directory: Path) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    path = Path(directory) / STATE_FILE

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        status, body, media = 404, b"not found\n", "text/plain; charset=utf-8"
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            state = None
        if scope["method"] not in ("GET", "HEAD"):
            status, body = 405, b"method not allowed\n"
        elif scope["path"] == "/checkpoint" and state and state.get("checkpoint"):
            status, body = 200, state["checkpoint"].encode()
        elif scope["path"] == "/" and state:
            summary = {k: state[k] for k in ("log", "origin", "size", "position")} | {"alerts": len(state["alerts"])}
            status, body, media = 200, json.dumps(summary).encode(), "application/json"
        headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()),
                   (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    return app
