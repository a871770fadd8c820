"""The civic services' tables (complaints, open data, staff, IoT, voting), all declared on the database floor's
:class:`database.Base`: :func:`metadata` imports every table module and returns the metadata they share."""

from __future__ import annotations

from sqlalchemy import MetaData


def metadata() -> MetaData:
    import civic_services.complaints.tables  # noqa: F401  (each module registers its tables on Base.metadata)
    import civic_services.iot.tables  # noqa: F401
    import civic_services.opendata.tables  # noqa: F401
    import civic_services.staff.tables  # noqa: F401
    import civic_services.voting.tables  # noqa: F401
    from database import Base

    return Base.metadata
