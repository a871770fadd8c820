"""``dasan staff ...``: staff credentials from the command line (same service and database as the server)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail

staff_app = typer.Typer(help="Staff accounts (people who sign in) and bearer tokens (programs), with roles and "
                             "scopes; the audit log.", no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke staff tokens.", no_args_is_help=True)
user_app = typer.Typer(help="Create, list and disable the accounts of people who sign in; set a password.",
                       no_args_is_help=True)
staff_app.add_typer(token_app, name="token")
staff_app.add_typer(user_app, name="user")
ROLE_HELP = "agent (120 agents: calls), official (meetings of their department), staff (scopes), admin (all)."


def _password(password_stdin: bool, confirm: bool = True) -> str:
    """The password from stdin (one line, for scripts) or asked twice without echo."""
    import sys

    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("password", hide_input=True, err=True)
    if confirm and typer.prompt("again", hide_input=True, err=True) != first:
        _fail("the two passwords differ", 2)
    return first


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. a person's name or 'dispatch-app'.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: complaints:read, complaints:write, opendata:write, "
                                        "iot:write, voting:admin (none for agent, official, admin).")] = "",
    days: Annotated[Optional[int], typer.Option(min=1, help="Expire after this many days \\[default: never].")] = None,
    role: Annotated[str, typer.Option(help=ROLE_HELP)] = "staff",
    department: Annotated[Optional[str], typer.Option(help="An official's department (required for "
                                                      "officials).")] = None,
) -> None:
    """Create a staff token and print it once (only its hash is stored)."""
    from civic_services.staff import StaffTokenError

    services = open_runtime()
    try:
        issued = services.staff_tokens.create(name, [s for s in scopes.split(",")], days, role=role,
                                              department=department)
    except StaffTokenError as exc:
        _fail(str(exc), 2)
    err.print(f"token {issued.token_id} for {issued.name} ({role}; {', '.join(issued.scopes) or 'no scopes'})"
              + (f", expires {issued.expires_at:%Y-%m-%d}" if issued.expires_at else "")
              + "; it is shown once, keep it safe:")
    print(issued.token)


@token_app.command("list")
def token_list() -> None:
    """List staff tokens (never the tokens themselves)."""
    services = open_runtime()
    table = Table(title="Staff tokens")
    for column in ("id", "name", "prefix", "role", "scopes", "created", "expires", "revoked", "last used"):
        table.add_column(column, overflow="fold")
    for row in services.staff_tokens.list():
        role = row["role"] + (f" ({row['department']})" if row["department"] else "")
        table.add_row(str(row["id"]), row["name"], row["prefix"] + "…", role, " ".join(row["scopes"]),
                      _when(row["created_at"]), _when(row["expires_at"]), _when(row["revoked_at"]),
                      _when(row["last_used_at"]))
    console.print(table)


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


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


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    department: Annotated[Optional[str], typer.Option(help="The department (required for officials).")] = None,
    scopes: Annotated[str, typer.Option(help="Comma-separated scopes (for the staff role).")] = "",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from the first line "
                                                 "of stdin instead of asking.")] = False,
) -> None:
    """Create an account (there is no default account: the first admin is made here)."""
    from civic_services.staff import StaffTokenError
    from civic_services.staff.passwords import WeakPassword
    from civic_services.staff.users import AccountError

    services = open_runtime()
    try:
        account = services.staff_users.create(name, role, _password(password_stdin), department,
                                              tuple(scopes.split(",")))
    except (AccountError, StaffTokenError, WeakPassword) as exc:
        _fail(str(exc), 2)
    services.audit.record("cli", "create account", target=f"{account.role}:{account.name}", outcome="ok")
    console.print(f"account {account.name} created ({account.role}"
                  + (f", {account.department}" if account.department else "") + "); sign in at /staff/login")


@user_app.command("list")
def user_list() -> None:
    """List the accounts (never their passwords)."""
    services = open_runtime()
    table = Table(title="Staff accounts")
    for column in ("id", "name", "role", "department", "scopes", "created", "last sign-in", "state"):
        table.add_column(column, overflow="fold")
    for row in services.staff_users.list():
        state = "disabled" if row["disabled"] else "locked" if row["locked"] else "active"
        table.add_row(str(row["id"]), row["name"], row["role"], row["department"] or "-", " ".join(row["scopes"]),
                      _when(row["created_at"]), _when(row["last_login_at"]), state)
    console.print(table)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="The sign-in name.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the new password from stdin.")] = False,
) -> None:
    """Set an account's password (and unlock it)."""
    from civic_services.staff.passwords import WeakPassword
    from civic_services.staff.users import AccountError

    services = open_runtime()
    try:
        services.staff_users.set_password(name, _password(password_stdin))
    except (AccountError, WeakPassword) as exc:
        _fail(str(exc), 2)
    services.audit.record("cli", "set password", target=name, outcome="ok")
    console.print(f"password of {name} set")


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="The sign-in name.")]) -> None:
    """Disable an account at once (its sessions stop working)."""
    from civic_services.staff.users import AccountError

    services = open_runtime()
    try:
        services.staff_users.disable(name)
    except AccountError as exc:
        _fail(str(exc), 2)
    services.audit.record("cli", "disable account", target=name, outcome="ok")
    console.print(f"account {name} disabled")


@staff_app.command("audit")
def audit_log(
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Most recent entries to show.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """The audit log: sign-ins and every write by staff, newest first."""
    import json

    services = open_runtime()
    rows = services.audit.recent(limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    for row in rows:
        console.print(f"{row['at'][:19]}  {row['actor']:<30} {row['action']:<40} {row['target']} {row['outcome']}",
                      markup=False, highlight=False)
