import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect


def test_the_app_mounts_both_websockets_the_call_page_and_call_records():
    from dasan.app import create_app

    client = TestClient(create_app())  # no lifespan: no assistant loaded
    response = client.get("/voicebot/calls/CA-unknown")
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
