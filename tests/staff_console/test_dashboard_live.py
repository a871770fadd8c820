"""The dashboard stays live while the real pipeline runs: ``dasan iot simulate`` publishes S-DoT-style readings to
the MQTT broker, ``dasan iot consume`` writes them into the server's database, and a complaint is filed meanwhile;
the open page (no reload) counts the new stations, shows each district's noise and temperature in its table and
on the map's layers, and counts the complaint. Needs the broker (127.0.0.1:1883, or DASAN_TEST_MQTT)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.browser import wait_ready, wait_until
from tests.harness import clean_env

pytestmark = pytest.mark.slow
BROKER = os.environ.get("DASAN_TEST_MQTT", "127.0.0.1:1883")
STATIONS = 4


def _broker_up() -> bool:
    host, port = BROKER.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def _dasan(data_dir, topic_prefix: str, *args: str) -> subprocess.Popen:
    env = clean_env(DASAN_DATA_DIR=str(data_dir), DASAN_MQTT_URL=f"mqtt://{BROKER}",
                    DASAN_MQTT_TOPIC_PREFIX=topic_prefix)
    return subprocess.Popen([sys.executable, "-m", "dasan.cli", "iot", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.skipif(not _broker_up(), reason=f"no MQTT broker at {BROKER}")
def test_the_dashboard_follows_the_simulated_feed_and_new_complaints(console_server, signed_in_page):
    base, data_dir = console_server.base, console_server.runtime.settings.data_dir
    page = signed_in_page("official", target="/staff?every=2")
    wait_ready(page)
    stations_before = int(page.locator("#c-stations strong").inner_text().split()[0])
    complaints_before = int(page.locator("#c-today strong").inner_text())
    updates = int(page.evaluate("document.body.dataset.updates"))
    prefix = f"test-live-{uuid.uuid4().hex[:8]}"  # a topic tree of its own on the shared broker
    consumer = _dasan(data_dir, prefix, "consume", "--client-id", prefix, "--batch-ms", "100")
    simulator = None
    try:
        wait_until(page, "true", 2)  # give the consumer a moment to subscribe
        simulator = _dasan(data_dir, prefix, "simulate", "--sensors", str(STATIONS), "--interval", "1",
                           "--rounds", "20", "--prefix", prefix, "--fault-rate", "0")
        wait_until(page, f"Number(document.querySelector('#c-stations strong').textContent.split(' ')[0]) >= "
                         f"{stations_before + STATIONS}", 60)
        answer = httpx.post(f"{base}/open311/v2/requests.json", timeout=30,
                            data={"service_code": "streetlight", "lat": "37.5172", "long": "127.0473",
                                  "description": "the lamp is out"})
        assert answer.status_code == 201, answer.text
        wait_until(page, f"Number(document.querySelector('#c-today strong').textContent) === {complaints_before + 1}",
                   30)
        assert int(page.evaluate("document.body.dataset.updates")) > updates + 1  # pushed twice or more, no reload
        wait_until(page, "[...document.querySelectorAll('#districts td[data-metric=noise]')]"
                         ".some((c) => c.textContent.includes('dB'))", 30)
        temperatures = page.locator("#districts td[data-metric=temperature]").all_inner_texts()
        assert any(t.endswith("°C") for t in temperatures), temperatures
        page.get_by_label("Noise (mean of the past hour)").check()
        assert page.locator("#scale").is_visible()
        fills = page.evaluate("[...document.querySelectorAll('#map path[data-district]')].map((p) => p.getAttribute('fill'))")
        assert len(set(fills)) >= 2, fills  # districts with readings are shaded, the others grey
        assert page.errors == []
    finally:
        for process in (simulator, consumer):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
