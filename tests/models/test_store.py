"""Installing, verifying and refusing models, on a private models directory (real pip downloads)."""

import os
import shutil
import subprocess
import sys

import pytest

from models.store import ModelCorruptError, ModelNotInstalledError, ModelStore
from models.vad import load_vad

NAME = "silero-vad"  # small enough to copy and re-fetch in a test


@pytest.fixture
def private_store(tmp_path, store):
    source = store.require(NAME)
    shutil.copytree(source, tmp_path / NAME)
    return ModelStore(tmp_path)


def _corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_installed_model_verifies(private_store):
    status = private_store.verify(NAME)
    assert status.installed and status.verified, status.detail


def test_corrupt_file_fails_verification_and_the_loader_refuses_it(private_store):
    _corrupt(private_store.file_path(NAME))
    status = private_store.verify(NAME)
    assert status.installed and not status.verified
    assert "sha256" in status.detail
    with pytest.raises(ModelCorruptError, match=r"dasan models fetch --force silero-vad"):
        load_vad(NAME, private_store)


def test_truncated_file_is_caught_without_a_full_hash(private_store):
    path = private_store.file_path(NAME)
    with open(path, "r+b") as handle:
        handle.truncate(1000)
    with pytest.raises(ModelCorruptError, match="truncated"):
        private_store.require(NAME)


def test_missing_model_names_the_command_to_run(tmp_path):
    with pytest.raises(ModelNotInstalledError, match=r"run `dasan models fetch silero-vad`"):
        ModelStore(tmp_path).require(NAME)


def test_fetch_force_repairs_a_corrupt_model(private_store):
    _corrupt(private_store.file_path(NAME))
    status = private_store.fetch(NAME, force=True, show_progress=False)
    assert status.verified
    load_vad(NAME, private_store)  # loads again
    # no download leftovers next to the models
    assert sorted(p.name for p in private_store.root.iterdir() if not p.name.startswith(".")) == [NAME]


def test_fetch_is_idempotent(private_store):
    path = private_store.file_path(NAME)
    before = path.stat().st_mtime_ns
    assert private_store.fetch(NAME, show_progress=False).verified
    assert path.stat().st_mtime_ns == before  # nothing was rewritten


def _dasan(*args, env_extra):
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "dasan.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_cli_verify_reports_corruption_with_exit_status(private_store):
    env = {"DASAN_MODELS_DIR": str(private_store.root)}
    ok = _dasan("models", "verify", NAME, env_extra=env)
    assert ok.returncode == 0, ok.stderr
    _corrupt(private_store.file_path(NAME))
    bad = _dasan("models", "verify", NAME, env_extra=env)
    assert bad.returncode == 1
    assert "dasan models fetch --force silero-vad" in bad.stdout + bad.stderr


def test_cli_list_shows_install_state(private_store):
    result = _dasan("models", "list", env_extra={"DASAN_MODELS_DIR": str(private_store.root), "COLUMNS": "250"})
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if len(line.split()) >= 5}
    assert "verified" in rows[NAME]  # name, role, size, status, license
    assert "missing" in rows["whisper-base"]


def test_cli_fetch_unknown_model_is_a_clear_error(tmp_path):
    result = _dasan("models", "fetch", "no-such-model", env_extra={"DASAN_MODELS_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "unknown model 'no-such-model'" in result.stderr
    assert "Traceback" not in result.stderr
