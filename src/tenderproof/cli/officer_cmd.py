"""`tenderproof officer`: every command of a tender's officials, from their own machines.

The commands are built from the API's own table (`api.routes`): one CLI command per route, one
option per field of the domain command that is its body, so the CLI cannot lag the API. A body
can also come whole from a JSON file (`--body FILE`, the API's request body; options override
its fields). Each command is checked here by the domain's own rules before it is sent, so a
mistake is one line naming the field without a round trip; the server checks it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
import types
import typing
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from tenderproof.api import bodies, routes
from tenderproof.api.routes import CommandRoute
from tenderproof.domain import InvalidCommand
from tenderproof.domain import commands as c
from tenderproof.domain.model import parse_time

from .bid_cmd import TenderOpt, tender_view
from .common import fail, read_input
from .http_client import ApiUrl, Server, Token, checked_id

officer_app = typer.Typer(help="Officials: draft, publish, amend, answer, open, evaluate, award, sign, and the "
                          "protest and integrity records. Each command's options are its body's fields.",
                          no_args_is_help=True)

MAX_BODY_FILE_BYTES = 1 << 20  # the API's limit on a JSON command (api/limits.py)
BodyOpt = Annotated[Path | None, typer.Option(
    "--body", help="The request body as a JSON file (or - for stdin); the options below override its fields")]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the server's answer as JSON")]


def read_body(path: Path | None) -> dict[str, Any]:
    """A JSON object from a file or stdin, bounded as the server bounds it."""
    if path is None:
        return {}
    data = read_input(path, MAX_BODY_FILE_BYTES,
                      f"{path} is larger than a command's limit of {MAX_BODY_FILE_BYTES} bytes")
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        fail(f"{path} is not JSON: {e}", code=2)
    if not isinstance(body, dict):
        fail(f"{path} holds a JSON {type(body).__name__}, not an object of the command's fields", code=2)
    return body


def check_locally(cmd: type, tender_id: str, body: dict[str, Any]) -> None:
    """The domain's own checks on the command the server will build from this body."""
    hints = typing.get_type_hints(cmd)
    fields = {f.name: f for f in dataclasses.fields(cmd)}
    unknown = sorted(set(body) - set(fields))
    if unknown:
        fail(f"{cmd.__name__} has no field {', '.join(unknown)} (its fields: {', '.join(sorted(fields))})", code=2)
    missing = [n for n, f in fields.items() if n not in body and n != "tender_id"
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        fail(f"missing {', '.join('--' + _option(n) for n in missing)}", code=2)
    args = {}
    for name, value in body.items():
        if _is_time(hints[name]) and isinstance(value, str):
            try:
                value = parse_time(value)
            except ValueError:
                fail(f"--{_option(name)} {value!r} is not an ISO 8601 time with its offset, "
                     "e.g. 2030-02-01T17:00:00-05:00", code=2)
        args[name] = value
    if "tender_id" in fields:
        args.setdefault("tender_id", tender_id)
    try:
        cmd(**args)
    except InvalidCommand as e:
        fail(str(e), code=2)
    except (TypeError, ValueError, AttributeError) as e:  # a value of the wrong JSON type for the field
        fail(f"{cmd.__name__}: {e}", code=2)


def report(verb: str, tender: str, answer: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    for e in answer.get("events") or []:
        typer.echo(f"{verb}: tender {tender}: {e['type']} logged at index {e['index']}")


def _option(name: str) -> str:
    return name.replace("_", "-")


def _is_time(hint: Any) -> bool:
    return hint is dt.datetime or dt.datetime in typing.get_args(hint)


def _is_str_list(hint: Any) -> bool:
    return typing.get_origin(hint) is list and typing.get_args(hint) == (str,)


def _is_json(hint: Any) -> bool:
    base = [a for a in typing.get_args(hint) if a is not type(None)] if \
        typing.get_origin(hint) in (typing.Union, types.UnionType) else [hint]
    return any(typing.get_origin(b) in (list, dict) or b is Any for b in base)


def _field_option(cmd: type, f: dataclasses.Field, hint: Any) -> tuple[Any, Callable[[Any], Any]]:
    """A Typer option for a command field, and how its value becomes the JSON body's."""
    about = bodies.DESCRIPTIONS_OF.get(cmd.__name__, {}).get(f.name) or bodies.DESCRIPTIONS.get(f.name, "")
    if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
        about += " (required, here or in --body)"
    flag = "--" + _option(f.name)
    if hint is bool:
        return Annotated[bool | None, typer.Option(f"{flag}/--no-{_option(f.name)}", help=about)], lambda v: v
    if hint is int:
        return Annotated[int | None, typer.Option(flag, help=about)], lambda v: v
    if _is_str_list(hint):
        return Annotated[list[str] | None, typer.Option(flag, help=f"{about} (repeat for each)")], list

    def as_json(v: str) -> Any:
        try:
            return json.loads(v)
        except ValueError as e:
            fail(f"{flag} is not JSON ({e}): {v[:80]!r}", code=2)

    if _is_json(hint):
        return Annotated[str | None, typer.Option(flag, help=f"{about} (JSON)", metavar="JSON")], as_json
    return Annotated[str | None, typer.Option(flag, help=about)], lambda v: v


def build_command(route: CommandRoute) -> Callable[..., None]:
    """A Typer command for one route: --tender, an option per field, --body, --api, --token."""
    cmd = route.command
    hints = typing.get_type_hints(cmd)
    fields = [f for f in dataclasses.fields(cmd) if f.name != "tender_id"]
    converters: dict[str, Callable[[Any], Any]] = {}
    params = [inspect.Parameter("tender", inspect.Parameter.KEYWORD_ONLY, annotation=TenderOpt)]
    for f in fields:
        annotation, converters[f.name] = _field_option(cmd, f, hints[f.name])
        params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=None))
    params += [inspect.Parameter("body_file", inspect.Parameter.KEYWORD_ONLY, annotation=BodyOpt, default=None),
               inspect.Parameter("api", inspect.Parameter.KEYWORD_ONLY, annotation=ApiUrl),
               inspect.Parameter("token", inspect.Parameter.KEYWORD_ONLY, annotation=Token)]
    if isinstance(route.role, tuple):
        Role = Annotated[str, typer.Option("--role", help=f"The role you act in: {', '.join(route.role)}")]
        params.append(inspect.Parameter("role", inspect.Parameter.KEYWORD_ONLY, annotation=Role))
    params.append(inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, annotation=JsonOut, default=False))

    def command(**given: Any) -> None:
        tender = checked_id(given["tender"], "tender id")
        body = read_body(given["body_file"])
        for f in fields:
            if given[f.name] is not None:
                body[f.name] = converters[f.name](given[f.name])
        check_locally(cmd, tender, body)
        path = "/api" + route.path.format(tender_id=tender)
        if isinstance(route.role, tuple):
            if given["role"] not in route.role:
                fail(f"--role {given['role']!r} is not one of {', '.join(route.role)}", code=2)
            path += f"?role={given['role']}"
        # A fresh key per run: a retry inside this run is answered once; a later run acts anew.
        answer = Server(given["api"], given["token"]).post(path, json_body=body, idempotency_key=str(uuid.uuid4()))
        report(route.verb, tender, answer, given["as_json"])

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__name__ = route.verb.replace("-", "_")
    role = " or ".join(route.role) if isinstance(route.role, tuple) else route.role
    command.__doc__ = f"{route.summary} (role: {role}). {routes.about(cmd)}".strip()
    return command


def add_commands(app: typer.Typer, which: Callable[[CommandRoute], bool]) -> None:
    for route in routes.COMMAND_ROUTES:
        if which(route):
            app.command(route.verb)(build_command(route))


add_commands(officer_app, lambda r: r.role != "bidder")


@officer_app.command("create")
def officer_create(
    body_file: Annotated[Path, typer.Argument(help="The tender as JSON (fields as `officer example create` prints)",
                                              metavar="FILE")],
    api: ApiUrl,
    token: Token,
    as_json: JsonOut = False,
) -> None:
    """Draft a tender from a JSON file (role: buyer); deadlines in ISO 8601 with their offset."""
    body = read_body(body_file)
    tender = checked_id(str(body.get("tender_id", "")), "tender_id")
    check_locally(c.CreateTender, tender, body)
    answer = Server(api, token).post("/api" + routes.CREATE, json_body=body, idempotency_key=str(uuid.uuid4()))
    report("create", tender, answer, as_json)


def _plain(verb: str, path: str, summary: str) -> Callable[..., None]:
    def command(tender: TenderOpt, api: ApiUrl, token: Token, as_json: JsonOut = False) -> None:
        tender = checked_id(tender, "tender id")
        answer = Server(api, token).post("/api" + path.format(tender_id=tender), idempotency_key=str(uuid.uuid4()))
        report(verb, tender, answer, as_json)

    command.__doc__ = summary
    return command


officer_app.command("publish")(_plain("publish", routes.PUBLISH, "Publish the tender (role: buyer): creates the "
                                      "bid-opening key for its named opening officials."))
officer_app.command("open")(_plain("open", routes.OPEN, "Ask for the opening (role: buyer): refused, and logged, "
                                   "until k officials have handed in their shares."))


@officer_app.command("debrief")
def officer_debrief(
    tender: TenderOpt,
    bidder: Annotated[str, typer.Option("--bidder", help="The unsuccessful offeror, by person id")],
    api: ApiUrl,
    token: Token,
    as_json: JsonOut = False,
) -> None:
    """Give an unsuccessful offeror its written debriefing (FAR 15.506) (role: buyer)."""
    tender = checked_id(tender, "tender id")
    answer = Server(api, token).post("/api" + routes.DEBRIEF.format(tender_id=tender),
                                     json_body={"bidder_id": checked_id(bidder, "bidder id")},
                                     idempotency_key=str(uuid.uuid4()))
    report("debrief", tender, answer, as_json)


@officer_app.command("example")
def officer_example(
    verb: Annotated[str, typer.Argument(help="create, or any officer command (amend, answer, rate, award, …)")],
) -> None:
    """Print an example body for a command, as JSON: a start for `--body FILE`."""
    name = "CreateTender" if verb == "create" else next(
        (r.command.__name__ for r in routes.COMMAND_ROUTES if r.verb == verb), None)
    if name is None:
        fail(f"no command {verb!r}: one of create, {', '.join(r.verb for r in routes.COMMAND_ROUTES)}", code=2)
    example = {k: v for k, v in bodies.EXAMPLES[name].items() if not (k == "tender_id" and name != "CreateTender")}
    typer.echo(json.dumps(example, indent=2, ensure_ascii=False))


@officer_app.command("bids")
def officer_bids(tender: TenderOpt, api: ApiUrl) -> None:
    """The tender's bids as the public record shows them (tab-separated: id, status, bidder once opened)."""
    tender = checked_id(tender, "tender id")
    bids = tender_view(Server(api), tender).get("bids") or []
    if not bids:
        typer.echo(f"tender {tender} has no bids on record")
    for b in bids:
        typer.echo("\t".join([b["id"], b["status"], b.get("bidder") or "(sealed)"]))
