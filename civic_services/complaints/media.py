"""Photos and videos attached to a report: recognised by their content (not their name or declared type),
with their location and capture time read from the metadata, and a public copy with that metadata removed.

:func:`inspect` is what the request does: it checks an upload (content sniffing, format, pixel bound, Pillow's
``verify()`` and that the data is whole, the size limits) and reads the EXIF GPS and capture time, without
decoding a pixel; a video's container is probed for its streams and tags, not remuxed. The original is then written
durably (fsync of file and folder) before the report that refers to it is committed. :func:`public_copy` makes the
copy with the metadata removed (a photo re-encoded, a video remuxed) afterwards, off the request path, in a queued
job (:mod:`civic_services.complaints.copies`); until it exists no public view shows the media.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from civic_services.complaints.errors import TooLarge, UnsupportedMedia
from civic_services.periods import KST

MAX_PIXELS = 50_000_000
PHOTO_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"MSNV", b"dash",
              b"3gp4", b"3gp5", b"3gp6", b"3g2a"}
QUICKTIME_BRAND = b"qt  "


@dataclass(frozen=True)
class MediaInfo:
    kind: str  # photo | video
    content_type: str
    extension: str
    original: bytes
    public: bytes | None = None  # made later by public_copy (None until then)
    width: int | None = None
    height: int | None = None
    duration_s: float | None = None
    taken_at: datetime | None = None
    gps_lat: float | None = None
    gps_lon: float | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.original).hexdigest()


def sniff(data: bytes) -> str | None:
    """'photo', 'video' or None, from the first bytes."""
    if data[:3] == b"\xff\xd8\xff" or data[:8] == b"\x89PNG\r\n\x1a\n" or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "photo"
    if len(data) >= 12 and data[4:8] == b"ftyp" and (data[8:12] in MP4_BRANDS or data[8:12] == QUICKTIME_BRAND):
        return "video"
    return None


def inspect(data: bytes, name: str, photo_max: int, video_max: int) -> MediaInfo:
    """Check one upload and read its location and time (no public copy: see :func:`public_copy`); raise
    UnsupportedMedia or TooLarge with a clear reason."""
    kind = sniff(data)
    label = f"{name!r}" if name else "an upload"
    if kind is None:
        raise UnsupportedMedia(f"{label} is not a JPEG, PNG or WebP photo nor an MP4/MOV video "
                               "(the type is checked from the content, not the file name)")
    limit = photo_max if kind == "photo" else video_max
    if len(data) > limit:
        raise TooLarge(f"{label} is {len(data):,} bytes; a {kind} may be at most {limit:,} bytes")
    if kind == "photo":
        return _inspect_photo(data, label)
    return _inspect_video(data, label)


# --- photos

def _rational(value) -> float:
    if isinstance(value, tuple):
        return value[0] / value[1] if value[1] else 0.0
    return float(value)


def _gps(exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(0x8825)
    except Exception:  # a malformed GPS block is treated as no GPS
        return None, None
    try:
        lat_dms, lon_dms = gps.get(2), gps.get(4)
        if not lat_dms or not lon_dms:
            return None, None
        lat = sum(_rational(v) / 60 ** i for i, v in enumerate(lat_dms))
        lon = sum(_rational(v) / 60 ** i for i, v in enumerate(lon_dms))
        if str(gps.get(1, "N")).upper().startswith("S"):
            lat = -lat
        if str(gps.get(3, "E")).upper().startswith("W"):
            lon = -lon
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None, None
        return round(lat, 7), round(lon, 7)
    except (TypeError, ValueError, ZeroDivisionError):
        return None, None


def _taken_at(exif) -> datetime | None:
    try:
        sub = exif.get_ifd(0x8769)
    except Exception:
        sub = {}
    raw = sub.get(36867) or sub.get(36868) or exif.get(306)  # DateTimeOriginal, DateTimeDigitized, DateTime
    if not raw:
        return None
    try:
        moment = datetime.strptime(str(raw).strip("\x00 ").strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(36881)  # OffsetTimeOriginal, "+09:00"
    zone = KST  # a camera's EXIF time without an offset is taken as Seoul time
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip("\x00")):
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return moment.replace(tzinfo=zone).astimezone(timezone.utc)


def _whole(data: bytes, fmt: str, probe) -> bool:
    """Whether the photo's data runs to its end (verify() does not see a JPEG or WebP cut short): a JPEG has its
    end-of-image marker after the start of its scan data (a marker cannot occur inside entropy-coded data), a
    WebP holds the bytes its RIFF header announces; PNG's verify() already reads every chunk to IEND."""
    if fmt == "JPEG":
        scan = probe.fp.tell() if probe.fp is not None else 0
        return data.find(b"\xff\xd9", max(scan, 2)) != -1
    if fmt == "WEBP":
        return len(data) >= 8 + int.from_bytes(data[4:8], "little")
    return True


def _exif_of(probe, fmt: str) -> Image.Exif:
    """The EXIF read at open (a PNG's ``getexif()`` would decode the picture to look for a late eXIf chunk)."""
    if fmt != "PNG":
        return probe.getexif()
    exif = Image.Exif()
    if probe.info.get("exif"):
        exif.load(probe.info["exif"])
    return exif


def _inspect_photo(data: bytes, label: str) -> MediaInfo:
    """The request's check of a photo: nothing is decoded (the clean copy is made later by :func:`public_copy`)."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in PHOTO_FORMATS:
                raise UnsupportedMedia(f"{label} is a {fmt} image; photos must be JPEG, PNG or WebP")
            if probe.width * probe.height > MAX_PIXELS:
                raise TooLarge(f"{label} has {probe.width}x{probe.height} pixels; at most {MAX_PIXELS:,}")
            exif = _exif_of(probe, fmt)
            gps_lat, gps_lon = _gps(exif)
            taken = _taken_at(exif)
            orientation = exif.get(0x0112)
            width, height = probe.size
            if not _whole(data, fmt, probe):
                raise UnsupportedMedia(f"{label} is not a readable photo: its data ends early (a cut-off upload?)")
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia(f"{label} is not a readable photo ({type(exc).__name__}: {exc})") from None
    if orientation in (5, 6, 7, 8):  # the public copy is turned upright
        width, height = height, width
    content_type, extension = PHOTO_FORMATS[fmt]
    return MediaInfo("photo", content_type, extension, data, None, width, height, taken_at=taken,
                     gps_lat=gps_lat, gps_lon=gps_lon)


def public_copy(data: bytes, kind: str) -> bytes:
    """The copy of an original that the public sees: a photo re-encoded without EXIF, GPS, XMP or text chunks (its
    orientation applied), a video remuxed without container or stream tags; UnsupportedMedia when it cannot be made
    (the request's checks make that rare)."""
    if kind == "video":
        return _public_video(data)
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.load()
            public = ImageOps.exif_transpose(image)  # keep the orientation, drop the tag that carried it
            if fmt == "JPEG" and public.mode not in ("RGB", "L"):
                public = public.convert("RGB")
            out = io.BytesIO()
            # Saving without exif=/pnginfo= writes no EXIF, GPS, XMP or text chunks.
            if fmt == "JPEG":
                public.save(out, "JPEG", quality=88)
            elif fmt == "PNG":
                public.save(out, "PNG")
            else:
                public.save(out, "WEBP", quality=88)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnsupportedMedia(f"the photo is not readable ({type(exc).__name__}: {exc})") from None
    return out.getvalue()


# --- videos

_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")


def _inspect_video(data: bytes, label: str) -> MediaInfo:
    import av  # PyAV (FFmpeg); imported here so that photo-only use does not load it

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            video = next((s for s in container.streams if s.type == "video"), None)
            if video is None:
                raise UnsupportedMedia(f"{label} is an MP4/MOV file without a video stream")
            tags = {k.lower(): v for k, v in (container.metadata or {}).items()}
            duration = container.duration / 1_000_000 if container.duration else None
            width, height = video.codec_context.width, video.codec_context.height
    except UnsupportedMedia:
        raise
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as exc:
        raise UnsupportedMedia(f"{label} is not a readable video ({type(exc).__name__}: {exc})") from None
    gps_lat = gps_lon = None
    location = tags.get("location") or tags.get("com.apple.quicktime.location.iso6709") or ""
    match = _ISO6709.match(location.strip())
    if match:
        gps_lat, gps_lon = float(match.group(1)), float(match.group(2))
    taken = None
    created = tags.get("creation_time") or tags.get("com.apple.quicktime.creationdate")
    if created:
        try:
            taken = datetime.fromisoformat(created.replace("Z", "+00:00"))
            taken = (taken if taken.tzinfo else taken.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        except ValueError:
            taken = None
    content_type = "video/quicktime" if data[8:12] == QUICKTIME_BRAND else "video/mp4"
    return MediaInfo("video", content_type, "mov" if content_type == "video/quicktime" else "mp4", data, None,
                     width, height, duration, taken, gps_lat, gps_lon)


def _public_video(data: bytes) -> bytes:
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            return _remux_without_metadata(container)
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as exc:
        raise UnsupportedMedia(f"the video is not readable ({type(exc).__name__}: {exc})") from None


def _remux_without_metadata(container) -> bytes:
    """The same audio and video packets in a fresh MP4 with no container or stream tags (location, device)."""
    import av

    out_buffer = io.BytesIO()
    with av.open(out_buffer, mode="w", format="mp4") as out:
        mapping = {}
        for stream in container.streams:
            if stream.type in ("video", "audio"):
                mapping[stream.index] = out.add_stream_from_template(stream)
                mapping[stream.index].metadata.clear()
        container.seek(0)
        for packet in container.demux(*[s for s in container.streams if s.index in mapping]):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            out.mux(packet)
    return out_buffer.getvalue()


# --- storage

class MediaStore:
    """Files under one folder: ``YYYY/MM/<id>.original.<ext>`` (as uploaded, written in the request) and
    ``YYYY/MM/<id>.<ext>`` (the public copy, written later by the copy job)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def new_id(self) -> str:
        return secrets.token_urlsafe(16)

    def paths(self, media_id: str, extension: str, when: datetime) -> tuple[str, str]:
        """Where a media's public copy and original go (relative to the folder)."""
        folder = f"{when:%Y}/{when:%m}"
        return f"{folder}/{media_id}.{extension}", f"{folder}/{media_id}.original.{extension}"

    def save_originals(self, items: list[tuple[str, bytes]]) -> None:
        """Write each ``(relative path, data)`` durably: every file fsynced, then each folder once."""
        folders = {}
        for relative, data in items:
            path = self.root / relative
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders[path.parent] = True
            _write_new(path, data)
        for folder in folders:
            _fsync_dir(folder)

    def save_public(self, relative: str, data: bytes) -> None:
        """Write a public copy durably (a crash midway leaves no half file under the public name)."""
        path = self.path(relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_durably(path, data)
        _fsync_dir(path.parent)

    def save(self, media_id: str, info: MediaInfo, when: datetime) -> tuple[str, str]:
        """Original and public copy at once (``info.public`` made), both durable."""
        public, original = self.paths(media_id, info.extension, when)
        self.save_originals([(original, info.original)])
        self.save_public(public, info.public if info.public is not None else public_copy(info.original, info.kind))
        return public, original

    def path(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("media path escapes the media folder")
        return path

    def delete(self, *relative: str) -> None:
        for rel in relative:
            try:
                self.path(rel).unlink(missing_ok=True)
            except (OSError, ValueError):
                pass


def _write_new(path: Path, data: bytes) -> None:
    """A new file (its name is random and unused), written and fsynced under its own name: until the report that
    names it commits, nothing refers to it, so a crash can leave only an orphan, never a half file in use."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
