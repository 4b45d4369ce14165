"""libcoveocds, offline, against the official OCDS 1.1.5 schema zip.

`cli()` runs the installed `libcoveocds --standard-zip ZIP FILE`, exactly as DESIGN.md §6 says.
That works for release packages, but libcoveocds 0.17.0 cannot check a *record* package offline:
to list the schema's fields it dereferences record-package-schema.json with jsonref, which
downloads `https://standard.open-contracting.org/schema/1__1__5/versioned-release-validation-schema.json`
(a $ref the zip also holds) and crashes without network. `in_process()` runs the same
libcoveocds API with the same zip, sockets blocked, and that one kind of $ref served from the zip.

Packages declare tenderproof's own extensions by the URL its server serves them at. Offline,
`serve_extensions()` answers libcoveocds' requests for them (made through ocdsextensionregistry's
requests session) from the real API route, in process, so the extended schema is the one served.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonref
import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient
from requests.adapters import BaseAdapter
from urllib3 import HTTPResponse

from tenderproof.api.ocds_extensions import router as extensions_router
from tenderproof.ocds.extensions import EXTENSIONS_PATH

SCHEMA_URL_PREFIX = "/schema/1__1__5/"


def cli(path: Path, standard_zip: Path) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("libcoveocds")
    done = subprocess.run([str(exe), "--standard-zip", str(standard_zip), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"libcoveocds failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


def in_process(path: Path, standard_zip: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    # Only here: libcoveocds takes a quarter of a second to import, and only these validations use it.
    import libcoveocds.api
    from libcoveocds.config import LibCoveOCDSConfig

    with zipfile.ZipFile(standard_zip) as z:
        root = z.namelist()[0].split("/")[0]
        files = {n.rsplit("/", 1)[-1]: z.read(n) for n in z.namelist() if n.startswith(f"{root}/schema/") and n.endswith(".json")}

    def local_loader(uri: str, **kwargs: Any) -> Any:
        parts = urlsplit(uri)
        name = parts.path.removeprefix(SCHEMA_URL_PREFIX)
        if parts.netloc != "standard.open-contracting.org" or not parts.path.startswith(SCHEMA_URL_PREFIX) or name not in files:
            raise jsonref.JsonRefError(f"refusing to fetch {uri} (offline validation)", uri)
        return json.loads(files[name], **kwargs)

    original = jsonref.replace_refs

    def replace_refs(obj: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("loader", local_loader)
        return original(obj, **kwargs)

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled for offline validation")

    monkeypatch.setattr(jsonref, "replace_refs", replace_refs)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    config = LibCoveOCDSConfig()
    config.config.update(standard_zip=f"file://{standard_zip}", context="api", additional_checks="all")
    with tempfile.TemporaryDirectory(prefix="cove-") as out:
        result = libcoveocds.api.ocds_json_output(out, str(path), None, convert=False, lib_cove_ocds_config=config)
    return json.loads(json.dumps(result, default=list))


#: The base URL the test packages are published under.
BASE = "https://tenderproof.example"


class _Served(BaseAdapter):
    """A requests transport that answers from the API's extension route, in process."""

    def __init__(self) -> None:
        super().__init__()
        app = FastAPI()
        app.include_router(extensions_router, prefix="/api")
        self.client = TestClient(app)
        self.paths: list[str] = []

    def send(self, request, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = urlsplit(request.url).path
        self.paths.append(path)
        got = self.client.get(path)
        response = requests.Response()
        response.status_code, response._content, response.url = got.status_code, got.content, request.url
        response.headers.update(got.headers)
        response.request, response.encoding = request, "utf-8"
        # requests-cache (ocdsextensionregistry's session) stores the raw urllib3 response too.
        response.raw = HTTPResponse(body=io.BytesIO(got.content), headers=dict(got.headers), status=got.status_code,
                                    preload_content=False, request_url=request.url)
        return response

    def close(self) -> None:
        self.client.close()


def serve_extensions(monkeypatch: pytest.MonkeyPatch, base: str = BASE) -> _Served:
    """Serve `<base>/api/ocds/extensions/...` to libcoveocds from the API route (undone at the end of the test)."""
    from ocdsextensionregistry import util

    served = _Served()
    prefix = base.rstrip("/") + EXTENSIONS_PATH
    monkeypatch.setitem(util.session.adapters, prefix, served)
    # requests picks the longest matching prefix; its adapters dict must list the longest first.
    monkeypatch.setattr(util.session, "adapters", type(util.session.adapters)(
        sorted(util.session.adapters.items(), key=lambda kv: -len(kv[0]))))
    util.session.cache.clear()
    return served
