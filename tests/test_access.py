"""Every route declares who may call it (webapi.access: public, requires, checked_by), and the declarations mean
what they say against a real server: anonymous and wrong-role requests to protected routes are refused."""

from __future__ import annotations

from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts

from webapi.access import declared_access

# FastAPI's own documentation routes (the OpenAPI document and the pages that render it) are public by nature.
FRAMEWORK = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def routes():
    from dasan.app import create_app
    from tests.harness import clean_settings

    app = create_app(clean_settings())
    found = []
    for context in iter_route_contexts(app.router.routes):  # included routers are resolved lazily
        route = context.original_route
        if isinstance(route, (APIRoute, APIWebSocketRoute)) and context.path not in FRAMEWORK:
            methods = sorted(getattr(route, "methods", None) or {"WS"})
            found.append((route, f"{','.join(methods)} {context.path}"))
    assert len(found) > 60  # every router is walked (the lazy includes once hid them all)
    return found


def test_every_route_declares_its_access():
    undeclared = [name for route, name in routes() if not declared_access(route.dependant)]
    assert undeclared == []


def test_no_route_declares_two_contradicting_kinds_of_access():
    mixed = []
    for route, name in routes():
        kinds = {access.split()[0] for access in declared_access(route.dependant)}
        if "public" in kinds and "requires" in kinds:
            mixed.append(name)
    assert mixed == []


# ------------------------------------------------------------------------------------------------ on a real server
import re  # noqa: E402

import httpx  # noqa: E402
import pytest  # noqa: E402

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.harness import clean_settings, serve

    settings = clean_settings(data_dir=tmp_path_factory.mktemp("access") / "var", chat_enabled=False,
                              warm_up=False)
    with serve(settings) as running:
        yield running


def token(server, role: str, department: str | None = None, *scopes: str) -> dict:
    issued = server.runtime.staff_tokens.create(f"t-{role}-{department}", list(scopes), role=role,
                                                department=department)
    return {"Authorization": f"Bearer {issued.token}"}


def protected():
    """(method, a concrete path, the roles the route allows) of every route that requires a role."""
    out = []
    for route, name in routes():
        methods = getattr(route, "methods", None)
        accesses = [a for a in declared_access(route.dependant) if a.startswith("requires")]
        if not methods or not accesses:
            continue
        path = re.sub(r"\{[^}]+\}", "x", name.split(" ", 1)[1])
        out.append((sorted(methods)[0], path, accesses[0]))
    return out


def test_every_protected_route_refuses_an_anonymous_caller(server):
    refused = {}
    with httpx.Client(base_url=server.base, timeout=30) as http:
        for method, path, _ in protected():
            refused[f"{method} {path}"] = http.request(method, path).status_code
    assert len(refused) >= 15
    assert {k: v for k, v in refused.items() if v != 401} == {}


def test_every_protected_route_refuses_the_wrong_role(server):
    citizen_like = token(server, "agent")  # an agent may read calls, nothing else protected here
    wrong = {}
    with httpx.Client(base_url=server.base, timeout=30, headers=citizen_like) as http:
        for method, path, access in protected():
            if "agent" in access.split()[1].split(":")[0].split("+"):
                continue
            status = http.request(method, path).status_code
            if status != 403:
                wrong[f"{method} {path}"] = status
    assert wrong == {}


def test_a_scope_is_needed_as_well_as_the_role(server):
    with httpx.Client(base_url=server.base, timeout=30) as http:
        without = http.get("/open311/v2/staff/requests/SR-2026-000001", headers=token(server, "staff", None,
                                                                                       "opendata:write"))
        assert without.status_code == 403 and "complaints:read" in without.text
        unknown = http.get("/open311/v2/staff/requests/SR-2026-000001", headers={"Authorization": "Bearer dasan_st_x"})
        assert unknown.status_code == 401


def test_a_meeting_is_seen_only_by_its_department_and_those_it_is_shared_with(server):
    from minutes.document import Meeting

    store = server.runtime.minutes.store
    meeting = Meeting(title="예산 회의", department="재무과", owner="official:lee")
    store.save(meeting)
    finance, transport, admin = (token(server, "official", "재무과"), token(server, "official", "도시교통실"),
                                 token(server, "admin"))
    with httpx.Client(base_url=server.base, timeout=30) as http:
        assert http.get(f"/minutes/meetings/{meeting.id}", headers=finance).status_code == 200
        assert http.get(f"/minutes/meetings/{meeting.id}", headers=transport).status_code == 404
        assert meeting.id not in [m["id"] for m in http.get("/minutes/meetings", headers=transport).json()]
        assert http.put(f"/minutes/meetings/{meeting.id}/segments/0", json={"text": "x"},
                        headers=transport).status_code == 404
        assert http.delete(f"/minutes/meetings/{meeting.id}", headers=transport).status_code == 404
        shared = http.put(f"/minutes/meetings/{meeting.id}/sharing", json={"shared_with": ["도시교통실"]},
                          headers=finance)
        assert shared.status_code == 200 and shared.json()["shared_with"] == ["도시교통실"]
        assert http.get(f"/minutes/meetings/{meeting.id}", headers=transport).status_code == 200
        assert http.delete(f"/minutes/meetings/{meeting.id}", headers=transport).status_code == 403  # shared only
        assert http.get(f"/minutes/meetings/{meeting.id}", headers=admin).status_code == 200
        assert http.get(f"/minutes/meetings/{meeting.id}").status_code == 401
        assert http.get(f"/voicebot/calls/CA-x", headers=finance).status_code == 403


def test_sign_in_with_lockout_csrf_and_audit(server):
    users, audit = server.runtime.staff_users, server.runtime.audit
    users.create("park", "official", PASSWORD, department="재무과")
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as http:
        form = http.get("/staff/login?next=/minutes")
        assert form.status_code == 200 and 'name="password"' in form.text and "<html lang=" in form.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        forged = http.post("/staff/login", data={"name": "park", "password": PASSWORD, "csrf_token": "forged"})
        assert forged.status_code == 303 and "error=" in forged.headers["location"]
        done = http.post("/staff/login", data={"name": "park", "password": PASSWORD, "csrf_token": csrf,
                                               "next": "/minutes"})
        assert done.status_code == 303 and done.headers["location"] == "/minutes"
        cookie = done.headers["set-cookie"].lower()
        assert "dasan_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        me = http.get("/staff/me").json()
        assert me["role"] == "official" and me["department"] == "재무과" and me["csrf_token"]
        from minutes.document import Meeting

        meeting = Meeting(title="세션 회의", department="재무과")
        server.runtime.minutes.store.save(meeting)
        write = f"/minutes/meetings/{meeting.id}/consent"
        assert http.put(write, json={"consented": True}).status_code == 403  # a session's write needs its CSRF token
        assert http.put(write, json={"consented": True}, headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 200
        assert http.get("/minutes").status_code == 200
        out = http.post("/staff/logout", data={"csrf_token": me["csrf_token"]})
        assert out.status_code == 303
        assert http.get("/minutes", headers={"accept": "text/html"}).status_code == 303  # back to sign-in
    actions = [(e["actor"], e["action"], e["outcome"]) for e in audit.recent(50)]
    assert ("official:park", "sign-in", "ok") in actions and ("official:park", "sign-out", "ok") in actions
    assert ("official:park", f"PUT {write}", "200") in actions


def test_five_wrong_passwords_lock_the_account(server):
    server.runtime.staff_users.create("choi", "agent", PASSWORD)
    with httpx.Client(base_url=server.base, timeout=30, follow_redirects=False) as http:
        def attempt(password: str) -> str:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/staff/login").text).group(1)
            answer = http.post("/staff/login", data={"name": "choi", "password": password, "csrf_token": csrf})
            return answer.headers["location"]

        for _ in range(5):
            assert "error=" in attempt("wrong password!")
        assert "locked" in attempt(PASSWORD)  # the right password is refused while the account is locked
    refused = [e for e in server.runtime.audit.recent(200) if e["actor"] == "name:choi"]
    assert len(refused) == 6 and {e["outcome"] for e in refused} == {"refused"}
