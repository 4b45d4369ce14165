"""The `tenderproof` command (Typer + Rich).

Every command reports a refusal as one clear line on stderr and a non-zero exit; nothing is
half-written, because every write is one database transaction or an atomic file replace.
"""

from __future__ import annotations

import typer

from .bid_cmd import bid_app
from .common import run_guarded
from .document_cmd import document_app
from .enquiry_cmd import enquiry_app
from .export_cmd import export as ocds_export
from .flags_cmd import flags
from .log_cmd import app as log_app
from .log_witness_cmd import app as log_witness_app
from .log_witness_cmd import policy
from .monitor_cmd import app as monitor_app
from .officer_cmd import add_commands, officer_app
from .official_cmd import official_app
from .person_cmd import person_app
from .procurement_cmd import ocds_app, rebuild, scenario_app, tender_app
from .receipt_cmd import bid_cosigned
from .record_cmd import app as record_app
from .serve_cmd import demo, serve
from .setup_cmd import init
from .verify_cmd import verify
from .witness_cmd import app as witness_app

app = typer.Typer(
    name="tenderproof",
    help="Public procurement on a verifiable transparency log.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(init)
app.command()(verify)
log_app.add_typer(log_witness_app, name="witness")
log_app.command()(policy)
app.add_typer(log_app, name="log")
app.add_typer(witness_app, name="witness")
app.add_typer(monitor_app, name="monitor")
app.add_typer(scenario_app, name="scenario")
ocds_app.command("export")(ocds_export)
app.add_typer(ocds_app, name="ocds")
app.add_typer(bid_app, name="bid")
app.add_typer(official_app, name="official")
app.add_typer(officer_app, name="officer")
app.add_typer(document_app, name="document")
# A bidder's protest filings and ownership declaration, from the same table as the officers' commands
# (`enquiry ask` is the bidder's question).
add_commands(bid_app, lambda r: r.role == "bidder" and r.verb != "ask")
bid_app.command("cosigned")(bid_cosigned)
app.add_typer(enquiry_app, name="enquiry")
app.add_typer(tender_app, name="tender")
app.add_typer(record_app, name="record")
app.add_typer(person_app, name="person")
app.command()(rebuild)
app.command()(serve)
app.command()(demo)
app.command()(flags)


def main() -> None:
    run_guarded(app)
