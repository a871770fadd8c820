"""The catalogue as DCAT (DCAT-AP 3 vocabulary) in JSON-LD."""

from __future__ import annotations

FREQUENCY_URIS = {
    "daily": "http://publications.europa.eu/resource/authority/frequency/DAILY",
    "weekly": "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
    "monthly": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
    "quarterly": "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
    "annual": "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
    "irregular": "http://publications.europa.eu/resource/authority/frequency/IRREG",
}
CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "adms": "http://www.w3.org/ns/adms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dct:issued": {"@type": "xsd:dateTime"},
    "dct:modified": {"@type": "xsd:dateTime"},
}


def _lang(ko: str, en: str) -> list[dict]:
    return [{"@value": v, "@language": lang} for v, lang in ((ko, "ko"), (en, "en")) if v]


def dataset_node(package: dict, base_url: str) -> dict:
    node = {
        "@id": f"{base_url}/dataset/{package['id']}",
        "@type": "dcat:Dataset",
        "dct:identifier": package["id"],
        "dct:title": _lang(package["title_ko"], package["title_en"]),
        "dct:description": _lang(package["notes_ko"], package["notes_en"]),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": _lang(package["organization"]["title_ko"],
                                                                           package["organization"]["title"])},
        "dcat:keyword": [t["name"] for t in package["tags"]],
        "dct:license": {"@id": f"https://spdx.org/licenses/{package['license_id']}"},
        "dct:accrualPeriodicity": {"@id": FREQUENCY_URIS.get(package["frequency"], FREQUENCY_URIS["irregular"])},
        "dct:issued": package["metadata_created"],
        "dct:modified": package["metadata_modified"],
        "dcat:landingPage": {"@id": f"{base_url}/api/3/action/package_show?id={package['id']}"},
        "dcat:distribution": [{
            "@id": f"{base_url}/dataset/{package['id']}/resource/{r['id']}",
            "@type": "dcat:Distribution",
            "dct:title": r["name"],
            "dct:format": r["format"],
            "dcat:mediaType": "application/json",
            "dcat:accessURL": {"@id": r["url"]},
        } for r in package["resources"]],
    }
    if package.get("synthetic"):
        node["adms:status"] = "synthetic sample data (generated, not real records)"
    return node


def catalog(packages: list[dict], base_url: str) -> dict:
    return {
        "@context": CONTEXT,
        "@id": f"{base_url}/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _lang("서울 열린데이터광장 (Dasan)", "Seoul open-data plaza (Dasan)"),
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": "Seoul Metropolitan Government"},
        "dcat:dataset": [dataset_node(p, base_url) for p in packages],
    }


def dataset(package: dict, base_url: str) -> dict:
    return {"@context": CONTEXT, **dataset_node(package, base_url)}
