"""Model work on Ray Serve: which roles run there, their deployments from settings, and the stand-ins a model set
gets when ``DASAN_RAY_ADDRESS`` is set.

``dasan ray up`` (:func:`deploy`) runs one Serve application per role on the cluster (``<prefix>-embedder``,
``<prefix>-asr``, ``<prefix>-llm``, ``<prefix>-tts-en``, ``<prefix>-tts-ko``), each with its replica count and CPU
share from settings, and no HTTP proxy (the web workers call them through handles). A process that opens its
runtime with ``DASAN_RAY_ADDRESS`` set joins the cluster as a driver (:func:`connect`) and its model set hands out
:class:`~models.ray_serve.RayEmbedder`, :class:`~speech.ray_serve.RayWindowDecoder` and the others in place of
the in-process models; a cluster that cannot be reached, or a role whose application is not running, is a
:class:`RayUnavailable` at start, never a failure on the first call.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from models.store import ModelError

log = logging.getLogger("dasan.ray")

ROLES = ("embedder", "asr", "llm", "tts")  # what DASAN_RAY_ROLES may name
CONNECT_TIMEOUT_S = 5.0
_joined: str | None = None  # the address this process joined


class RayUnavailable(ModelError):
    """The Ray cluster or a role's Serve application is not there (the message says what to do)."""


@dataclass(frozen=True)
class Placement:
    role: str  # a key of ROLES
    app: str  # the Serve application's name
    replicas: int
    cpus: float


def roles_of(settings) -> list[str]:
    roles = [part.strip() for part in settings.ray_roles.split(",") if part.strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise RayUnavailable(f"DASAN_RAY_ROLES names {', '.join(unknown)}; roles Ray can serve: {', '.join(ROLES)}")
    return roles


def placements(settings, roles: list[str] | None = None) -> list[Placement]:
    """The applications the settings ask for, one per role (two for TTS: one per language)."""
    out = []
    for role in roles if roles is not None else roles_of(settings):
        replicas, cpus = getattr(settings, f"ray_{role}_replicas"), getattr(settings, f"ray_{role}_cpus")
        apps = [f"{settings.ray_app_prefix}-tts-en", f"{settings.ray_app_prefix}-tts-ko"] if role == "tts" else \
            [f"{settings.ray_app_prefix}-{role}"]
        out += [Placement(role, app, replicas, cpus) for app in apps]
    return out


def _threads(cpus: float) -> int:
    return max(1, round(cpus))


def build_app(settings, placement: Placement):
    """The bound Serve application of one placement (the replicas load their model from ``models_dir``)."""
    from models.ray_serve import EmbedderServer, LLMServer, TTSServer, deployment

    models_dir = str(settings.models_dir)
    name, replicas, cpus = placement.app, placement.replicas, placement.cpus
    per_node = settings.ray_max_replicas_per_node
    if placement.role == "embedder":
        return deployment(EmbedderServer, name, replicas, cpus, max_ongoing=256, per_node=per_node).bind(
            settings.embedder_model, models_dir, _threads(cpus), settings.ray_batch_max,
            settings.ray_batch_wait_ms / 1000)
    if placement.role == "asr":
        from speech.ray_serve import AsrServer

        return deployment(AsrServer, name, replicas, cpus, max_ongoing=64, per_node=per_node).bind(
            settings.asr_model, models_dir, settings.asr_backend, settings.asr_compute_type, _threads(cpus),
            settings.ray_asr_batch_max, settings.ray_batch_wait_ms / 1000)
    if placement.role == "llm":
        return deployment(LLMServer, name, replicas, cpus, max_ongoing=16, per_node=per_node).bind(
            settings.llm_model, models_dir, _threads(cpus))
    language = placement.app.rsplit("-", 1)[1]
    ref = settings.tts_voice_ko if language == "ko" else settings.tts_voice_en
    key = settings.tts_api_key.get_secret_value() if settings.tts_api_key else None
    return deployment(TTSServer, name, replicas, cpus, max_ongoing=32, per_node=per_node).bind(
        ref, models_dir, language, key)


# ---------------------------------------------------------------------------------------------------- cluster
def _import_ray():
    try:
        import ray
        from ray import serve
    except ImportError as exc:
        raise RayUnavailable("DASAN_RAY_ADDRESS is set but Ray is not installed: `pip install 'dasan[ray]'` "
                             "(or unset DASAN_RAY_ADDRESS to run the models in this process)") from exc
    return ray, serve


def _reachable(address: str) -> None:
    """A quick check of a ``host:port`` (or ``ray://host:port``) address, so a wrong one fails in seconds."""
    if address == "auto":
        return
    target = address.removeprefix("ray://")
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailable(f"DASAN_RAY_ADDRESS={address!r} is not an address: give auto, host:port (the head's "
                             "GCS port, 6379 by default) or ray://host:10001")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        raise RayUnavailable(f"no Ray cluster answers at {address} (DASAN_RAY_ADDRESS): {exc.strerror or exc}. "
                             "Start one (`ray start --head`, then `dasan ray up`) or unset DASAN_RAY_ADDRESS to run "
                             "the models in this process") from None


def init(address: str) -> None:
    """Join the cluster at ``address`` as a driver (once per process)."""
    global _joined
    ray, _ = _import_ray()
    _reachable(address)
    if ray.is_initialized():
        if _joined not in (None, address):
            raise RayUnavailable(f"this process has joined the Ray cluster at {_joined} already, not {address}")
        return
    try:
        ray.init(address=address, namespace="dasan", log_to_driver=False, logging_level=logging.WARNING,
                 configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RayUnavailable(f"cannot join the Ray cluster at {address} (DASAN_RAY_ADDRESS): "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. Start one "
                             "(`ray start --head`, then `dasan ray up`) or unset DASAN_RAY_ADDRESS") from None
    _joined = address


def running_apps() -> dict[str, str]:
    """Serve application name -> status on the joined cluster (empty when Serve is not started there)."""
    _, serve = _import_ray()
    try:
        return {name: str(app.status.value if hasattr(app.status, "value") else app.status)
                for name, app in serve.status().applications.items()}
    except Exception as exc:  # Serve not started on the cluster
        log.debug("serve status: %s", exc)
        return {}


def deploy(settings, roles: list[str] | None = None) -> list[Placement]:
    """Run (or update) the roles' applications on the cluster at ``settings.ray_address`` ("auto" when empty);
    returns once every replica is up."""
    _, serve = _import_ray()
    init(settings.ray_address or "auto")
    serve.start(proxy_location="Disabled")
    done = []
    for placement in placements(settings, roles):
        log.info("deploying %s: %d replica(s) of %.2f CPU", placement.app, placement.replicas, placement.cpus)
        serve.run(build_app(settings, placement), name=placement.app, route_prefix=None, blocking=False)
        done.append(placement)
    return done


def undeploy(settings, roles: list[str] | None = None) -> list[str]:
    _, serve = _import_ray()
    init(settings.ray_address or "auto")
    present = running_apps()
    gone = []
    for placement in placements(settings, roles):
        if placement.app in present:
            serve.delete(placement.app)
            gone.append(placement.app)
    return gone


def cluster_status(address: str) -> dict:
    """Live nodes, CPUs, and each Serve application's status with its replicas counted by state."""
    ray, serve = _import_ray()
    init(address)
    nodes = [node for node in ray.nodes() if node["Alive"]]
    applications = {}
    try:
        for name, app in serve.status().applications.items():
            replicas: dict[str, int] = {}
            for deployment in app.deployments.values():
                for state, count in deployment.replica_states.items():
                    key = str(getattr(state, "value", state))
                    replicas[key] = replicas.get(key, 0) + count
            applications[name] = {"status": str(getattr(app.status, "value", app.status)), "replicas": replicas}
    except Exception as exc:  # Serve not started on the cluster
        log.debug("serve status: %s", exc)
    return {"nodes": len(nodes), "cpus": sum(node["Resources"].get("CPU", 0) for node in nodes),
            "applications": applications}


def connect(settings) -> dict[Hashable, Callable[[], Any]]:
    """The ``remote`` factories of a model set for the roles Ray serves: joins the cluster and checks that each
    role's application runs (each stand-in is made on first use, like an in-process model)."""
    _, serve = _import_ray()
    roles = roles_of(settings)
    init(settings.ray_address)
    present = running_apps()
    wanted = placements(settings, roles)
    missing = [p.app for p in wanted if present.get(p.app) != "RUNNING"]
    if missing:
        states = ", ".join(f"{app} ({present.get(app, 'not deployed').lower()})" for app in missing)
        raise RayUnavailable(f"the Ray cluster at {settings.ray_address} does not run {states}: deploy them with "
                             "`dasan ray up` (same settings), or leave the roles out of DASAN_RAY_ROLES")
    timeout = settings.ray_call_timeout_s
    by_app = {p.app: p for p in wanted}
    prefix = settings.ray_app_prefix
    factories: dict[Hashable, Callable[[], Any]] = {}

    def handle(app: str):
        return serve.get_app_handle(app)

    if f"{prefix}-embedder" in by_app:
        from models.ray_serve import RayEmbedder

        factories["embedder"] = lambda: RayEmbedder(handle(f"{prefix}-embedder"), timeout)
    if f"{prefix}-asr" in by_app:
        from models.ray_serve import RayTranscriber
        from speech.ray_serve import RayWindowDecoder

        factories["asr"] = lambda: RayTranscriber(handle(f"{prefix}-asr"))
        factories[("window-decoder", settings.asr_backend)] = lambda: RayWindowDecoder(handle(f"{prefix}-asr"),
                                                                                       timeout)
    if f"{prefix}-llm" in by_app:
        from models.ray_serve import RayLLM

        factories["llm"] = lambda: RayLLM(handle(f"{prefix}-llm"))
    for language in ("en", "ko"):
        if f"{prefix}-tts-{language}" in by_app:
            from models.ray_serve import RayTTS

            factories[f"tts_{language}"] = lambda app=f"{prefix}-tts-{language}": RayTTS(handle(app))
    log.info("models on Ray Serve at %s: %s", settings.ray_address, ", ".join(sorted(by_app)))
    return factories


# ---------------------------------------------------------------------------------------------------- local nodes
class LocalNode:
    """A Ray node started on this machine by ``ray start --block`` in a session of its own (for the tests, the
    bench and trying Dasan on Ray without a cluster): free ports, its own temporary folder, and stopped by ending
    that session's processes only (``ray stop`` would stop every Ray node of the machine's user)."""

    def __init__(self, temp_dir, cpus: float = 1, head_address: str | None = None, ray_bin: str | None = None,
                 object_store_bytes: int = 200_000_000):
        import shutil
        import sys
        from pathlib import Path

        self.temp_dir = Path(temp_dir)
        self.cpus = cpus
        self.object_store_bytes = object_store_bytes
        self.head_address = head_address
        self.ray_bin = ray_bin or str(Path(sys.executable).with_name("ray"))
        if not Path(self.ray_bin).exists():
            self.ray_bin = shutil.which("ray") or self.ray_bin
        self.address = head_address or ""
        self.process = None

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def start(self, timeout_s: float = 120) -> "LocalNode":
        import os
        import subprocess
        import time

        self.temp_dir.mkdir(parents=True, exist_ok=True)
        port = self._free_port()
        command = [self.ray_bin, "start", "--block", "--disable-usage-stats", f"--num-cpus={int(self.cpus)}",
                   f"--node-manager-port={self._free_port()}", f"--object-manager-port={self._free_port()}",
                   f"--dashboard-agent-listen-port={self._free_port()}",
                   f"--dashboard-agent-grpc-port={self._free_port()}",
                   f"--runtime-env-agent-port={self._free_port()}", f"--metrics-export-port={self._free_port()}",
                   f"--object-store-memory={self.object_store_bytes}", "--node-ip-address=127.0.0.1"]
        if self.head_address is None:
            command += ["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={self.temp_dir}",
                        f"--ray-client-server-port={self._free_port()}"]
            self.address = f"127.0.0.1:{port}"
        else:
            command += [f"--address={self.head_address}"]
        env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
        log_file = open(self.temp_dir / f"node-{port}.log", "wb")
        self.process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
        log_file.close()
        deadline = time.monotonic() + timeout_s
        if self.head_address is None:
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        self.stop()
                        raise RayUnavailable(f"the local Ray head did not start; see {log_file.name}") from None
                    time.sleep(0.2)
        return self

    def wait_nodes(self, count: int, timeout_s: float = 120) -> None:
        """Until the cluster (joined by this process) has ``count`` live nodes."""
        import time

        import ray

        deadline = time.monotonic() + timeout_s
        while sum(1 for node in ray.nodes() if node["Alive"]) < count:
            if time.monotonic() > deadline:
                raise RayUnavailable(f"the local cluster has fewer than {count} nodes after {timeout_s:.0f} s")
            time.sleep(0.2)

    def kill(self) -> None:
        """End the node abruptly (every process of its session), as a machine that dies."""
        import os
        import signal

        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """End the node: SIGTERM to its session (``ray start --block`` stops its processes), then SIGKILL."""
        import os
        import signal
        import subprocess

        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process = None

    def __enter__(self) -> "LocalNode":
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()


def health(settings) -> dict:
    """The readiness check of a process whose models Ray serves: every role's application running (never raises)."""
    try:
        present = running_apps()
    except Exception as exc:  # the cluster gone: "not ready", reported
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    wanted = {p.app for p in placements(settings)}
    states = {app: present.get(app, "NOT_DEPLOYED") for app in sorted(wanted)}
    check: dict = {"ok": all(state == "RUNNING" for state in states.values()), "address": settings.ray_address,
                   "applications": states}
    if not check["ok"]:
        check["error"] = "not every model application runs on the Ray cluster (see applications)"
    return check
