"""The open-data plaza: a CKAN-style catalogue of datasets, a typed datastore with search, a read-only SQL
sandbox, CSV/JSON ingest, DCAT export, and seeded synthetic sample datasets.

- ``catalogue``: dataset metadata and ``package_search``; ``datastore``: typed tables and ``datastore_search``
- ``ingest``: CSV/JSON into the datastore (types inferred, bad rows reported by line, indexes chosen)
- ``sql``: the ``datastore_search_sql`` sandbox (``sql_check``: its parser wall, names resolved by scope;
  ``sql_role``: PostgreSQL's read-only role); ``dcat``: JSON-LD export; ``samples``: the sample datasets
- ``service``: :class:`OpenData`, all of it over one engine; ``api``: CKAN action API and the Seoul-style alias
"""

from civic_services.opendata.catalogue import DatasetMeta, SearchParams
from civic_services.opendata.errors import OpenDataError
from civic_services.opendata.service import OpenData, OpenDataOptions

__all__ = ["DatasetMeta", "OpenData", "OpenDataError", "OpenDataOptions", "SearchParams"]
