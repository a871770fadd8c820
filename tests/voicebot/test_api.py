import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect


def test_the_app_mounts_both_websockets_the_call_page_and_call_records(tmp_path):
    from dasan.app import create_app
    from tests.harness import clean_settings

    settings = clean_settings(data_dir=tmp_path / "var", chat_enabled=False, warm_up=False)  # no assistant
    with TestClient(create_app(settings)) as client:
        _mounted(client)


def _mounted(client) -> None:
    assert client.get("/voicebot/calls/CA-unknown").status_code == 401  # a citizen's call is a record
    agent = client.app.state.runtime.staff_tokens.create("agent", [], role="agent").token
    response = client.get("/voicebot/calls/CA-unknown", headers={"Authorization": f"Bearer {agent}"})
    assert response.status_code == 404 and "no call" in response.json()["detail"]
    with client.websocket_connect("/voicebot/twilio") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1011
    with client.websocket_connect("/voicebot/browser?lang=en") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 1011
    page = client.get("/voicebot")
    assert page.status_code == 200 and 'aria-live="polite"' in page.text and "/voicebot/browser" in page.text
