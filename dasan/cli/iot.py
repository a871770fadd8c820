"""``dasan iot ...``: the IoT consumer and simulator, district queries and maintenance (same service and database
as the server)."""

from __future__ import annotations

import json
import signal
from typing import Annotated, Optional

import typer
from rich.table import Table

from dasan.cli.common import console, err, open_runtime
from dasan.cli.common import fail as _fail

iot_app = typer.Typer(help="IoT urban data: MQTT ingestion, a sensor simulator, district queries, maintenance.",
                      no_args_is_help=True)


def _setup():
    runtime = open_runtime(logs=True)
    return runtime.settings, runtime


def _term_as_interrupt() -> None:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))


@iot_app.command("consume")
def iot_consume(
    batch_size: Annotated[Optional[int], typer.Option(min=1, help="Observations per commit \\[default: "
                                                      "DASAN_IOT_BATCH_SIZE, 5000].")] = None,
    batch_ms: Annotated[Optional[int], typer.Option(min=1, help="Longest wait before a commit \\[default: "
                                                    "DASAN_IOT_BATCH_MS, 200].")] = None,
    client_id: Annotated[Optional[str], typer.Option(help="MQTT client id: the broker keeps this consumer's "
                                                     "session (unacknowledged messages) under it; each consumer of "
                                                     "a shared group needs its own \\[default: dasan-iot-consumer, "
                                                     "or dasan-iot-GROUP-HOST with --share].")] = None,
    share: Annotated[Optional[str], typer.Option(help="Join this MQTT shared-subscription group ($share/GROUP/...): "
                                                 "the broker gives each message to one consumer of the group "
                                                 "\\[default: DASAN_MQTT_SHARE_GROUP, none].")] = None,
    maintenance_every: Annotated[float, typer.Option(help="Seconds between rollup/retention runs.")] = 300.0,
) -> None:
    """Ingest SensorThings observations from MQTT (v1.1/Datastreams(id)/Observations) until stopped."""
    from civic_services.iot.mqtt import MqttConsumer

    import socket

    settings, services = _setup()
    group = share or settings.mqtt_share_group or None
    client_id = client_id or (f"dasan-iot-{group}-{socket.gethostname()}"[:64] if group else "dasan-iot-consumer")
    try:
        consumer = MqttConsumer(services.iot, settings.mqtt_url, settings.mqtt_topic_prefix,
                                batch_size=batch_size or settings.iot_batch_size,
                                batch_ms=batch_ms or settings.iot_batch_ms, client_id=client_id,
                                maintenance_every_s=maintenance_every, share_group=group)
    except ValueError as exc:
        _fail(str(exc))
    err.print(f"consuming {consumer.subscription('+/Observations')} from {settings.mqtt_url} as {client_id} "
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


__all__ = ["iot_app"]
