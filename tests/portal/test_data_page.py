"""The Open Data Plaza in headless Chromium against a real server and database: sample datasets loaded through
the open-data service, the catalogue searched and narrowed by facets over the public CKAN action API (with the
API call shown and giving the same answer), a dataset's metadata, its table previewed with paging and sorting as
datastore_search gives it, the Seoul Open API and DCAT links, CSV and JSON downloads holding every row, a chart of
one column against another as the rows add up, a map of the rows as points and of the districts shaded by their
rows, an
unknown dataset said in words, and axe-core with no serious or critical violations in both languages at 390 and
1280 px."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from civic_services.opendata import samples
from tests.browser import local_page
from tests.harness import clean_settings, serve
from tests.portal.test_portal_pages import _axe, _no_sideways_scroll, _ready, _until

pytestmark = pytest.mark.slow

SEEDED = ["heat_shelters", "public_libraries", "cctv_locations"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("data-page") / "var", warm_up=False,
                              chat_enabled=False)
    with serve(settings) as served:
        served.rows = samples.seed(served.runtime.opendata, only=SEEDED)
        yield served


@pytest.fixture
def page(server):
    with local_page() as page:
        yield page


def _shown(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('#datasets li')].map((li) => li.dataset.dataset)")


def _api_url(page, where: str, label: str) -> str:
    return page.locator(f"{where} li", has_text=label).locator("a").get_attribute("href")


def test_search_the_catalogue_and_narrow_it_by_facets(server, page):
    base = server.base
    page.goto(f"{base}/data?lang=en")
    _ready(page)
    assert page.locator("main h1").inner_text() == "Open Data Plaza"
    assert sorted(_shown(page)) == sorted(SEEDED)
    assert page.locator("#found").inner_text() == "3 datasets"
    assert page.locator("#datasets li[data-dataset='heat_shelters'] .badge").inner_text() == "Sample data"

    page.locator("#facets fieldset[data-facet='tags']").get_by_label("safety (2)").check()
    _until(page, "document.querySelectorAll('#datasets li').length === 2")
    assert sorted(_shown(page)) == ["cctv_locations", "heat_shelters"]
    url = _api_url(page, "#catalogue-api", "CKAN API")
    answer = httpx.get(f"{base}{url}").json()["result"]  # the call shown gives what the page shows
    assert sorted(d["id"] for d in answer["results"]) == ["cctv_locations", "heat_shelters"]
    assert 'fq=tags%3A%22safety%22' in url

    page.get_by_label("Search").fill("shelter")
    page.get_by_role("button", name="Search", exact=True).click()
    _until(page, "document.querySelectorAll('#datasets li').length === 1")
    assert _shown(page) == ["heat_shelters"]
    page.get_by_role("button", name="Clear all filters").click()
    page.get_by_label("Search").fill("nothing-like-this")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_text("No dataset matches.").wait_for()
    assert page.locator("#catalogue-api a", has_text="catalog.jsonld").count() == 1

    page.goto(f"{base}/data?lang=ko")
    _ready(page)
    assert page.locator("main h1").inner_text() == "열린데이터광장"
    assert page.locator("#datasets li[data-dataset='heat_shelters'] h3").inner_text() == "무더위쉼터 현황"
    assert page.errors == []


def test_a_dataset_preview_pages_and_sorts_as_the_datastore_does(server, page):
    base = server.base
    total = server.rows["heat_shelters"]
    page.goto(f"{base}/data?lang=en")
    _ready(page)
    page.get_by_role("link", name="Heat shelters").click()
    page.wait_for_url("**/data/heat_shelters")
    _ready(page)
    assert page.locator("main h1").inner_text() == "Heat shelters"
    facts = page.locator("#facts").inner_text()
    assert "Disaster Safety Division" in facts and "Synthetic sample data" in facts and "annual" in facts
    assert page.locator("#preview tbody tr").count() == 20
    assert page.locator("#resource-field").is_hidden()  # one file: nothing to choose
    assert page.locator("#preview-status").inner_text() == f"Heat shelters (CSV): rows 1–20 of {total}"

    page.get_by_role("button", name="Sort by capacity").click()
    _until(page, "document.querySelector('#preview th[aria-sort]')?.getAttribute('aria-sort') === 'ascending'")
    resource = httpx.get(f"{base}/api/3/action/package_show", params={"id": "heat_shelters"}).json()
    resource_id = resource["result"]["resources"][0]["id"]
    api = httpx.get(f"{base}/api/3/action/datastore_search",
                    params={"resource_id": resource_id, "sort": "capacity asc", "limit": 20}).json()["result"]
    columns = page.evaluate("[...document.querySelectorAll('#preview thead button')].map((b) => b.dataset.field)")
    first = dict(zip(columns, page.locator("#preview tbody tr").first.locator("td").all_inner_texts()))
    assert first["capacity"] == str(api["records"][0]["capacity"]) and first["name"] == api["records"][0]["name"]
    page.get_by_role("button", name="Sort by capacity, sorted ascending").click()
    _until(page, "document.querySelector('#preview th[aria-sort]')?.getAttribute('aria-sort') === 'descending'")
    page.get_by_role("button", name="Next").click()
    page.get_by_text(f"Heat shelters (CSV): rows 21–40 of {total}").first.wait_for()

    # the API calls shown are the view's: the same rows come back from them
    url = _api_url(page, "#dataset-api", "datastore_search")
    shown = httpx.get(f"{base}{url}").json()["result"]
    assert shown["offset"] == 20 and shown["sort"] == "capacity desc"
    cells = page.locator("#preview tbody tr").first.locator("td").all_inner_texts()
    assert dict(zip(columns, cells))["name"] == shown["records"][0]["name"]
    seoul = httpx.get(f"{base}{_api_url(page, '#dataset-api', 'Seoul Open API')}").json()
    assert seoul[resource_id]["RESULT"]["CODE"] == "INFO-000" and len(seoul[resource_id]["row"]) == 20
    dcat = httpx.get(f"{base}{_api_url(page, '#dataset-api', 'DCAT')}")
    assert dcat.status_code == 200 and dcat.headers["content-type"].startswith("application/ld+json")

    # downloads hold every row, in the current order
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"{resource_id}.csv"
    table = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert len(table) == total and "capacity" in table[0] and "_id" not in table[0]
    capacities = [int(r["capacity"]) for r in table]
    assert capacities == sorted(capacities, reverse=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download JSON").click()
    rows = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert len(rows) == total and {r["name"] for r in rows} == {r["name"] for r in table}
    assert page.errors == []


def _bars(page) -> dict[str, float]:
    return page.evaluate("Object.fromEntries([...document.querySelectorAll('#chart .bars li')]"
                         ".map((li) => [li.dataset.group, Number(li.dataset.value)]))")


def test_a_chart_of_one_column_against_another(server, page):
    rows = samples.generate(next(s for s in samples.samples() if s.meta.id == "heat_shelters"))
    page.goto(f"{server.base}/data/heat_shelters?lang=en")
    _ready(page)
    assert page.get_by_label("Group by").input_value() == "district"
    page.get_by_role("button", name="Draw the chart").click()  # the number of rows by district
    page.locator("#chart .bars li").first.wait_for()
    counts = {}
    for row in rows:
        counts[row["district"]] = counts.get(row["district"], 0) + 1
    assert _bars(page) == counts and len(counts) == 25
    assert page.locator("#chart figcaption").inner_text() == "Number of rows by district"

    page.get_by_label("Value").select_option("capacity")
    page.get_by_label("Work out").select_option("avg")
    page.get_by_label("Group by").select_option("facility_type")
    page.get_by_role("button", name="Draw the chart").click()
    page.get_by_text("Average of capacity by facility_type").wait_for()
    sums, ns = {}, {}
    for row in rows:
        sums[row["facility_type"]] = sums.get(row["facility_type"], 0) + row["capacity"]
        ns[row["facility_type"]] = ns.get(row["facility_type"], 0) + 1
    bars = _bars(page)
    assert bars.keys() == sums.keys()
    assert all(abs(bars[k] - sums[k] / ns[k]) < 1e-9 for k in sums)
    values = list(bars.values())
    assert values == sorted(values, reverse=True)  # largest first
    assert 'avg("capacity")' in page.locator("#chart pre").inner_text()
    assert page.errors == []


def test_a_map_of_the_rows_as_points_and_as_shaded_districts(server, page):
    rows = samples.generate(next(s for s in samples.samples() if s.meta.id == "heat_shelters"))
    page.goto(f"{server.base}/data/heat_shelters?lang=en")
    _ready(page)
    page.get_by_text(f"{len(rows)} places on the map").wait_for()
    assert page.locator("#data-map path.leaflet-interactive").count() == len(rows)
    assert page.locator("#data-map path").count() >= len(rows) + 25  # over the district outlines
    page.get_by_label("Show on the map").select_option("districts")
    page.get_by_text(f"{len(rows)} rows counted by district and shaded.").wait_for()
    shaded = page.evaluate("Object.fromEntries([...document.querySelectorAll('#data-map path[data-district]')]"
                           ".map((p) => [p.dataset.district, [Number(p.dataset.count), p.getAttribute('fill')]]))")
    counts = {}
    for row in rows:
        counts[row["district"]] = counts.get(row["district"], 0) + 1
    assert {d: n for d, (n, _) in shaded.items()} == counts and len(shaded) == 25
    busiest = max(counts, key=counts.get)
    assert shaded[busiest][1] == "#08519c"  # the darkest shade
    assert page.locator("#map-legend li").count() == 5
    assert page.errors == []


def test_an_unknown_dataset_is_said_in_words(server, page):
    page.goto(f"{server.base}/data/no_such_dataset?lang=en")
    _ready(page)
    assert page.locator("main h1").inner_text() == "There is no such dataset."
    error = page.locator("#dataset-error").inner_text()
    assert error.startswith("That did not work. ") and "no_such_dataset" in error and "{" not in error


@pytest.mark.parametrize("width", [390, 1280])
def test_the_pages_fit_the_screen_and_pass_axe_in_both_languages(server, page, width, tmp_path):
    page.set_viewport_size({"width": width, "height": 900})
    failures = {}
    for lang in ("ko", "en"):
        for path in ("/data", "/data/heat_shelters"):
            page.goto(f"{server.base}{path}?lang={lang}")
            _ready(page)
            assert page.locator("html").get_attribute("lang") == lang
            assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
            if path != "/data":
                page.locator("#chart-form button").click()
                page.locator("#chart .bars li").first.wait_for()
            scroll, client = _no_sideways_scroll(page)
            assert scroll <= client, f"{path} ({lang}) scrolls sideways at {width} px: {scroll} > {client}"
            page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-')}-{lang}-{width}.png"),
                            full_page=True)
            if found := _axe(page):
                failures[f"{path} ({lang})"] = found
    assert failures == {}
    assert page.errors == []
