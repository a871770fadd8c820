"""``dasan vote ...``: mVoting's staff and audit commands (same service and database as the server)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail

vote_app = typer.Typer(help="mVoting: polls, voter registry, results, receipt verification and ledger audits.",
                       no_args_is_help=True)


def _setup():
    runtime = open_runtime(logs=True)
    return runtime.settings, runtime


@vote_app.command("create-poll")
def vote_create_poll(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON: kind, title, options "
                                         "[{label, label_en, cost}], opens_at, closes_at, and the optional fields "
                                         "of POST /voting/polls.")],
) -> None:
    """Create a poll from a JSON file; prints its id (MV-NNNN)."""
    from pydantic import ValidationError

    from civic_services.voting import OptionSpec, PollSpec, VotingError
    from civic_services.voting.api import PollIn

    try:
        body = PollIn.model_validate_json(file.read_text(encoding="utf-8"))
    except ValidationError as exc:
        _fail(f"{file}: {exc}", 2)
    if body.opens_at.tzinfo is None or body.closes_at.tzinfo is None:
        _fail("opens_at and closes_at need a time zone, e.g. 2026-12-01T09:00:00+09:00", 2)
    _, services = _setup()
    fields = body.model_dump(exclude={"options"})
    try:
        poll = services.voting.create_poll(PollSpec(**fields, options=tuple(
            OptionSpec(o.label, o.label_en, o.cost, o.description) for o in body.options)), created_by="cli")
    except VotingError as exc:
        _fail(exc.message, 2)
    err.print(f"created {poll['id']}: {poll['title']} ({poll['status']}, {len(poll['options'])} options)")
    print(poll["id"])


@vote_app.command("register")
def vote_register(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with columns person,district.")],
    out: Annotated[Path, typer.Option(help="Where to write person,district,credential (created 0600).")],
    reissue: Annotated[bool, typer.Option(help="Replace the credentials of people already registered.")] = False,
) -> None:
    """Register residents from a CSV and write their voting credentials (shown once) to a file."""
    import os

    from civic_services.voting import VotingError

    with open(file, newline="", encoding="utf-8-sig") as handle:
        people = [(row.get("person", ""), row.get("district", "")) for row in csv.DictReader(handle)]
    if not people:
        _fail(f"{file} has no rows with person,district", 2)
    _, services = _setup()
    try:
        issued = services.voting.register_voters(people, reissue=reissue)
    except VotingError as exc:
        _fail(exc.message, 2)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["person", "district", "credential"])
        for (person, _), r in zip(people, issued):
            writer.writerow([person, r.district, r.credential])
    console.print(f"{len(issued):,} voters registered; credentials written to {out}")


@vote_app.command("list")
def vote_list(status: Annotated[str, typer.Option(help="open, closed, upcoming or all")] = "all") -> None:
    """List polls."""
    from civic_services.voting import VotingError

    _, services = _setup()
    try:
        polls = services.voting.list_polls(status)
    except VotingError as exc:
        _fail(exc.message, 2)
    table = Table(title=f"Polls ({status})")
    for column in ("id", "kind", "title", "status", "district", "closes"):
        table.add_column(column, overflow="fold")
    for p in polls:
        table.add_row(p["id"], p["kind"], p["title"], p["status"], p["district"] or "all", p["closes_at"])
    console.print(table)


@vote_app.command("close")
def vote_close(poll: str) -> None:
    """Close a poll now."""
    from civic_services.voting import VotingError

    _, services = _setup()
    try:
        closed = services.voting.close_poll(poll)
    except VotingError as exc:
        _fail(exc.message, 2)
    console.print(f"{closed['id']} closed at {closed['closes_at']}")


@vote_app.command("results")
def vote_results(poll: str) -> None:
    """A poll's results (final and signed once it has closed)."""
    from civic_services.voting import VotingError

    _, services = _setup()
    try:
        print(json.dumps(services.voting.results(poll), ensure_ascii=False, indent=1))
    except VotingError as exc:
        _fail(exc.message, 2)


@vote_app.command("verify")
def vote_verify(
    receipt: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The receipt (JSON) your vote "
                                            "returned.")],
    public_key: Annotated[Optional[str], typer.Option(help="The ledger's published public key (base64) to trust; "
                                                      "without it the key in the receipt is only reported.")] = None,
    server: Annotated[Optional[str], typer.Option(help="Also ask this Dasan server for its latest head and a "
                                                  "consistency proof from your receipt's head.")] = None,
) -> None:
    """Check a ballot receipt offline: ballot hash, inclusion proof, signed tree head (and, with --server,
    that the server's current log still extends it: a log shorter than your receipt's head is tampering). Exit 1
    if any check fails."""
    from civic_services.voting.receipts import verify_receipt, verify_with_server

    try:
        data = json.loads(receipt.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"{receipt} is not JSON: {exc}", 2)
    data = data if isinstance(data, dict) else {}
    checks = verify_receipt(data, public_key)
    if server:
        import httpx

        def fetch(path: str, params: dict):
            answer = httpx.get(f"{server.rstrip('/')}{path}", params=params, timeout=30)
            try:
                return answer.status_code, answer.json()
            except ValueError:
                return answer.status_code, None

        try:
            checks += verify_with_server(data, fetch)
        except httpx.HTTPError as exc:
            _fail(f"cannot ask {server} whether its log extends your receipt: {exc}")
    for check in checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        console.print(f"{mark} {check.name}: {check.detail}", highlight=False)
    if not all(c.ok for c in checks):
        _fail("the receipt does NOT verify" + (" against the server: the server's log was tampered with"
                                               if server and all(c.ok for c in verify_receipt(data, public_key))
                                               else ""))
    if "public_key" in data and public_key is None:
        err.print(f"key in the receipt: {data['public_key']} (compare it with the published key, or pass "
                  "--public-key)")
    console.print("receipt verified" + (f" and {server} still holds it" if server else ""))


@vote_app.command("audit")
def vote_audit(
    poll: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute a poll's Merkle tree and tally from the stored ballots and report any tampering (exit 1)."""
    from civic_services.voting import VotingError
    from civic_services.voting.audit import audit

    _, services = _setup()
    try:
        report = audit(services.voting, poll)
    except VotingError as exc:
        _fail(exc.message, 2)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        checked = report.checked
        console.print(f"{report.poll}: checked {checked['ballots']:,} ballots (each rehashed), {checked['heads']:,} "
                      f"signed heads ({checked['signatures_valid']:,} of {checked['heads']:,} signatures valid; "
                      f"{checked['heads_matched']:,} match the ballots, {checked['heads_disagree']:,} disagree, "
                      f"{checked['heads_unverifiable']:,} cannot be checked), {checked['participation_marks']:,} "
                      f"participation marks" + (", the signed final results" if checked["final_results"] else "")
                      + f"; root {report.root[:16]}… ({report.seconds:.2f} s)", highlight=False)
        for problem in report.problems:
            console.print(f"[red]✗[/] {problem['kind']} at {problem['where']}: {problem['detail']}", highlight=False)
        if report.ok:
            console.print("[green]✓[/] every ballot, head and count checks out")
        else:
            console.print(f"{len(report.problems)} problem(s) found")
    if not report.ok:
        raise typer.Exit(1)


__all__ = ["vote_app"]
