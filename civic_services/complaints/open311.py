"""The Open311 GeoReport v2 shapes: JSON, XML, and error lists (``[{"code": 400, "description": ...}]``)."""

from __future__ import annotations

import json
from xml.etree.ElementTree import Element, SubElement, tostring

from civic_services.complaints.catalogue import DEPARTMENTS, Service

# The element name of one item in a list, by the list's element name.
SINGULAR = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
            "values": "value", "updates": "update", "media_urls": "media_url", "keywords": "keyword",
            "history": "event", "outbox": "notice", "media": "item", "duplicate_tickets": "ticket"}


def _add(parent: Element, tag: str, value) -> None:
    element = SubElement(parent, tag)
    if isinstance(value, dict):
        for key, child in value.items():
            _add(element, key, child)
    elif isinstance(value, (list, tuple)):
        for child in value:
            _add(element, SINGULAR.get(tag, "item"), child)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def xml_document(root: str, items: list) -> bytes:
    element = Element(root)
    for item in items:
        _add(element, SINGULAR.get(root, "item"), item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="utf-8", xml_declaration=False)


def xml_single(root: str, item: dict) -> bytes:
    element = Element(root)
    for key, value in item.items():
        _add(element, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="utf-8", xml_declaration=False)


def dumps(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def service_summary(service: Service) -> dict:
    department = DEPARTMENTS[service.department]
    return {"service_code": service.code, "service_name": service.name, "description": service.description,
            "metadata": service.metadata, "type": "realtime", "keywords": ",".join(service.keywords),
            "group": service.group, "service_name_ko": service.name_ko, "agency_responsible": department.name_en,
            "agency_responsible_ko": department.name_ko, "min_photos": service.min_photos}


def service_definition(service: Service) -> dict:
    return {"service_code": service.code, "attributes": [
        {"variable": a.variable, "code": a.code, "datatype": a.datatype, "required": a.required,
         "datatype_description": a.datatype_description or None, "order": order, "description": a.description,
         **({"values": [{"key": k, "name": n} for k, n in a.values]} if a.values else {})}
        for order, a in enumerate(service.attributes, start=1)]}


def errors(code: int, descriptions: list[str]) -> list[dict]:
    return [{"code": code, "description": d} for d in descriptions]
