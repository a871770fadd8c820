"""Photos and videos attached to a report: recognised by their content (not their name or declared type),
with their location and capture time read from the metadata, and a public copy with that metadata removed.

Both the original and the public copy are written durably (fsync of file and folder) before the report that
refers to them is committed.
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

KST = timezone(timedelta(hours=9))  # a camera's EXIF time without an offset is taken as Seoul time
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
    public: bytes
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
    """Check one upload and prepare its public copy; raise UnsupportedMedia or TooLarge with a clear reason."""
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
    zone = KST
    if isinstance(offset, str) and re.fullmatch(r"[+-]\d\d:\d\d", offset.strip("\x00")):
        sign = 1 if offset[0] == "+" else -1
        zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
    return moment.replace(tzinfo=zone).astimezone(timezone.utc)


def _inspect_photo(data: bytes, label: str) -> MediaInfo:
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in PHOTO_FORMATS:
                raise UnsupportedMedia(f"{label} is a {fmt} image; photos must be JPEG, PNG or WebP")
            if probe.width * probe.height > MAX_PIXELS:
                raise TooLarge(f"{label} has {probe.width}x{probe.height} pixels; at most {MAX_PIXELS:,}")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            gps_lat, gps_lon = _gps(exif)
            taken = _taken_at(exif)
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
        raise UnsupportedMedia(f"{label} is not a readable photo ({type(exc).__name__}: {exc})") from None
    content_type, extension = PHOTO_FORMATS[fmt]
    return MediaInfo("photo", content_type, extension, data, out.getvalue(), public.width, public.height,
                     taken_at=taken, gps_lat=gps_lat, gps_lon=gps_lon)


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
            public = _remux_without_metadata(container)
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
    return MediaInfo("video", content_type, "mov" if content_type == "video/quicktime" else "mp4", data, public,
                     width, height, duration, taken, gps_lat, gps_lon)


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
    """Files under one folder: ``YYYY/MM/<id>.<ext>`` (public copy) and ``<id>.original.<ext>``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def new_id(self) -> str:
        return secrets.token_urlsafe(16)

    def save(self, media_id: str, info: MediaInfo, when: datetime) -> tuple[str, str]:
        folder = self.root / f"{when:%Y}" / f"{when:%m}"
        folder.mkdir(parents=True, exist_ok=True)
        public = folder / f"{media_id}.{info.extension}"
        original = folder / f"{media_id}.original.{info.extension}"
        _write_durably(public, info.public)
        _write_durably(original, info.original)
        _fsync_dir(folder)
        return str(public.relative_to(self.root)), str(original.relative_to(self.root))

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
