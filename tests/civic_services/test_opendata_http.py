"""The open-data plaza over real HTTP on SQLite and PostgreSQL: CKAN envelopes and paging, datastore search,
the SQL sandbox, staff uploads with bad rows, the stock CKAN client (ckanapi) reading and writing through both
action paths, every error in CKAN's envelope, DCAT and the Seoul Open API shape."""

from __future__ import annotations

import json
import time

import pytest

from civic_services.opendata import samples

SAMPLE_IDS = [s.meta.id for s in samples.samples()]


@pytest.fixture(scope="module")
def seeded(server):
    samples.seed(server.runtime.opendata)
    return server


def action(http, name, **params):
    return http.get(f"/api/3/action/{name}", params=params)


def test_catalogue_lists_and_shows_the_13_synthetic_samples(http, seeded):
    listing = action(http, "package_list").json()
    assert listing["success"] is True and "help" in listing
    assert set(SAMPLE_IDS) <= set(listing["result"]) and len(SAMPLE_IDS) == 13
    assert action(http, "package_list", limit=2, offset=1).json()["result"] == sorted(listing["result"])[1:3]
    package = action(http, "package_show", id="heat_shelters").json()["result"]
    assert package["title_ko"] == "무더위쉼터 현황" and package["synthetic"] is True
    assert "SYNTHETIC" in package["notes_en"] and {"name": "synthetic", "display_name": "synthetic"} in package["tags"]
    [resource] = package["resources"]
    assert resource["datastore_active"] and resource["row_count"] > 100
    assert {f["id"]: f["type"] for f in resource["fields"]}["capacity"] == "int"
    missing = action(http, "package_show", id="no_such_dataset")
    assert missing.status_code == 404
    assert missing.json()["success"] is False and missing.json()["error"]["__type"] == "Not Found Error"


def test_package_search_q_fq_sort_paging_and_facets(http, seeded):
    result = action(http, "package_search", q="무더위쉼터 목록").json()["result"]
    assert result["results"][0]["id"] == "heat_shelters"
    english = action(http, "package_search", q="EV chargers").json()["result"]
    assert english["results"][0]["id"] == "ev_chargers"
    tagged = action(http, "package_search", fq="tags:transport", rows=100).json()["result"]
    assert {p["id"] for p in tagged["results"]} == {"public_parking_lots", "subway_ridership", "ttareungyi_rentals"}
    everything = action(http, "package_search", rows=5, sort="name asc",
                        **{"facet.field": '["organization","tags","res_format"]'}).json()["result"]
    assert everything["count"] >= 13 and len(everything["results"]) == 5
    assert [p["id"] for p in everything["results"]] == sorted(SAMPLE_IDS)[:5]
    page2 = action(http, "package_search", rows=5, start=5, sort="name asc").json()["result"]
    assert [p["id"] for p in page2["results"]] == sorted(SAMPLE_IDS)[5:10]
    assert everything["facets"]["res_format"] == {"CSV": 13}
    assert everything["facets"]["tags"]["synthetic"] == 13
    assert everything["search_facets"]["organization"]["items"][0]["count"] >= 1
    posted = http.post("/api/3/action/package_search", json={"q": "library", "rows": 1}).json()["result"]
    assert posted["results"][0]["id"] == "public_libraries"
    for bad in ({"sort": "popularity desc"}, {"fq": "colour:red"}, {"rows": 5000},
                {"facet.field": '["secret_field"]'}):
        response = action(http, "package_search", **bad)
        assert response.status_code == 409 and response.json()["success"] is False, bad
        assert response.json()["error"]["__type"] == "Validation Error"


def test_datastore_search_filters_sort_fields_q_and_paging(http, seeded):
    result = action(http, "datastore_search", resource_id="public_wifi_hotspots",
                    filters=json.dumps({"district": "Gangnam-gu"}), sort="install_year desc",
                    fields="id,name,district,install_year", limit=5).json()["result"]
    assert result["total"] > 5 and len(result["records"]) == 5
    assert all(r["district"] == "Gangnam-gu" for r in result["records"])
    years = [r["install_year"] for r in result["records"]]
    assert years == sorted(years, reverse=True)
    assert [f["id"] for f in result["fields"]] == ["id", "name", "district", "install_year"]
    assert "offset=5" in result["_links"]["next"]
    next_page = action(http, "datastore_search", resource_id="public_wifi_hotspots",
                       filters=json.dumps({"district": "Gangnam-gu"}), sort="install_year desc",
                       fields="id", limit=5, offset=5).json()["result"]
    assert not {r["id"] for r in next_page["records"]} & {r["id"] for r in result["records"]}
    subway = http.post("/api/3/action/datastore_search", json={
        "resource_id": "subway_ridership", "filters": {"line": "2", "station": ["강남", "잠실"]},
        "sort": "date desc", "limit": 3}).json()["result"]
    assert {r["station"] for r in subway["records"]} <= {"강남", "잠실"} and subway["records"][0]["date"] == "2026-10-31"
    text = action(http, "datastore_search", resource_id="public_libraries", q="어린이", limit=1000).json()["result"]
    assert text["total"] == len(text["records"]) > 0 and all("어린이" in r["name"] for r in text["records"])
    capped = action(http, "datastore_search", resource_id="street_trees", limit=100000).json()["result"]
    assert capped["limit"] == 500 and len(capped["records"]) == 500  # the server's row cap
    booleans = action(http, "datastore_search", resource_id="public_toilets",
                      filters=json.dumps({"accessible": True, "district": "Yongsan-gu"})).json()["result"]
    assert booleans["total"] > 0 and all(r["accessible"] is True for r in booleans["records"])


def test_datastore_search_errors_are_ckan_envelopes(http, seeded):
    cases = [
        ({"resource_id": "nope"}, 404),
        ({"resource_id": "public_toilets", "filters": json.dumps({"colour": "red"})}, 409),
        ({"resource_id": "public_toilets", "filters": json.dumps({"lat": "north"})}, 409),
        ({"resource_id": "public_toilets", "filters": "{not json"}, 409),
        ({"resource_id": "public_toilets", "sort": "name; DROP TABLE x"}, 409),
        ({"resource_id": "public_toilets", "fields": "name,password"}, 409),
        ({"resource_id": "public_toilets", "limit": -1}, 409),
    ]
    for params, status in cases:
        response = action(http, "datastore_search", **params)
        assert response.status_code == status, (params, response.text)
        body = response.json()
        assert body["success"] is False and body["error"]["message"], params
    assert action(http, "datastore_search", resource_id="public_toilets", limit=1).status_code == 200


def test_sql_sandbox(http, seeded):
    def sql(query):
        return action(http, "datastore_search_sql", sql=query)

    good = sql('SELECT district, count(*) AS n FROM "public_libraries" GROUP BY district ORDER BY n DESC, district')
    assert good.status_code == 200, good.text
    rows = good.json()["result"]["records"]
    assert len(rows) == 25 and rows[0]["n"] >= rows[-1]["n"]
    joined = sql("SELECT l.district, count(*) AS n FROM public_libraries l JOIN public_toilets t "
                 "ON t.district = l.district WHERE l.district = 'Mapo-gu' GROUP BY l.district")
    assert joined.status_code == 200 and joined.json()["result"]["records"][0]["district"] == "Mapo-gu"
    truncated = sql("SELECT name FROM public_toilets").json()["result"]
    assert len(truncated["records"]) == 50 and truncated["records_truncated"] is True
    refused = {
        'DELETE FROM "public_libraries"': "only SELECT",
        'UPDATE public_libraries SET name = \'x\'': "only SELECT",
        "DROP TABLE public_libraries": "only SELECT",
        "SELECT 1; DELETE FROM public_libraries": "exactly one",
        "SELECT * FROM sqlite_master": "not a datastore resource",
        "SELECT * FROM pg_catalog.pg_user": "not a datastore resource",
        "SELECT * FROM information_schema.tables": "not a datastore resource",
        "SELECT * FROM pg_shadow": "not a datastore resource",
        "SELECT * FROM staff_tokens": "not a datastore resource",
        "SELECT * FROM complaint_reporters": "not a datastore resource",
        "SELECT pg_sleep(5)": "not allowed",
        "SELECT pg_read_file('/etc/passwd')": "not allowed",
        "SELECT * FROM generate_series(1, 10)": "not allowed",
        "SELECT * INTO stolen FROM public_libraries": "INTO",
        "SELECT * FROM public_libraries FOR UPDATE": "locking",
        "SELEC nonsense FROM": "",
    }
    for query, message in refused.items():
        response = sql(query)
        assert response.status_code == 409, (query, response.text)
        error = response.json()["error"]
        assert error["__type"] == "Search Query Error" and message in error["message"], (query, error)
    started = time.monotonic()
    slow = sql("SELECT count(*) FROM street_trees a, street_trees b, street_trees c")
    elapsed = time.monotonic() - started
    assert slow.status_code == 409 and "longer than 1000 ms" in slow.json()["error"]["message"]
    assert elapsed < 5
    # The tables are untouched and the server still answers.
    assert sql("SELECT count(*) AS n FROM public_libraries").json()["result"]["records"][0]["n"] > 100


def test_sql_is_off_unless_enabled(tmp_path):
    from fastapi.testclient import TestClient

    from dasan.app import create_app
    from dasan.settings import Settings

    app = create_app(Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'off.db'}", warm_up=False,
                              models_dir=tmp_path / "no-models"))
    with TestClient(app) as client:
        response = client.get("/api/3/action/datastore_search_sql", params={"sql": "SELECT 1"})
    assert response.status_code == 403
    assert "DASAN_DATASTORE_SQL_ENABLED" in response.json()["error"]["message"]


def test_staff_upload_reports_bad_rows_by_line(http, seeded):
    created = http.post("/api/3/action/package_create", json={
        "name": "noise_complaints_test", "title_en": "Noise complaints (test)", "title_ko": "소음 민원",
        "publisher": "Environment Division", "tags": ["noise"], "frequency": "monthly"})
    assert created.status_code == 401 and created.json()["error"]["__type"] == "Authorization Error"
    writer = seeded.staff_token("opendata:write")
    assert http.post("/api/3/action/package_create", headers=seeded.staff_token("complaints:write"),
                     json={"name": "x_test", "title_en": "X", "publisher": "Y"}).status_code == 403
    created = http.post("/api/3/action/package_create", headers=writer, json={
        "name": "noise_complaints_test", "title_en": "Noise complaints (test)", "title_ko": "소음 민원",
        "publisher": "Environment Division", "tags": ["noise"], "frequency": "monthly"})
    assert created.status_code == 200, created.text
    csv_text = ("date,district,decibels,night,note\n"
                "2026-10-01,Mapo-gu,61.5,true,ok\n"
                "2026-10-02,Mapo-gu,loud,false,bad number\n"
                "2026-10-03,Gangnam-gu,58,false,\"a note\nover two lines\"\n"
                "2026-10-04,Jung-gu,66\n"
                "2026-13-45,Jung-gu,70,true,bad date\n"
                "2026-10-06,Songpa-gu,55,false,fine\n")
    upload = http.post("/api/3/action/resource_create", headers=writer, data={"package_id": "noise_complaints_test"},
                       files={"upload": ("noise.csv", csv_text.encode(), "text/csv")})
    assert upload.status_code == 200, upload.text
    report = upload.json()["result"]
    assert report["rows"] == 3 and report["bad_row_count"] == 3
    assert {f["id"]: f["type"] for f in report["fields"]} == {"date": "date", "district": "text",
                                                             "decibels": "numeric", "night": "bool", "note": "text"}
    lines = {b["line"]: b["message"] for b in report["bad_rows"]}
    assert set(lines) == {3, 6, 7}  # line 4 holds a two-line quoted note, so line 6 is the short row
    assert "decibels" in lines[3] and "header has 5" in lines[6] and "date" in lines[7]
    rows = action(http, "datastore_search", resource_id="noise_complaints_test", sort="date").json()["result"]
    assert [r["district"] for r in rows["records"]] == ["Mapo-gu", "Gangnam-gu", "Songpa-gu"]
    assert rows["records"][1]["note"] == "a note\nover two lines"
    found = action(http, "package_search", q="noise").json()["result"]
    assert found["results"][0]["id"] == "noise_complaints_test"
    as_json = http.post("/api/3/action/resource_create", headers=writer,
                        data={"package_id": "noise_complaints_test", "resource_id": "noise_json_test"},
                        files={"upload": ("n.json", json.dumps([{"a": 1, "b": "x"}, {"a": "two", "b": "y"},
                                                                 {"a": 3, "b": "z"}]).encode(), "application/json")})
    assert as_json.json()["result"]["bad_rows"] == [{"line": 2, "message": "column 'a' expects int, got 'two'"}]
    wrong = http.post("/api/3/action/resource_create", headers=writer, data={"package_id": "noise_complaints_test"},
                      files={"upload": ("noise.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert wrong.status_code == 409 and "format" in wrong.json()["error"]["message"]


def test_dcat_jsonld(http, seeded):
    catalog = http.get("/catalog.jsonld")
    assert catalog.headers["content-type"].startswith("application/ld+json")
    body = catalog.json()
    assert body["@type"] == "dcat:Catalog" and "dcat" in body["@context"]
    ids = {d["dct:identifier"] for d in body["dcat:dataset"]}
    assert set(SAMPLE_IDS) <= ids
    one = http.get("/dataset/street_trees.jsonld").json()
    assert one["@type"] == "dcat:Dataset" and {"@value": "가로수 현황", "@language": "ko"} in one["dct:title"]
    assert one["dcat:distribution"][0]["dcat:accessURL"]["@id"].endswith("resource_id=street_trees")
    assert "synthetic" in one["adms:status"]
    assert http.get("/dataset/nothing_here.jsonld").status_code == 404


def test_seoul_open_api_shape(http, seeded):
    body = http.get("/sample/json/public_toilets/1/5/").json()["public_toilets"]
    assert body["RESULT"]["CODE"] == "INFO-000" and len(body["row"]) == 5 and body["list_total_count"] > 5
    second = http.get("/sample/json/public_toilets/6/6/").json()["public_toilets"]["row"]
    assert second[0]["_id"] == body["row"][-1]["_id"] + 1
    assert http.get("/sample/json/public_toilets/1/1001/").json()["RESULT"]["CODE"] == "ERROR-336"
    assert http.get("/sample/json/public_toilets/1/1000/").status_code == 200
    assert http.get("/sample/json/public_toilets/9/3/").json()["RESULT"]["CODE"] == "ERROR-334"
    assert http.get("/sample/json/public_toilets/zero/3/").json()["RESULT"]["CODE"] == "ERROR-331"
    # a superscript is a digit int() cannot read (it was a 500)
    assert http.get("/sample/json/public_toilets/¹/3/").json()["RESULT"]["CODE"] == "ERROR-331"
    assert http.get("/sample/json/public_toilets/1/²/").json()["RESULT"]["CODE"] == "ERROR-332"
    assert http.get("/sample/json/no_such/1/3/").json()["RESULT"]["CODE"] == "ERROR-310"
    assert http.get("/sample/json/public_toilets/99999/99999/").json()["public_toilets"]["RESULT"]["CODE"] == "INFO-200"


# --- the stock CKAN client, and CKAN's envelope for every error

def test_ckanapi_reads_through_both_action_paths(server, seeded):
    import ckanapi

    for client in (ckanapi.RemoteCKAN(server.base), ckanapi.RemoteCKAN(server.base, get_only=True)):
        with client:
            assert set(SAMPLE_IDS) <= set(client.action.package_list())
            assert client.action.package_show(id="heat_shelters")["title_ko"] == "무더위쉼터 현황"
            with pytest.raises(ckanapi.NotFound):
                client.action.package_show(id="no_such_dataset")
            facets = '["tags", "res_format"]' if client.get_only else ["tags", "res_format"]
            found = client.action.package_search(q="", rows=5, **{"facet.field": facets})
            assert found["count"] >= 13 and len(found["results"]) == 5
            assert found["facets"]["res_format"]["CSV"] >= 13 and found["search_facets"]["tags"]["items"]
            filters = {"district": "Yongsan-gu"}
            rows = client.action.datastore_search(resource_id="public_toilets", limit=3,
                                                  filters=json.dumps(filters) if client.get_only else filters)
            assert len(rows["records"]) == 3 and {r["district"] for r in rows["records"]} == {"Yongsan-gu"}
            counted = client.action.datastore_search_sql(sql='SELECT count(*) AS n FROM "public_toilets"')
            assert counted["records"][0]["n"] > 100
            with pytest.raises(ckanapi.SearchQueryError):
                client.action.datastore_search_sql(sql="SELECT * FROM staff_tokens")
    # ckanapi calls /api/action/NAME; CKAN's documented path is /api/3/action/NAME: both answer the same.
    import httpx

    shown = [httpx.get(f"{server.base}{path}/package_show", params={"id": "street_trees"}, timeout=30).json()
             for path in ("/api/action", "/api/3/action")]
    assert shown[0]["result"] == shown[1]["result"] and shown[0]["success"] is True


def test_ckanapi_writes_with_a_staff_token_as_its_api_key(server, seeded, tmp_path):
    import ckanapi
    import httpx

    token = server.runtime.staff_tokens.create("ckan-client", ["opendata:write"]).token
    package = {"name": "bike_racks_ckanapi", "title": "Bike racks (ckanapi test)", "notes": "Racks by district.",
               "owner_org": "transport-division", "tags": [{"name": "bikes"}, {"name": "transport"}]}
    with ckanapi.RemoteCKAN(server.base) as anonymous, pytest.raises(ckanapi.NotAuthorized):
        anonymous.action.package_create(**package)
    reader = server.runtime.staff_tokens.create("ckan-reader", ["complaints:read"]).token
    with ckanapi.RemoteCKAN(server.base, apikey=reader) as wrong, pytest.raises(ckanapi.NotAuthorized):
        wrong.action.package_create(**package)
    with ckanapi.RemoteCKAN(server.base, apikey=token) as client:
        created = client.action.package_create(**package)
        assert created["name"] == "bike_racks_ckanapi" and created["title_en"] == "Bike racks (ckanapi test)"
        assert {t["name"] for t in created["tags"]} >= {"bikes", "transport"}
        racks = tmp_path / "racks.csv"
        racks.write_text("rack_id,district,spaces\nR1,Mapo-gu,12\nR2,Jung-gu,8\nR3,Mapo-gu,20\n", encoding="utf-8")
        with racks.open("rb") as upload:
            report = client.action.resource_create(package_id="bike_racks_ckanapi", name="racks", upload=upload)
        assert report["rows"] == 3 and report["bad_row_count"] == 0
        rows = client.action.datastore_search(resource_id="bike_racks_ckanapi", filters={"district": "Mapo-gu"})
        assert sorted(r["spaces"] for r in rows["records"]) == [12, 20]
        assert client.action.datastore_search_sql(
            sql="SELECT sum(spaces) AS n FROM bike_racks_ckanapi")["records"][0]["n"] == 40
    # The header CKAN's own clients send, alone.
    again = httpx.post(f"{server.base}/api/action/package_create", headers={"X-CKAN-API-Key": token},
                       json={**package, "title": "Bike racks (renamed)"}, timeout=30)
    assert again.status_code == 200 and again.json()["result"]["title_en"] == "Bike racks (renamed)"


def test_every_error_is_a_ckan_envelope(server, seeded):
    import httpx

    writer = server.staff_token("opendata:write")
    reader = server.staff_token("complaints:read")
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for prefix in ("/api/3/action", "/api/action"):
            cases = [
                (client.get(f"{prefix}/no_such_action"), 404, "Not Found Error"),
                (client.post(f"{prefix}/no_such_action", json={}), 404, "Not Found Error"),
                (client.get(f"{prefix}/package_create"), 405, "Method Not Allowed"),
                (client.delete(f"{prefix}/package_list"), 405, "Method Not Allowed"),
                (client.post(f"{prefix}/package_search", json={"rows": 5000}), 409, "Validation Error"),
                (client.post(f"{prefix}/package_show", json={}), 409, "Validation Error"),
                (client.post(f"{prefix}/datastore_search", content=b'{"resource_id": ',
                             headers={"Content-Type": "application/json"}), 400, "Bad Request"),
                (client.post(f"{prefix}/datastore_search_sql", content=b"x" * 2_000_000,
                             headers={"Content-Type": "application/json"}), 413, "Request Too Large"),
                (client.post(f"{prefix}/package_create", json={"name": "x_test", "title": "X"}), 401,
                 "Authorization Error"),
                (client.post(f"{prefix}/package_create", headers=reader, json={"name": "x_test", "title": "X"}), 403,
                 "Authorization Error"),
                (client.post(f"{prefix}/package_create", headers=writer, json={"name": "Bad Name!"}), 409,
                 "Validation Error"),
                (client.post(f"{prefix}/datastore_search_sql", json={"sql": deep}), 400, "Search Query Error"),
                (client.get(f"{prefix}/datastore_search_sql", params={"sql": "SELECT * FROM staff_tokens"}), 409,
                 "Search Query Error"),
            ]
            for response, status, kind in cases:
                where = f"{response.request.method} {response.request.url.path}"
                assert response.status_code == status, (where, response.status_code, response.text[:300])
                body = response.json()
                assert body["success"] is False and body["help"].endswith(response.request.url.path.rsplit("/", 1)[-1])
                assert body["error"]["__type"] == kind and body["error"]["message"], (where, body)
            assert client.get(f"{prefix}/package_create").headers["allow"] == "POST"
        helped = client.get("/api/3/action/help_show", params={"name": "datastore_search"}).json()
        assert helped["success"] is True and "rows" in helped["result"]
