"""Smart complaint reports: Open311 GeoReport v2 over the city's database.

- ``catalogue``: the services citizens can report, their attributes and responsible departments
- ``media``: photos and videos checked by content, their location/time metadata, public copies stripped of it
- ``location``: where a report is (lat/long, an address in Seoul, or a photo's GPS)
- ``service``: submit, list, follow and change reports (:class:`ComplaintService`), built from ``intake``
  (checking and storing a report), ``lifecycle`` (status changes and assignment) and ``views`` (public and staff
  views), over what ``records`` shares (limits, ticket ids, finding reports)
- ``notify``: telling reporters about changes (the default writes an outbox table)
- ``open311``: the Open311 JSON and XML shapes; ``api``: the HTTP routes; ``tools``: the assistant's tools
"""

from civic_services.complaints.errors import ComplaintError
from civic_services.complaints.service import ComplaintLimits, ComplaintService, NewReport, Upload

__all__ = ["ComplaintError", "ComplaintLimits", "ComplaintService", "NewReport", "Upload"]
