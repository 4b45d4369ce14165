"""The CLI's one HTTP client: a server's base URL and a bearer token, timeouts, and every failure
(no route, DNS, refused, timeout, an HTTP error, a problem+json) turned into one line on stderr
and a non-zero exit through `common.fail`.

Bidders and officials run these commands on their own machines against a server they do not
operate, so a failure must say what went wrong in their terms, never as a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from tenderproof.domain import InvalidCommand
from tenderproof.domain.commands import check_id
from tenderproof.fsutil import atomic_writer

from .common import fail

ApiUrl = Annotated[str, typer.Option(
    "--api", envvar="TENDERPROOF_API", help="The tenderproof server, e.g. https://tenders.example.gov")]
Token = Annotated[str, typer.Option(envvar="TENDERPROOF_TOKEN", help="Your API token")]

CONNECT_TIMEOUT = 10.0  # seconds to reach the server: a bidder near a deadline wants to know fast
READ_TIMEOUT = 120.0  # a sealed bid of a few hundred MB, or a busy server's batch, takes a while
TIMEOUT_ENV = "TENDERPROOF_HTTP_TIMEOUT"  # seconds for each, overriding both (a slow link, or a test)
RETRIES = 3  # only for requests that are safe to repeat: GETs and POSTs with an Idempotency-Key
MAX_ERROR_CHARS = 300  # a server's error body is quoted in one line, never pages of it


def _one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_ERROR_CHARS else flat[: MAX_ERROR_CHARS - 1] + "…"


class Server:
    """A tenderproof server as the CLI sees it: paths under /api and /log, JSON answers."""

    def __init__(self, url: str, token: str | None = None) -> None:
        url = url.strip().rstrip("/")
        if url.endswith("/api"):  # the API's own base, given by habit: the paths below add it
            url = url[: -len("/api")]
        if not url.startswith(("http://", "https://")):
            fail(f"--api {url!r} is not an http:// or https:// URL", code=2)
        self.url = url
        self.token = token
        self.connect_timeout, self.read_timeout = CONNECT_TIMEOUT, READ_TIMEOUT
        if given := os.environ.get(TIMEOUT_ENV):
            try:
                seconds = float(given)
            except ValueError:
                seconds = 0.0
            if not 0 < seconds <= 86400:
                fail(f"{TIMEOUT_ENV}={given!r} is not a number of seconds (0 < s <= 86400)", code=2)
            self.connect_timeout = self.read_timeout = seconds

    def get_json(self, path: str) -> Any:
        return self._json(self.request("GET", path), path)

    def get_text(self, path: str) -> str:
        return self.request("GET", path).text

    def post(self, path: str, *, json_body: Any = None, content: bytes | Iterable[bytes] | None = None,
             idempotency_key: str | None = None, content_type: str = "application/octet-stream",
             length: int | None = None) -> Any:
        """POST and return the JSON answer; with an Idempotency-Key a lost answer is asked again
        (the server replays its first answer, so a retry never acts twice). `content` may be an
        iterable of parts (a large file, sent as read) with its `length` declared up front, so the
        server can refuse an oversized body before any of it is sent."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        if content is not None:
            headers["Content-Type"] = content_type
        if length is not None:
            headers["Content-Length"] = str(length)
        r = self.request("POST", path, json_body=json_body, content=content, headers=headers,
                         retry=idempotency_key is not None)
        return self._json(r, path)

    def download(self, path: str, into: Path, sha256: str | None = None, max_bytes: int = 1 << 40) -> str:
        """GET a file into `into` as it arrives (memory stays bounded), written only if complete,
        no larger than `max_bytes` and, when `sha256` is given, of that digest; returns the digest."""
        import httpx

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        digest = hashlib.sha256()
        try:
            with httpx.Client(base_url=self.url, timeout=httpx.Timeout(self.read_timeout,
                                                                       connect=self.connect_timeout)) as http, \
                    http.stream("GET", path, headers=headers) as r:
                if not 200 <= r.status_code < 300:
                    r.read()
                    self.refused(r)
                with atomic_writer(into) as out:
                    size = 0
                    for part in r.iter_bytes():
                        size += len(part)
                        if size > max_bytes:
                            fail(f"{self.url}{path} sent more than {max_bytes} bytes; nothing written")
                        digest.update(part)
                        out.write(part)
                    if sha256 is not None and digest.hexdigest() != sha256:
                        fail(f"{self.url}{path} sent content of SHA-256 {digest.hexdigest()}, not {sha256}; "
                             "nothing written")
        except httpx.HTTPError as e:
            fail(f"GET {self.url}{path} failed: {_reason(e)}")
        return digest.hexdigest()

    def request(self, method: str, path: str, *, json_body: Any = None, content: bytes | Iterable[bytes] | None = None,
                headers: dict[str, str] | None = None, retry: bool | None = None,
                accept: frozenset[int] = frozenset()) -> Any:
        """One request; anything but a 2xx answer (or a status in `accept`) ends the command with one line."""
        import httpx  # only here: the HTTP client takes 100 ms to import, and only these commands need it

        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        timeout = httpx.Timeout(self.read_timeout, connect=self.connect_timeout)
        tries = RETRIES if (method == "GET" if retry is None else retry) else 1
        try:
            with httpx.Client(base_url=self.url, timeout=timeout) as http:
                for attempt in range(tries):
                    try:
                        r = http.request(method, path, json=json_body, content=content, headers=headers)
                        break
                    except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
                        # The connection broke after it was made: safe to ask again (see `tries`).
                        if attempt == tries - 1:
                            raise
        except httpx.ConnectTimeout:
            fail(f"cannot reach {self.url}: no answer within {self.connect_timeout:g} s")
        except httpx.TimeoutException:
            fail(f"{self.url} did not answer {method} {path} within {self.read_timeout:g} s")
        except httpx.ConnectError as e:
            fail(f"cannot reach {self.url}: {_reason(e)}")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
            fail(f"--api {self.url!r} is not a usable URL: {_one_line(str(e))}", code=2)
        except httpx.HTTPError as e:
            fail(f"{method} {self.url}{path} failed: {_reason(e)}")
        if not 200 <= r.status_code < 300 and r.status_code not in accept:
            self.refused(r)
        return r

    def refused(self, r: Any) -> NoReturn:
        """The server said no: its problem+json in one line (code and detail), or the status."""
        try:
            body = r.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("detail"):
            code = str(body.get("type", "")).rsplit("/", 1)[-1] or body.get("title", "")
            detail = body["detail"] if isinstance(body["detail"], str) else json.dumps(body["detail"])
            fail(_one_line(f"HTTP {r.status_code} {code}: {detail}"))
        fail(_one_line(f"HTTP {r.status_code} {r.reason_phrase} from {self.url}{r.request.url.path}"))

    def _json(self, r: Any, path: str) -> Any:
        try:
            return r.json()
        except ValueError:
            fail(f"{self.url}{path} answered {r.status_code} with something that is not JSON: is --api a tenderproof "
                 "server?")


def _reason(e: Exception) -> str:
    """The innermost cause of a network error, e.g. "[Errno 111] Connection refused"."""
    while e.__cause__ is not None and str(e.__cause__):
        e = e.__cause__  # type: ignore[assignment]
    return _one_line(str(e) or type(e).__name__)


def checked_id(value: str, what: str) -> str:
    """An id as the rules accept it, checked before it goes into a URL path or a file name."""
    try:
        return check_id(value, what)
    except InvalidCommand as e:
        fail(str(e), code=2)
