"""`tenderproof witness …` (placeholder until the witness lands)."""

import typer

app = typer.Typer(help="Run a witness that cosigns the log's checkpoints.", no_args_is_help=True)
