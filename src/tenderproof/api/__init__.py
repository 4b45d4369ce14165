"""The HTTP API (FastAPI): every command typed, problem+json errors, public reads, the log as
C2SP tiles. `create_app(procurement)` (in `server`) builds it; the portal is mounted at `/`.

The package itself imports nothing heavy: the CLI reads the command table (`routes`) without
loading FastAPI, which only `serve` and the tests need. `create_app` is loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .server import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
