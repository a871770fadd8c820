"""The assistant's tools over the open-data plaza: search the catalogue, and count, sum or average a dataset's
rows (filtered by district, subway line or period, grouped by a column)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from civic_services.opendata.catalogue import SearchParams
from civic_services.periods import date_range
from civic_services.tools import wording as w
from civic_services.tools.registry import ChartSpec, ToolContext, ToolError, ToolResult, tool
from civic_services.tools.schemas import DISTRICT, PERIOD

QUERY_ROW_CAP = 200_000  # query_dataset aggregates at most this many rows


@tool("search_datasets", service="opendata",
      en="Search the open-data plaza's catalogue.", ko="열린데이터광장 목록에서 데이터셋을 검색합니다.",
      parameters={"type": "object", "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 200}},
                  "required": ["query"], "additionalProperties": False})
def search_datasets(args: dict, ctx: ToolContext) -> ToolResult:
    """``query`` "*" lists the whole catalogue."""
    everything = args["query"].strip() in ("*", "*:*")
    found = ctx.services["opendata"].catalog.search(SearchParams(q=args["query"], rows=25 if everything else 5))
    lang = w.lang_of(ctx.lang)
    rows = [{"id": d["name"], "title": (d.get("title_ko") if lang == "ko" else d.get("title_en")) or d.get("title"),
             "records": d.get("num_resources")} for d in found["results"]]
    if not rows:
        text = "일치하는 데이터셋이 없습니다." if lang == "ko" else "No dataset matches."
    else:
        named = ", ".join(f"{r['title']}({r['id']})" if lang == "ko" else f"{r['title']} ({r['id']})" for r in rows)
        more = found["count"] - len(rows)
        if lang == "ko":
            text = (f"열린데이터광장에 데이터셋이 {found['count']}개 있습니다: " if everything else
                    f"{found['count']}개 데이터셋을 찾았습니다: ") + named + (f" 외 {more}개" if more > 0 else "")
        else:
            text = (f"The open-data plaza has {found['count']} datasets: " if everything else
                    f"Found {found['count']} dataset{'s' if found['count'] != 1 else ''}: ") + named + (
                f", and {more} more" if more > 0 else "")
    return ToolResult(text, found, rows)


def dataset_rows(opendata, dataset: str, filters: dict) -> list[dict]:
    """The rows of a dataset that match the filters (district, line, period), at most :data:`QUERY_ROW_CAP`."""
    where = {k: v for k, v in filters.items() if k in ("district", "line")}
    rows: list[dict] = []
    while len(rows) < QUERY_ROW_CAP:
        _, page = opendata.search_datastore(dataset, filters=where or None, offset=len(rows),
                                            limit=opendata.options.rows_max, include_total=False)
        rows.extend(page.records)
        if len(page.records) < opendata.options.rows_max:
            break
    if "period" in filters:
        start, end = date_range(filters["period"], date.today())
        rows = [r for r in rows if "date" in r and start.isoformat() <= str(r["date"])[:10] < end.isoformat()]
    return rows


def aggregate(rows: list[dict], op: str, field: str | None = None, group_by: str | None = None,
              top: int | None = None) -> list[dict]:
    """count/sum/avg/min/max of ``field`` over rows, optionally per ``group_by`` value, largest first."""
    groups: dict = defaultdict(list)
    for row in rows:
        groups[row.get(group_by) if group_by else "all"].append(row)
    out = []
    for key, members in groups.items():
        if op == "count":
            value = len(members)
        else:
            values = [float(m[field]) for m in members if m.get(field) is not None]
            if not values:
                continue
            value = {"sum": sum(values), "avg": sum(values) / len(values), "min": min(values),
                     "max": max(values)}[op]
        out.append({group_by or "group": key, op: round(value, 2)})
    out.sort(key=lambda r: -r[op])
    return out[:top] if top else out


@tool("query_dataset", service="opendata",
      en="Count, sum or average a dataset's rows, filtered by district, subway line or period and grouped by a "
         "column.",
      ko="데이터셋을 자치구·노선·기간으로 거르고 항목별로 세거나 합계·평균을 냅니다.",
      parameters={
          "type": "object",
          "properties": {
              "dataset": {"type": "string", "pattern": "^[a-z0-9_]{2,64}$"},
              "filters": {"type": "object", "properties": {"district": DISTRICT, "line": {"type": "string"},
                                                           "period": PERIOD}, "additionalProperties": False},
              "aggregate": {"type": "object", "properties": {
                  "op": {"type": "string", "enum": ["count", "sum", "avg", "min", "max"]},
                  "field": {"type": "string"}, "group_by": {"type": "string"},
                  "top": {"type": "integer", "minimum": 1, "maximum": 100}}, "required": ["op"],
                  "additionalProperties": False},
          },
          "required": ["dataset"], "additionalProperties": False})
def query_dataset(args: dict, ctx: ToolContext) -> ToolResult:
    spec = args.get("aggregate", {"op": "count"})
    if spec["op"] != "count" and not spec.get("field"):
        raise ToolError(f"aggregate {spec['op']} needs a field")
    rows = dataset_rows(ctx.services["opendata"], args["dataset"], args.get("filters", {}))
    if spec.get("field") and rows and spec["field"] not in rows[0]:
        raise ToolError(f"{args['dataset']} has no column {spec['field']!r}")
    if spec.get("group_by") and rows and spec["group_by"] not in rows[0]:
        raise ToolError(f"{args['dataset']} has no column {spec['group_by']!r}")
    table = aggregate(rows, spec["op"], spec.get("field"), spec.get("group_by"), spec.get("top"))
    lang = w.lang_of(ctx.lang)
    subject = _subject(ctx.services["opendata"], args["dataset"], args.get("filters", {}), lang)
    measure = _measure(spec, lang)
    group_by = spec.get("group_by")
    if not group_by:
        value = table[0][spec["op"]] if table else 0
        if spec["op"] == "count" and lang == "ko":
            text = f"{subject}: {w.number(value, lang)}개"
        else:
            text = f"{subject}, {measure}: {w.number(value, lang)}"
        return ToolResult(text, {"rows_read": len(rows), "result": table}, table)
    names = _group_names(rows, group_by, lang)
    shown = ", ".join(f"{names.get(r[group_by], r[group_by])} {w.number(r[spec['op']], lang)}" for r in table[:5])
    by = w.column(group_by, lang)
    if lang == "ko":
        title = f"{subject}, {by}별 {measure}"
        text = f"{title}: {shown}" + (f" 외 {len(table) - 5}개" if len(table) > 5 else "")
    else:
        title = f"{subject}, {measure} by {by.lower()}"
        text = f"{title}: {shown}" + (f", and {len(table) - 5} more" if len(table) > 5 else "")
    chart = ChartSpec(title=title, x=group_by, y=spec["op"], x_label=by, y_label=measure[:1].upper() + measure[1:]
                      if lang == "en" else measure, names=names)
    return ToolResult(text, {"rows_read": len(rows), "result": table}, table, series=table, chart=chart)


def _subject(opendata, dataset: str, filters: dict, lang: str) -> str:
    """The dataset's title with the filters in words: 은평구 가로수 현황 / Street trees, Eunpyeong-gu, last month."""
    try:
        package = opendata.catalog.show(dataset)
        title = (package.get("title_ko") if lang == "ko" else package.get("title_en")) or package.get("title")
    except Exception:  # an unknown dataset has no rows either; its id still says what was asked
        title = dataset.replace("_", " ")
    where = [w.district(filters["district"], lang)] if filters.get("district") else []
    line = filters.get("line")
    when = w.period(filters["period"], lang) if filters.get("period") else ""
    if lang == "ko":
        return " ".join([*([when] if when else []), *where, *([f"{line}호선"] if line else []), title])
    return ", ".join([title, *where, *([f"line {line}"] if line else []), *([when] if when else [])])


def _measure(spec: dict, lang: str) -> str:
    op, field = spec["op"], spec.get("field")
    if op == "count":
        return "개수" if lang == "ko" else "count"
    label = w.column(field, lang)
    words = {"ko": {"sum": f"{label} 합계", "avg": f"평균 {label}", "min": f"최저 {label}", "max": f"최고 {label}"},
             "en": {"sum": f"total {label.lower()}", "avg": f"average {label.lower()}", "min": f"lowest {label.lower()}",
                    "max": f"highest {label.lower()}"}}
    return words[lang][op]


def _group_names(rows: list[dict], group_by: str, lang: str) -> dict:
    """How each group's value reads in the request's language (a Korean column beside it, a district, a sex, a
    complaint category)."""
    names: dict = {}
    for row in rows:
        value = row.get(group_by)
        if value in names or value is None:
            continue
        if lang == "ko" and row.get(f"{group_by}_ko"):
            names[value] = row[f"{group_by}_ko"]
        elif group_by == "district":
            names[value] = w.district(value, lang)
        elif group_by == "sex":
            names[value] = w.SEX[lang].get(value, value)
        elif group_by == "category":
            from civic_services.complaints.catalogue import SERVICES

            service = SERVICES.get(value)
            names[value] = (service.name_ko if lang == "ko" else service.name) if service else value
        elif group_by == "line":
            names[value] = f"{value}호선" if lang == "ko" else f"Line {value}"
        else:
            names[value] = str(value).replace("_", " ") if isinstance(value, str) else value
    return names


TOOLS = (search_datasets, query_dataset)
