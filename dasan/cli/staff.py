"""``dasan staff ...``: staff credentials from the command line (same service and database as the server)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail

staff_app = typer.Typer(help="Staff credentials for the civic services (bearer tokens with scopes).",
                        no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke staff tokens.", no_args_is_help=True)
staff_app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. a person's name or 'dispatch-app'.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: complaints:read, complaints:write, opendata:write.")],
    days: Annotated[Optional[int], typer.Option(min=1, help="Expire after this many days \\[default: never].")] = None,
) -> None:
    """Create a staff token and print it once (only its hash is stored)."""
    from civic_services.staff import StaffTokenError

    services = open_runtime()
    try:
        issued = services.staff_tokens.create(name, [s for s in scopes.split(",")], days)
    except StaffTokenError as exc:
        _fail(str(exc), 2)
    err.print(f"token {issued.token_id} for {issued.name} ({', '.join(issued.scopes)})"
              + (f", expires {issued.expires_at:%Y-%m-%d}" if issued.expires_at else "")
              + "; it is shown once, keep it safe:")
    print(issued.token)


@token_app.command("list")
def token_list() -> None:
    """List staff tokens (never the tokens themselves)."""
    services = open_runtime()
    table = Table(title="Staff tokens")
    for column in ("id", "name", "prefix", "scopes", "created", "expires", "revoked", "last used"):
        table.add_column(column, overflow="fold")
    fmt = lambda moment: f"{moment:%Y-%m-%d %H:%M}" if moment else "-"  # noqa: E731
    for row in services.staff_tokens.list():
        table.add_row(str(row["id"]), row["name"], row["prefix"] + "…", " ".join(row["scopes"]), fmt(row["created_at"]),
                      fmt(row["expires_at"]), fmt(row["revoked_at"]), fmt(row["last_used_at"]))
    console.print(table)


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The id `dasan staff token list` shows.")]) -> None:
    """Revoke a staff token at once."""
    from civic_services.staff import StaffTokenError

    services = open_runtime()
    try:
        services.staff_tokens.revoke(token_id)
    except StaffTokenError as exc:
        _fail(str(exc))
    console.print(f"token {token_id} revoked")
