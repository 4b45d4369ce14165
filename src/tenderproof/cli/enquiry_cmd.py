"""`tenderproof enquiry`: a bidder asks about a solicitation; everyone reads the questions and answers.

The record never names who asked (FAR 15.201(f): answers go to all "without identifying the
source"), so a question's id is chosen here at random rather than from anything of the bidder's.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from .bid_cmd import TenderOpt, tender_view
from .common import fail
from .http_client import ApiUrl, Server, Token, checked_id

enquiry_app = typer.Typer(help="Bidders: ask questions about a tender, read every question and answer.",
                          no_args_is_help=True)

MAX_QUESTION_CHARS = 20_000  # a question is read by the buyer and published to all: pages, not books


@enquiry_app.command("ask")
def enquiry_ask(
    tender: TenderOpt,
    question: Annotated[str, typer.Option(help="Your question (published with its answer; you are not named)")],
    api: ApiUrl,
    token: Token,
    enquiry_id: Annotated[str | None, typer.Option("--id", help="The enquiry's id [default: a random q-…]")] = None,
) -> None:
    """Ask a question during the enquiry period; prints the enquiry's id."""
    tender = checked_id(tender, "tender id")
    if not question.strip():
        fail("--question is empty", code=2)
    if len(question) > MAX_QUESTION_CHARS:
        fail(f"--question has {len(question)} characters; at most {MAX_QUESTION_CHARS}", code=2)
    enquiry_id = checked_id(enquiry_id or f"q-{secrets.token_hex(6)}", "enquiry id")
    body = Server(api, token).post(f"/api/tenders/{tender}/enquiries",
                                   json_body={"enquiry_id": enquiry_id, "question": question},
                                   idempotency_key=f"enquiry-{tender}-{enquiry_id}")
    index = body["events"][0]["index"] if body.get("events") else "?"
    typer.echo(f"enquiry {enquiry_id} asked on tender {tender} (logged at index {index})")


@enquiry_app.command("list")
def enquiry_list(tender: TenderOpt, api: ApiUrl) -> None:
    """Every question on the tender and its answer, oldest first (tab-separated: id, date, question, answer)."""
    enquiries = tender_view(Server(api), tender).get("enquiries") or []
    if not enquiries:
        typer.echo(f"no enquiries on tender {tender}")
    for q in enquiries:
        answer = q.get("answer")
        typer.echo("\t".join([q["id"], q["date"], _flat(q["question"]),
                              _flat(answer) if answer is not None else "(not answered yet)"]))


def _flat(text: str) -> str:
    """One line per enquiry, whatever the text holds."""
    return " ".join(str(text).split())
