"""Where a report is: the reporter's lat/long, else an address in Seoul, else the GPS of its photo or video."""

from __future__ import annotations

import math
from dataclasses import dataclass

from civic_services import districts
from civic_services.complaints.errors import ComplaintError
from civic_services.complaints.media import MediaInfo


@dataclass(frozen=True)
class Location:
    district: districts.District
    lat: float | None
    lon: float | None
    source: str | None  # reporter | photo | video | None (address only, no point)
    address: str | None
    address_key: str | None
    notice: str | None = None


def _outside(what: str) -> ComplaintError:
    return ComplaintError(f"{what} is outside Seoul; this service takes reports within Seoul's 25 districts only "
                          "(for elsewhere, contact that city)")


def resolve(lat: float | None, lon: float | None, address: str | None, media: list[MediaInfo]) -> Location:
    address = (address or "").strip() or None
    key = districts.normalize_address(address) if address else None
    if (lat is None) != (lon is None):
        raise ComplaintError("give both lat and long, or neither")
    if lat is not None:
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ComplaintError("lat must be within -90..90 and long within -180..180 (WGS84 degrees)")
        district = districts.district_at(lat, lon)
        if district is None:
            raise _outside(f"the location {lat:.5f}, {lon:.5f}")
        return Location(district, lat, lon, "reporter", address, key)

    located = next((m for m in media if m.gps_lat is not None), None)
    if address:
        district = districts.district_in_address(address)
        if district is None:
            raise ComplaintError(
                f"the address {address!r} does not name a district of Seoul (for example 마포구 or Mapo-gu); "
                "give the district, or lat and long within Seoul")
        if located and districts.district_at(located.gps_lat, located.gps_lon):
            return Location(district, located.gps_lat, located.gps_lon, located.kind, address, key)
        return Location(district, None, None, None, address, key)
    if located:
        district = districts.district_at(located.gps_lat, located.gps_lon)
        if district is None:
            raise _outside(f"the {located.kind}'s location ({located.gps_lat:.5f}, {located.gps_lon:.5f})")
        return Location(district, located.gps_lat, located.gps_lon, located.kind, None, None,
                        notice=f"Location taken from the {located.kind}'s GPS data.")
    raise ComplaintError("a report needs a location: lat and long, an address_string in Seoul, or a photo "
                         "carrying GPS data")
