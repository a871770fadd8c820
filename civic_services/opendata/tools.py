"""The assistant's tools over the open-data plaza: search the catalogue, and count, sum or average a dataset's
rows (filtered by district, subway line or period, grouped by a column)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from civic_services.opendata.catalogue import SearchParams
from civic_services.periods import date_range
from civic_services.tools.registry import ToolContext, ToolError, ToolResult, tool
from civic_services.tools.schemas import DISTRICT, PERIOD

QUERY_ROW_CAP = 200_000  # query_dataset aggregates at most this many rows


@tool("search_datasets", service="opendata",
      en="Search the open-data plaza's catalogue.", ko="열린데이터광장 목록에서 데이터셋을 검색합니다.",
      parameters={"type": "object", "properties": {"query": {"type": "string", "minLength": 1, "maxLength": 200}},
                  "required": ["query"], "additionalProperties": False})
def search_datasets(args: dict, ctx: ToolContext) -> ToolResult:
    found = ctx.services["opendata"].catalog.search(SearchParams(q=args["query"], rows=5))
    rows = [{"id": d["name"], "title": d.get("title"), "records": d.get("num_resources")} for d in found["results"]]
    if not rows:
        text = "일치하는 데이터셋이 없습니다." if ctx.lang == "ko" else "No dataset matches."
    else:
        text = (f"{found['count']}개 데이터셋을 찾았습니다: " if ctx.lang == "ko" else
                f"Found {found['count']} dataset(s): ") + ", ".join(r["id"] for r in rows)
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
    where = ", ".join(f"{k}={v}" for k, v in args.get("filters", {}).items())
    if not spec.get("group_by"):
        value = table[0][spec["op"]] if table else 0
        text = (f"{args['dataset']}({where}) {spec['op']}: {value:,}" if ctx.lang == "ko"
                else f"{args['dataset']} ({where or 'all rows'}): {spec['op']} = {value:,}")
    else:
        text = (f"{args['dataset']} {spec['group_by']}별 {spec['op']} (상위 {len(table)})" if ctx.lang == "ko"
                else f"{args['dataset']} {spec['op']} by {spec['group_by']} ({len(table)} rows)")
    return ToolResult(text, {"rows_read": len(rows), "result": table}, table,
                      series=table if spec.get("group_by") else None)


TOOLS = (search_datasets, query_dataset)
