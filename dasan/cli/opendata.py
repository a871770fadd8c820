"""``dasan opendata ...``: the open-data plaza from the command line (same service and database as the server)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail

opendata_app = typer.Typer(help="The open-data plaza: sample datasets, loading CSV/JSON files, listing.",
                           no_args_is_help=True)


@opendata_app.command("seed")
def opendata_seed(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 120,
    end_date: Annotated[Optional[str], typer.Option(help="Last day the time series cover (YYYY-MM-DD) "
                                                    "\\[default: 2026-10-31].")] = None,
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
    services = open_runtime()
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
    resource: Annotated[Optional[str], typer.Option(help="Resource id \\[default: the dataset's first resource, "
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
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from civic_services.opendata import DatasetMeta
    from civic_services.opendata.errors import NotFound, OpenDataError

    forced = {}
    for item in type_ or []:
        column, sep, kind = item.partition("=")
        if not sep:
            _fail(f"--type {item!r} is not COLUMN=TYPE", 2)
        forced[column] = kind
    services = open_runtime()
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
    services = open_runtime()
    table = Table(title="Datasets")
    for column in ("id", "title", "publisher", "resources", "rows", "synthetic"):
        table.add_column(column, overflow="fold")
    for package in services.opendata.catalog.all_packages():
        table.add_row(package["id"], package["title"], package["organization"]["title"],
                      str(package["num_resources"]), f"{sum(r['row_count'] for r in package['resources']):,}",
                      "yes" if package["synthetic"] else "no")
    console.print(table)
