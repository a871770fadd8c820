"""The one server harness of the tests: settings and environments built from a clean slate (never the developer's
``DASAN_*`` variables or ``./dasan.toml``), the app served in this process (:func:`serve`, the same runtime and
app the server runs, uvicorn in a thread), and the real ``dasan serve`` command in a subprocess
(:func:`start_process`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from dasan.serving import InThread, free_port, serve_in_thread
from dasan.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


class CleanSettings(Settings):
    """Settings from the defaults and the keyword arguments only."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_other_sources):
        return (init_settings,)


def clean_settings(**values) -> Settings:
    return CleanSettings(**values)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without Dasan's settings, plus ``extra`` (for subprocesses)."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("DASAN_") and k not in ("DASAN_SKIP_LLM", "DASAN_TEST_POSTGRES"))
           and k not in ("DATABASE_URL", "DASAN_CONFIG")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def serve(settings: Settings | None = None, runtime=None, ready: bool = True, **uvicorn_config) -> InThread:
    """The app over ``runtime`` (or a runtime of its own opened from ``settings``) under uvicorn in a thread; with
    ``ready`` it returns once start-up has finished (models warmed, the assistant open)."""
    from dasan.app import create_app

    running = serve_in_thread(create_app(settings, runtime=runtime), **uvicorn_config)
    if ready:
        running.wait_ready()
    return running


def start_process(data_dir, timeout: float = 300, **env_extra) -> tuple[subprocess.Popen, str]:
    """``dasan serve`` in a subprocess with its own data directory, run from ``data_dir``'s parent (so no
    ``dasan.toml`` of the developer's is read); returns (process, base URL) once start-up has finished."""
    port = free_port()
    env = clean_env(DASAN_DATA_DIR=str(data_dir), **env_extra)
    Path(data_dir).parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-m", "dasan.cli", "serve", "--port", str(port)], env=env,
                               cwd=Path(data_dir).parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.stdout.read()}")
        try:
            checks = httpx.get(f"{base}/readyz", timeout=2).json()["checks"]
            if checks.get("startup", {}).get("stage") == "ready":
                return process, base
        except (httpx.TransportError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    process.kill()
    raise AssertionError(f"server did not start within {timeout} s")


def stop_process(process: subprocess.Popen) -> str:
    """Stop the server and return everything it logged."""
    process.terminate()
    try:
        return process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()[0]


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, cwd=None, **kwargs) -> subprocess.CompletedProcess:
    """``dasan ARGS`` in a subprocess with a clean environment (plus ``env``)."""
    return subprocess.run([sys.executable, "-m", "dasan.cli", *args], capture_output=True, text=True,
                          env=clean_env(**(env or {})), timeout=timeout, cwd=cwd, **kwargs)
