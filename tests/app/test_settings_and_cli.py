"""Settings from the environment and a config file; the CLI's help."""

import subprocess
import sys

from dasan.settings import Settings


def test_defaults_use_an_embedded_sqlite_file(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DASAN_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/dasan.db"
    assert settings.asr_model == "whisper-base"


def test_environment_and_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://user@127.0.0.1/test")
    monkeypatch.setenv("DASAN_ASR_BACKEND", "openai-whisper")
    monkeypatch.setenv("DASAN_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.resolved_database_url.startswith("postgresql+psycopg://")
    assert settings.asr_backend == "openai-whisper"
    assert settings.log_level == "DEBUG"


def test_config_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    config = tmp_path / "dasan.toml"
    config.write_text('embedder_model = "/srv/models/my-embedder"\nport = 9000\n')
    monkeypatch.setenv("DASAN_CONFIG", str(config))
    monkeypatch.setenv("DASAN_PORT", "8123")
    settings = Settings()
    assert settings.embedder_model == "/srv/models/my-embedder"
    assert settings.port == 8123


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "dasan.cli", *args], capture_output=True, text=True, timeout=60)


def test_help_lists_the_commands():
    result = _cli("--help")
    assert result.returncode == 0
    for command in ("serve", "models"):
        assert command in result.stdout
    models_help = _cli("models", "--help")
    for command in ("list", "fetch", "verify"):
        assert command in models_help.stdout


def test_invalid_setting_is_a_clear_error(monkeypatch):
    result = subprocess.run([sys.executable, "-m", "dasan.cli", "models", "list"], capture_output=True, text=True,
                            env={**__import__("os").environ, "DASAN_PORT": "not-a-port"}, timeout=60)
    assert result.returncode == 2
    assert "invalid settings" in result.stderr and "port" in result.stderr
    assert "Traceback" not in result.stderr
