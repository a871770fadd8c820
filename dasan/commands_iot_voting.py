"""``dasan iot ...`` and ``dasan vote ...``: the IoT consumer and simulator, district queries, and mVoting's
staff and audit commands (same services as the server, same database)."""

from __future__ import annotations

import csv
import json
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli_support import console, err, fail as _fail


iot_app = typer.Typer(help="IoT urban data: MQTT ingestion, a sensor simulator, district queries, maintenance.",
                      no_args_is_help=True)
vote_app = typer.Typer(help="mVoting: polls, voter registry, results, receipt verification and ledger audits.",
                       no_args_is_help=True)


def _setup():
    from civic_services.storage import upgrade
    from dasan.civic import build_civic_services
    from dasan.db import make_engine
    from dasan.logging_setup import configure_logging
    from dasan.settings import get_settings

    try:
        settings = get_settings()
    except Exception as exc:
        _fail(f"invalid settings: {exc}", 2)
    configure_logging(settings.log_level, settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
    except Exception as exc:
        _fail(f"cannot prepare the database: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return settings, build_civic_services(settings, engine)


def _term_as_interrupt() -> None:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))


# --- IoT

@iot_app.command("consume")
def iot_consume(
    batch_size: Annotated[Optional[int], typer.Option(min=1, help="Observations per commit [default: "
                                                      "DASAN_IOT_BATCH_SIZE, 5000].")] = None,
    batch_ms: Annotated[Optional[int], typer.Option(min=1, help="Longest wait before a commit [default: "
                                                    "DASAN_IOT_BATCH_MS, 200].")] = None,
    client_id: Annotated[str, typer.Option(help="MQTT client id: the broker keeps this consumer's session "
                                           "(unacknowledged messages) under it.")] = "dasan-iot-consumer",
    maintenance_every: Annotated[float, typer.Option(help="Seconds between rollup/retention runs.")] = 300.0,
) -> None:
    """Ingest SensorThings observations from MQTT (v1.1/Datastreams(id)/Observations) until stopped."""
    from civic_services.iot.mqtt import MqttConsumer

    settings, services = _setup()
    consumer = MqttConsumer(services.iot, settings.mqtt_url, settings.mqtt_topic_prefix,
                            batch_size=batch_size or settings.iot_batch_size,
                            batch_ms=batch_ms or settings.iot_batch_ms, client_id=client_id,
                            maintenance_every_s=maintenance_every)
    err.print(f"consuming {settings.mqtt_topic_prefix}/+/Observations from {settings.mqtt_url} "
              f"(Ctrl-C to stop)")
    last = {"stored": 0}

    def report(stats) -> None:
        err.print(f"received {stats.received:,} messages, stored {stats.stored:,} observations "
                  f"(+{stats.stored - last['stored']:,}), duplicates {stats.duplicates:,}, rejected "
                  f"{stats.rejected:,}, connected {consumer.connected.is_set()}")
        last["stored"] = stats.stored

    _term_as_interrupt()
    try:
        consumer.run_forever(report_every_s=10.0, on_report=report)
    except KeyboardInterrupt:
        pass
    report(consumer.stats)
    print(json.dumps(consumer.stats.as_dict(), ensure_ascii=False))


@iot_app.command("simulate")
def iot_simulate(
    sensors: Annotated[int, typer.Option(min=1, max=100_000, help="Stations (11 datastreams each), spread over "
                                         "the 25 districts.")] = 50,
    interval: Annotated[float, typer.Option(min=0.01, help="Seconds between a station's reports.")] = 60.0,
    duration: Annotated[Optional[float], typer.Option(help="Stop after this many seconds.")] = None,
    rounds: Annotated[Optional[int], typer.Option(help="Stop after this many reports per station.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (placement and noise).")] = 120,
    fault_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of readings that are faults.")] = 0.001,
    prefix: Annotated[str, typer.Option(help="Station name prefix (stations are created once by name).")] = "sdot",
    payload_format: Annotated[str, typer.Option("--format", help="observation: one message per reading "
                                                "(SensorThings MQTT); dataarray: one CreateObservations message "
                                                "per station report (a batching gateway).")] = "observation",
) -> None:
    """Publish realistic S-DoT-style readings for N simulated stations over MQTT."""
    from civic_services.iot.simulator import Simulator

    settings, services = _setup()
    with console.status(f"provisioning {sensors} stations"):
        stations = services.iot.provision_stations(sensors, seed=seed, prefix=prefix)
    rate = sensors * 11 / interval
    err.print(f"{sensors} stations, {sensors * 11:,} datastreams; publishing ~{rate:,.0f} observations/s to "
              f"{settings.mqtt_url} (Ctrl-C to stop)")
    simulator = Simulator(stations, settings.mqtt_url, settings.mqtt_topic_prefix, interval_s=interval, seed=seed,
                          fault_rate=fault_rate, payload_format=payload_format)
    _term_as_interrupt()
    try:
        stats = simulator.run(duration_s=duration, rounds=rounds)
    except ConnectionError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        stats = simulator.stats
    print(json.dumps({"published": stats.published, "messages": stats.messages, "faults": stats.faults,
                      "skipped": stats.skipped,
                      "rounds": stats.rounds, "rate": round(stats.rate, 1)}))


@iot_app.command("maintain")
def iot_maintain() -> None:
    """Roll complete hours up into hourly aggregates and apply the retention settings, once."""
    _, services = _setup()
    report = services.iot.maintenance.run()
    console.print(f"hourly aggregates up to {report.rolled_until.isoformat()}; deleted {report.raw_deleted:,} raw "
                  f"and {report.hourly_deleted:,} hourly rows past retention")


@iot_app.command("latest")
def iot_latest(metric: str, district: str) -> None:
    """A district's current value of a metric (pm10, pm2_5, temperature, ...)."""
    from civic_services.iot import IoTError

    _, services = _setup()
    try:
        print(json.dumps(services.iot.analytics.latest(metric, district), ensure_ascii=False, indent=1))
    except IoTError as exc:
        _fail(exc.message, 2)


@iot_app.command("history")
def iot_history(metric: str, district: str,
                period: Annotated[str, typer.Option(help="last_24h, today, yesterday, last_7d, last_week, "
                                                    "last_30d, last_month, this_year, last_year")] = "last_24h",
                interval: Annotated[str, typer.Option(help="hour or day")] = "hour") -> None:
    """Hourly or daily avg/min/max of a metric in a district over a period."""
    from civic_services.iot import IoTError

    _, services = _setup()
    try:
        print(json.dumps(services.iot.analytics.history(metric, district, period=period, interval=interval),
                         ensure_ascii=False, indent=1))
    except IoTError as exc:
        _fail(exc.message, 2)


@iot_app.command("alerts")
def iot_alerts(district: Annotated[str, typer.Argument(help="A district or 'all'.")] = "all") -> None:
    """Fine-dust grades and alerts by district (Korea's PM10/PM2.5 bands)."""
    from civic_services.iot import IoTError

    _, services = _setup()
    try:
        report = services.iot.analytics.air_quality_alerts(district)
    except IoTError as exc:
        _fail(exc.message, 2)
    table = Table(title=f"Fine dust as of {report['as_of']}")
    for column in ("district", "PM10", "PM2.5", "grade", "alert"):
        table.add_column(column)
    show = lambda v: "-" if v is None else f"{v['value']} ({v['grade']})"  # noqa: E731
    for entry in report["districts"]:
        table.add_row(entry["district"], show(entry["pm10"]), show(entry["pm2_5"]), entry["grade"] or "-",
                      "[red]yes[/]" if entry["alert"] else "no")
    console.print(table)


# --- voting

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
    that the current log still extends it). Exit 1 if any check fails."""
    from civic_services.voting.receipts import verify_receipt

    try:
        data = json.loads(receipt.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"{receipt} is not JSON: {exc}", 2)
    later = proof = None
    if server and isinstance(data, dict):
        import httpx

        try:
            size = int(data["tree_head"]["size"])
            answer = httpx.get(f"{server.rstrip('/')}/voting/polls/{data['poll']}/consistency",
                               params={"first": size}, timeout=30).json()
            later, proof = answer.get("second_head"), answer.get("proof")
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            _fail(f"cannot get a consistency proof from {server}: {exc}")
    checks = verify_receipt(data if isinstance(data, dict) else {}, public_key, later, proof)
    for check in checks:
        mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
        console.print(f"{mark} {check.name}: {check.detail}")
    if not all(c.ok for c in checks):
        _fail("the receipt does NOT verify")
    if isinstance(data, dict) and "public_key" in data and public_key is None:
        err.print(f"key in the receipt: {data['public_key']} (compare it with the published key, or pass "
                  "--public-key)")
    console.print("receipt verified")


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
        console.print(f"{report.poll}: {report.ballots:,} ballots, {report.heads:,} signed heads, root "
                      f"{report.root[:16]}… ({report.seconds:.2f} s)")
        for problem in report.problems:
            console.print(f"[red]✗[/] {problem['kind']} at {problem['where']}: {problem['detail']}")
        if report.ok:
            console.print("[green]✓[/] every ballot, head and count checks out")
    if not report.ok:
        raise typer.Exit(1)


__all__ = ["iot_app", "vote_app", "datetime", "sys"]
