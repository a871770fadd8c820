"""``dasan opendata ...`` and ``dasan staff ...``: the civic services from the command line (same objects as the
server, same database)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli_support import console, err, fail as _fail


opendata_app = typer.Typer(help="The open-data plaza: sample datasets, loading CSV/JSON files, listing.",
                           no_args_is_help=True)
staff_app = typer.Typer(help="Staff credentials for the civic services (bearer tokens with scopes).",
                        no_args_is_help=True)
token_app = typer.Typer(help="Create, list and revoke staff tokens.", no_args_is_help=True)
staff_app.add_typer(token_app, name="token")


def _services():
    from dasan.civic import build_civic_services
    from dasan.db import make_engine
    from dasan.settings import get_settings
    from civic_services.storage import upgrade

    try:
        settings = get_settings()
    except Exception as exc:
        _fail(f"invalid settings: {exc}", 2)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
    except Exception as exc:  # an unreachable database is a message, not a traceback
        _fail(f"cannot prepare the database: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return build_civic_services(settings, engine)


# --- opendata

@opendata_app.command("seed")
def opendata_seed(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 120,
    end_date: Annotated[Optional[str], typer.Option(help="Last day the time series cover (YYYY-MM-DD) "
                                                    "[default: 2026-10-31].")] = None,
    only: Annotated[Optional[list[str]], typer.Option(help="Only these datasets (repeatable).")] = None,
) -> None:
    """Create (or replace) the 13 synthetic sample datasets for Seoul's 25 districts."""
    from civic_services.opendata import samples
    from civic_services.opendata.errors import OpenDataError

    try:
        end = date.fromisoformat(end_date) if end_date else samples.DEFAULT_END
    except ValueError:
        _fail(f"--end-date {end_date!r} is not a date like 2026-10-31", 2)
    known = [s.meta.id for s in samples.samples(seed)]
    unknown = [name for name in only or [] if name not in known]
    if unknown:
        _fail(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(known)}", 2)
    services = _services()
    try:
        loaded = samples.seed(services.opendata, seed, end, only,
                              on_dataset=lambda name, rows: console.print(f"[green]✓[/] {name}: {rows:,} rows"))
    except OpenDataError as exc:
        _fail(exc.message)
    console.print(f"{len(loaded)} synthetic sample datasets loaded (seed {seed}, up to {end}).")


@opendata_app.command("ingest")
def opendata_ingest(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .csv, .json or .jsonl file.")],
    dataset: Annotated[str, typer.Option(help="Dataset id (snake_case), e.g. public_toilets.")],
    resource: Annotated[Optional[str], typer.Option(help="Resource id [default: the dataset's first resource, "
                                                    "or the dataset id].")] = None,
    name: Annotated[Optional[str], typer.Option(help="Resource name shown in the catalogue.")] = None,
    type_: Annotated[Optional[list[str]], typer.Option("--type", help="Force a column type: COLUMN=TYPE "
                                                       "(int, numeric, bool, date, timestamp, text).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Create the dataset if missing, with this English title.")] = None,
    title_ko: Annotated[str, typer.Option(help="Korean title (with --title).")] = "",
    publisher: Annotated[str, typer.Option(help="Responsible department (with --title).")] = "Seoul Metropolitan Government",
    tag: Annotated[Optional[list[str]], typer.Option(help="Tags (with --title, repeatable).")] = None,
) -> None:
    """Load a CSV or JSON file into a dataset's datastore: infers column types, reports bad rows by line."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from civic_services.opendata import DatasetMeta
    from civic_services.opendata.errors import NotFound, OpenDataError

    forced = {}
    for item in type_ or []:
        column, sep, kind = item.partition("=")
        if not sep:
            _fail(f"--type {item!r} is not COLUMN=TYPE", 2)
        forced[column] = kind
    services = _services()
    opendata = services.opendata
    try:
        try:
            opendata.catalog.show(dataset)
        except NotFound:
            if not title:
                _fail(f"no dataset {dataset!r}; pass --title (and --publisher, --tag) to create it")
            opendata.catalog.upsert(DatasetMeta(id=dataset, title_en=title, title_ko=title_ko, publisher=publisher,
                                                tags=tuple(tag or ())))
            console.print(f"created dataset {dataset}")
        with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task(f"reading {file.name}", total=file.stat().st_size)
            passes = {"n": 0}

            def on_progress(done: int, total: int) -> None:
                if done <= 65536 and passes["n"] < 3:
                    passes["n"] += 1
                    label = {1: "detecting encoding", 2: "inferring types", 3: "loading"}[passes["n"]]
                    progress.update(task, description=f"{label} ({file.name})")
                progress.update(task, completed=done)

            report = opendata.ingest(dataset, path=file, resource_id=resource, name=name, types=forced,
                                     progress=on_progress)
    except OpenDataError as exc:
        _fail(exc.message)
    table = Table(title=f"{report.resource_id}: {report.rows:,} rows loaded ({report.encoding})")
    table.add_column("column")
    table.add_column("type")
    for field in report.fields:
        table.add_row(field["id"], field["type"])
    console.print(table)
    if report.indexes:
        console.print("indexes: " + ", ".join("(" + ", ".join(cols) + ")" for cols in report.indexes))
    if report.bad_row_count:
        err.print(f"[yellow]{report.bad_row_count} bad row(s) skipped[/]"
                  + (f" (first {len(report.bad_rows)} listed)" if report.bad_row_count > len(report.bad_rows) else ""))
        for bad in report.bad_rows:
            err.print(f"  line {bad.line}: {bad.message}")


@opendata_app.command("list")
def opendata_list() -> None:
    """List the datasets and their resources."""
    services = _services()
    table = Table(title="Datasets")
    for column in ("id", "title", "publisher", "resources", "rows", "synthetic"):
        table.add_column(column, overflow="fold")
    for package in services.opendata.catalog.all_packages():
        table.add_row(package["id"], package["title"], package["organization"]["title"],
                      str(package["num_resources"]), f"{sum(r['row_count'] for r in package['resources']):,}",
                      "yes" if package["synthetic"] else "no")
    console.print(table)


# --- staff tokens

@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. a person's name or 'dispatch-app'.")],
    scopes: Annotated[str, typer.Option(help="Comma-separated: complaints:read, complaints:write, opendata:write.")],
    days: Annotated[Optional[int], typer.Option(min=1, help="Expire after this many days [default: never].")] = None,
) -> None:
    """Create a staff token and print it once (only its hash is stored)."""
    from civic_services.staff import StaffTokenError

    services = _services()
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
    services = _services()
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

    services = _services()
    try:
        services.staff_tokens.revoke(token_id)
    except StaffTokenError as exc:
        _fail(str(exc))
    console.print(f"token {token_id} revoked")
