"""Schemathesis over EVERY operation of the server's OpenAPI document (chat, knowledge base, tools and the Rasa
action server, models, speech, minutes, voicebot, staff sign-in, Open311, CKAN, SensorThings and the IoT queries,
voting, health), over real HTTP, with an administrator's token so every handler is reached past its access check.

No response may be a 5xx, and every response must be what the document says (schemathesis's checks
``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance`` and
``response_schema_conformance``: a status it does not list, a media type it does not list, or a body that does not
match the listed schema is a failure).

Bounded (a few valid and a few invalid examples per operation, ``DASAN_FUZZ_EXAMPLES``), and some records are
seeded (a meeting, a poll, a report, a dataset): in about half the cases a path parameter names one of them, so
handlers work on a record, not only on the 404 of a made-up id. Limits, to keep away from heavy model work:

- ``POST /minutes/jobs`` and ``POST /v1/audio/speech`` get invalid input only: a decodable upload would start a
  transcription job (minutes of CPU) and valid text is synthesised into speech;
- ``POST /minutes/meetings/{meeting_id}/compose`` never names the seeded meeting (writing its minutes again may
  run the local LLM), and ``DELETE /minutes/meetings/{meeting_id}`` does not either (the other operations need it).

Not in the document, so not fuzzed here: the WebSockets (``/minutes/stream``, ``/voicebot/browser``,
``/voicebot/twilio``), the MCP endpoint (``/mcp``, covered by the MCP client tests) and the HTML pages.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.civic_services.fuzzing import fuzz_for_server_errors

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
NEGATIVE_ONLY = ("POST /minutes/jobs", "POST /v1/audio/speech")
KNOWN_NOT_IN = ("POST /minutes/meetings/{meeting_id}/compose", "DELETE /minutes/meetings/{meeting_id}")


@pytest.fixture(scope="module")
def server(tmp_path_factory, kb_index_dir):
    from tests.harness import clean_settings, serve

    settings = clean_settings(data_dir=tmp_path_factory.mktemp("schemathesis") / "var", index_dir=kb_index_dir,
                              warm_up=False, datastore_sql_enabled=True)
    with serve(settings) as running:
        yield running


def seed(runtime) -> dict[str, list[str]]:
    """Records for the handlers to work on, by the path parameters that name them."""
    from civic_services.complaints.service import NewReport
    from civic_services.opendata import samples
    from civic_services.voting.rules import OptionSpec, PollSpec
    from minutes.document import Meeting
    from speech.events import Segment

    samples.seed(runtime.opendata, only=["public_toilets"])
    now = datetime.now(timezone.utc)
    poll = runtime.voting.create_poll(PollSpec(kind="policy", title="퍼징", options=(OptionSpec("찬성"),
                                                                                     OptionSpec("반대")),
                                               opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1)))
    report = runtime.complaints.submit(NewReport("graffiti", "graffiti on the wall by the station", lat=37.5665,
                                                 lon=126.978))
    lines = [("Speaker 1", "The first item on the agenda is the Mapo-gu bike lanes."),
             ("Speaker 2", "We decided to extend the lanes to Hapjeong station by Friday.")]
    meeting = Meeting(title="Fuzz", language="en", duration=10.0, department="재무과",
                      segments=[Segment(n, n * 5.0, n * 5.0 + 4.5, text, (), speaker, "en")
                                for n, (speaker, text) in enumerate(lines)])
    runtime.minutes.store.save(meeting)
    return {"meeting_id": [meeting.id], "speaker": ["Speaker 1", "Speaker 2"], "segment_id": ["0", "1"],
            "fmt": ["json", "xml", "md", "docx", "srt", "vtt", "txt"], "poll_id": [poll["id"]],
            "service_request_id": [report.ticket], "service_code": ["graffiti"], "entry_id": ["faq-0001"],
            "dataset_id": ["public_toilets"]}


def test_no_operation_answers_a_5xx_or_what_the_document_does_not_say(server):
    known = seed(server.runtime)
    admin = server.runtime.staff_tokens.create("fuzz-admin", [], role="admin").token
    report = fuzz_for_server_errors(server.base, None, {"Authorization": f"Bearer {admin}"}, checks=CHECKS,
                                    negative_only=NEGATIVE_ONLY, known=known, known_not_in=KNOWN_NOT_IN)
    fuzzed = set(report.fuzzed)
    for operation in ("POST /chat", "POST /chat/stream", "GET /minutes/meetings/{meeting_id}",
                      "GET /voicebot/calls/{call_id}", "POST /webhook", "GET /tools", "POST /voting/polls",
                      "GET /v1.1/{path}", "POST /staff/login", "POST /minutes/jobs"):
        assert operation in fuzzed  # every router is in the document, and fuzzed
    assert report.operations >= 70
    assert report.calls >= report.operations * 2
    assert not report.failures, "\n\n".join(report.failures[:10])
