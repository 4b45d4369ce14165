"""The typed request bodies (api/bodies.py): the OpenAPI document is complete and typed, every
body has an example and the examples are commands the domain accepts; a malformed body is
refused naming its field; every text field refuses surrogates, NUL and 100k characters with a
4xx problem+json, never a 5xx; the deadline is amended after bids are in, in ISO 8601 with offset.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tenderproof import seal
from tenderproof.api import bodies, commands, create_app, routes
from tenderproof.domain import commands as c
from tenderproof.domain.guards import PANEL_ROLES

from ..app.conftest import _package

DOC = create_app(None).openapi()
SCHEMAS = DOC["components"]["schemas"]
#: The officers' and bidders' commands with JSON bodies (the administrator's operations, api/admin.py,
#: are another part of the issue).
JSON_BODIES = [(path, method, op) for path, item in DOC["paths"].items() for method, op in item.items()
               if "application/json" in op.get("requestBody", {}).get("content", {}) and "commands" in op["tags"]]
#: The typed fields the issue names, by the body that holds them.
TYPED = {"CreateTenderBody": ("buyer", "items", "factors", "documents", "panel", "value"),
         "AmendTenderBody": ("changes",), "DecideAwardBody": ("value",), "SignContractBody": ("value",)}
EVIL = {"lone surrogate": "\ud800", "NUL": "a\x00b", "100k characters": "x" * 100_000}


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _untyped(schema: dict, where: str, seen: set[str]) -> list[str]:
    """Every place under `schema` that is an object or array of unstated shape."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
    schema = _resolve(schema)
    out = []
    for alt in schema.get("anyOf", []) + schema.get("allOf", []) + schema.get("oneOf", []):
        out += _untyped(alt, where, seen)
    kind = schema.get("type")
    if kind == "object":
        extra = schema.get("additionalProperties")
        if ("properties" not in schema and not isinstance(extra, dict)) or extra == {}:
            out.append(where)
        for name, sub in schema.get("properties", {}).items():
            out += _untyped(sub, f"{where}.{name}", seen)
        if isinstance(extra, dict):
            out += _untyped(extra, f"{where}.*", seen)
    elif kind == "array":
        if not schema.get("items"):
            out.append(where)
        else:
            out += _untyped(schema["items"], f"{where}[]", seen)
    elif not kind and not any(k in schema for k in ("anyOf", "allOf", "oneOf", "enum", "const")):
        out.append(where)
    return out


def test_the_json_bodies_are_found():
    assert len(JSON_BODIES) >= 25, [p for p, _, _ in JSON_BODIES]


@pytest.mark.parametrize(("path", "method", "op"), JSON_BODIES, ids=[f"{m} {p}" for p, m, _ in JSON_BODIES])
def test_every_body_is_typed_described_and_has_an_example(path, method, op):
    media = op["requestBody"]["content"]["application/json"]
    schema = _resolve(media["schema"])
    assert _untyped(media["schema"], schema["title"], set()) == []
    assert [name for name, sub in schema["properties"].items() if not sub.get("description")] == []
    assert media.get("examples"), f"{method} {path} has no example"
    assert schema.get("examples"), f"{schema['title']} has no example"
    for name in TYPED.get(schema["title"], ()):
        prop = schema["properties"][name]
        refs = [prop, *prop.get("anyOf", [])]
        assert any("$ref" in r or r.get("items", {}).get("$ref") for r in refs), f"{schema['title']}.{name}: {prop}"


def test_every_nested_model_describes_its_fields_and_has_an_example():
    for model in (bodies.Money, bodies.Buyer, bodies.Classification, bodies.Item, bodies.Factor, bodies.Document,
                  bodies.Panel, bodies.TenderChanges):
        schema = SCHEMAS[model.__name__]
        assert [n for n, sub in schema["properties"].items() if not sub.get("description")] == [], model
        example = schema["examples"][0]
        assert model.model_validate(example)


def test_the_classification_scheme_and_panel_roles_are_the_domains():
    from tenderproof.domain.commands.fields import ITEM_CLASSIFICATION_SCHEMES

    assert SCHEMAS["Classification"]["properties"]["scheme"]["enum"] == list(ITEM_CLASSIFICATION_SCHEMES)
    assert set(SCHEMAS["Panel"]["properties"]) == set(PANEL_ROLES)


#: Every command with a body derived from it, and the command its example makes.
DERIVED = [(r.command, r.path) for r in routes.COMMAND_ROUTES] + [(c.CreateTender, "/tenders")]


@pytest.mark.parametrize(("cmd", "path"), DERIVED, ids=[p for _, p in DERIVED])
def test_each_example_is_a_command_the_domain_accepts(cmd, path):
    exclude = () if cmd is c.CreateTender else ("tender_id",)
    model = commands.body_model(cmd, exclude)
    example = model.model_config["json_schema_extra"]["examples"][0]
    body = model.model_validate_json(json.dumps(example))  # as it comes over the wire
    args = commands.arguments(body)
    command = cmd(**args) if cmd is c.CreateTender else cmd(tender_id="T-1", **args)
    assert command.tender_id


def _problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()


def test_the_create_and_amend_examples_run_over_http(api):
    create = bodies.EXAMPLES["CreateTender"]
    r = api.post("/api/tenders", "co", json=create)
    assert r.status_code == 201, r.text
    r = api.post(f"/api/tenders/{create['tender_id']}/amendments", "co", json=bodies.EXAMPLES["AmendTender"])
    assert r.status_code == 201, r.text
    view = api.get(f"/api/tenders/{create['tender_id']}").json()
    assert view["title"] == create["title"]


def test_a_malformed_body_is_refused_naming_the_field(api):
    body = json.loads(json.dumps(bodies.EXAMPLES["CreateTender"]))
    body["items"][0]["classification"]["scheme"] = "NOPE"
    body["items"][0]["quantity"] = {"n": 1}
    p = _problem(api.post("/api/tenders", "co", json=body), 422)
    fields = {e["field"]: e for e in p["errors"]}
    assert set(fields) >= {"items[0].classification.scheme", "items[0].quantity"}, p
    assert fields["items[0].classification.scheme"]["pointer"] == "#/items/0/classification/scheme"
    assert fields["items[0].classification.scheme"]["in"] == "body"
    assert p["detail"].startswith("items[0].")
    # Unparseable JSON is a 400, still problem+json.
    r = api.client.post("/api/tenders", content=b"{not json", headers=api.headers("co", **{
        "Content-Type": "application/json"}))
    assert _problem(r, 400)["type"].endswith("/invalid-json")


def _tender(api, tid: str = "AM-1", days: int = 30) -> dict:
    body = dict(bodies.EXAMPLES["CreateTender"], tender_id=tid, documents=[])
    body["tender_end"] = (api.clock.now + timedelta(days=days)).astimezone().isoformat()
    body.pop("enquiry_end")
    assert api.post("/api/tenders", "co", json=body).status_code == 201
    return body


def test_the_deadline_is_amended_after_bids_in_iso_8601_with_offset(api):
    _tender(api)
    assert api.post("/api/tenders/AM-1/publication", "co").status_code == 201
    pub = base64.b64decode(api.get("/api/tenders/AM-1").json()["opening_key"]["public_key"])
    r = api.post("/api/tenders/AM-1/bids", "acme", content=seal.seal_bid("AM-1", pub, _package(b"OFFER")))
    assert r.status_code == 201, r.text
    old_end = api.get("/api/tenders/AM-1").json()["periods"]["tender_end"]
    # Not later than the current deadline: refused by the rule, bids being in.
    same = {"rationale": "Clarified the scope", "changes": {"tender_end": old_end, "description": "Clarified."}}
    assert _problem(api.post("/api/tenders/AM-1/amendments", "co", json=same), 422)["type"].endswith(
        "/amendment-needs-extension")
    # A time without its offset is ambiguous: refused, naming the field.
    naive = {"rationale": "Later", "changes": {"tender_end": "2030-03-01T17:00:00"}}
    p = _problem(api.post("/api/tenders/AM-1/amendments", "co", json=naive), 422)
    assert p["errors"][0]["field"] == "changes.tender_end"
    # Two weeks later, with a US Eastern offset: the deadline moves.
    later = (api.clock.now + timedelta(days=44)).replace(microsecond=0)
    text = later.astimezone(later.tzinfo).isoformat().replace("+00:00", "-05:00")
    r = api.post("/api/tenders/AM-1/amendments", "co",
                 json={"rationale": "Second region added: two more weeks.", "changes": {"tender_end": text}})
    assert r.status_code == 201, r.text
    new_end = api.get("/api/tenders/AM-1").json()["periods"]["tender_end"]
    assert new_end != old_end and new_end.startswith((later + timedelta(hours=5)).strftime("%Y-%m-%dT%H"))


def _text_leaves(value, path=()):
    """The paths of every text in an example body."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _text_leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _text_leaves(v, (*path, i))


def _with(body, path, value):
    body = json.loads(json.dumps(body))
    at = body
    for part in path[:-1]:
        at = at[part]
    at[path[-1]] = value
    return body


#: Text the domain does not yet bound, so 100k characters are accepted (reported; remove an entry
#: when the domain checks it: the test then passes and strict xfail says so).
FUZZED = [pytest.param(path, op, id=path) for path, _method, op in JSON_BODIES]


@pytest.mark.parametrize(("path", "op"), FUZZED)
def test_every_text_field_refuses_surrogates_nul_and_100k_characters(api, path, op):
    """Each text of the operation's example body, replaced by each evil value, sent as JSON
    escapes (a lone surrogate cannot be UTF-8): a 4xx problem+json every time, never a 5xx, the
    value not echoed back, nothing logged."""
    _tender(api, "FZ-1")
    assert api.post("/api/tenders/FZ-1/publication", "co").status_code == 201
    size = api.p.log.head().size
    failures = []
    client = TestClient(api.client.app, raise_server_exceptions=False)
    schema = _resolve(op["requestBody"]["content"]["application/json"]["schema"])
    example = schema["examples"][0]
    url = path.replace("{tender_id}", "FZ-1")
    role = "buyer" if "role" in (p["name"] for p in op.get("parameters", []) if p["in"] == "query") else None
    named = op.get("description", "").split("**")
    who = {"bidder": "acme", "reviewer": "gao", "hca": "hca", "evaluator": "ev", "ssa": "ssa"}.get(
        named[1] if len(named) > 1 else "", "co")
    leaves = list(_text_leaves(example))
    if not schema.get("properties"):  # a command with no fields at all (a debriefing request)
        pytest.skip("no field to fuzz")
    assert leaves, "an example with no text to fuzz"
    for leaf in leaves:
        for label, evil in EVIL.items():
            r = client.post(url, params={"role": role} if role else None,
                            content=json.dumps(_with(example, leaf, evil), ensure_ascii=True).encode(),
                            headers=api.headers(who, **{"Content-Type": "application/json"}))
            if not (400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"
                    and len(r.content) < 10_000):  # a 4xx problem, and the value not echoed back
                failures.append(f"{'.'.join(map(str, leaf))} {label}: {r.status_code} {r.text[:200]}")
    assert failures == [], "\n".join(failures)
    # Only refusals the record keeps (a logged attempt) may have been logged, and none holds the value.
    for index in range(size, api.p.log.head().size):
        entry = api.p.log.entry(index)
        assert json.loads(entry)["type"] == "command.refused", entry[:300]
        assert b"xxxxxxxxxx" not in entry and b"\\u0000" not in entry and b"\\ud800" not in entry


def test_the_portal_links_to_the_api_docs_and_the_ocds_downloads(api):
    page = api.get("/").text
    for link in ("/api/docs", "/api/redoc", "/openapi.json", "/api/ocds/releases.json", "/api/ocds/records.json",
                 "/api/ocds/releases.jsonl"):
        assert f'href="{link}"' in page, link
        assert api.get(link).status_code == 200, link
