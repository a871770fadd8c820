"""The voting page in headless Chromium against a real server and database: polls and voters made through the
voting service, a vote cast on the page with a credential through the public voting API, its receipt checked in
the page (ballot hash, inclusion proof, Ed25519 head signature, and the server's current log) and saved as a file
(which `dasan vote verify` accepts) and as a QR code (read back in the page), tampered receipts and a cut-back log
refused in the page, the rules of a participatory-budget poll in words, results with a chart and the ballot board
recounted, API refusals as sentences, and axe-core with no serious or critical violations in both languages at
390 and 1280 px."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, update

from civic_services.voting import OptionSpec, PollSpec
from civic_services.voting.receipts import verify_receipt
from tests.browser import local_page
from tests.harness import clean_settings, serve
from tests.portal.test_portal_pages import _axe, _no_sideways_scroll, _ready, _until

pytestmark = pytest.mark.slow

JSQR = Path(__file__).resolve().parents[1] / "vendor" / "jsqr" / "jsQR.js"
ROOT = Path(__file__).resolve().parents[2]


def _spec(**fields) -> PollSpec:
    now = datetime.now(timezone.utc)
    values = {"kind": "policy", "title": "자전거 도로를 늘릴까요?", "title_en": "Should Seoul build more bike lanes?",
              "options": (OptionSpec("찬성", "Yes"), OptionSpec("반대", "No")),
              "opens_at": now - timedelta(minutes=5), "closes_at": now + timedelta(days=2, hours=3)}
    values.update(fields)
    return PollSpec(**values)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    settings = clean_settings(data_dir=tmp_path_factory.mktemp("voting-page") / "var", warm_up=False,
                              chat_enabled=False)
    with serve(settings) as served:
        voting = served.runtime.voting
        served.policy = voting.create_poll(_spec(), created_by="test")["id"]
        served.budget = voting.create_poll(_spec(
            kind="budget", title="2027 우리 동네 주민참여예산", title_en="Our neighbourhood's 2027 budget",
            options=(OptionSpec("놀이터 개선", "Playground upgrade", cost=200_000_000),
                     OptionSpec("도서관 야간 운영", "Library open late", cost=150_000_000),
                     OptionSpec("골목 CCTV", "Alley CCTV", cost=120_000_000),
                     OptionSpec("가로수 정비", "Street trees", cost=80_000_000)),
            budget=500_000_000, budget_rule="projects", min_choices=1, max_choices=3, results_live=True),
            created_by="test")["id"]
        later = datetime.now(timezone.utc) + timedelta(days=3)
        served.upcoming = voting.create_poll(_spec(title="내년 축제 장소", title_en="Where next year's festival goes",
                                                   opens_at=later, closes_at=later + timedelta(days=7)))["id"]
        served.tamper = voting.create_poll(_spec(title="기록 조작 시험", title_en="Tamper test"))["id"]
        # a closed poll with a few ballots: its results and board are public
        closed = voting.create_poll(_spec(title="구청 앞 광장 이름", title_en="Name of the square",
                                          options=(OptionSpec("다산 광장", "Dasan Square"),
                                                   OptionSpec("하늘 광장", "Sky Square"),
                                                   OptionSpec("푸른 광장", "Green Square"))))["id"]
        people = [(f"resident-{i}", "Mapo-gu") for i in range(12)]
        served.credentials = [r.credential for r in voting.register_voters(people)]
        for credential, choice in zip(served.credentials[8:], ([1], [1], [2], [1])):
            voting.cast(closed, credential, choice)
        voting.close_poll(closed)
        served.closed = closed
        yield served


@pytest.fixture
def page(server):
    with local_page() as page:
        yield page


def _poll_card(page, poll: str):
    return page.locator(f"#open-polls li[data-poll='{poll}']")


def _checks(page, where: str) -> dict[str, bool]:
    return page.evaluate(f"Object.fromEntries([...document.querySelectorAll('{where} li[data-check]')]"
                         ".map((li) => [li.dataset.check, li.classList.contains('ok')]))")


def _verify_pasted(page, receipt, with_server: bool = True) -> dict[str, bool]:
    page.locator("#with-server").set_checked(with_server)
    page.locator("#receipt-text").fill(receipt if isinstance(receipt, str) else json.dumps(receipt))
    page.evaluate("delete document.querySelector('#verify-result').dataset.verified")
    page.get_by_role("button", name="Check the receipt").click()
    _until(page, "document.querySelector('#verify-result').dataset.verified !== undefined")
    return _checks(page, "#verify-result")


OFFLINE = {"ballot_hash", "poll", "inclusion", "key_id", "signature"}
ONLINE = {"server_key", "your_head", "later_signature", "consistency"}


def test_vote_with_a_credential_and_the_receipt_verifies_in_the_page(server, page, tmp_path):
    base, credential = server.base, server.credentials[0]
    page.goto(f"{base}/voting?lang=en")
    _ready(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text() == "Voting (mVoting)"
    card = _poll_card(page, server.policy)
    assert "Should Seoul build more bike lanes?" in card.inner_text()
    assert "Choose one." in card.inner_text()
    assert "2 days 3 hours left" in card.inner_text() or "2 days 2 hours left" in card.inner_text()

    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    card.get_by_role("button", name="Vote in this poll").click()
    assert page.evaluate("document.activeElement.id") == "ballot-h"
    page.get_by_role("button", name="Review my vote").click()
    assert page.locator("#ballot-error").inner_text() == "Please choose at least one."
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Review my vote").click()
    assert page.locator("#ballot-error").inner_text() == "Please enter your voting code."
    page.get_by_label("Your voting code").fill("not-a-code")
    page.get_by_role("button", name="Review my vote").click()
    assert page.locator("#ballot-error").inner_text() == "A voting code starts with dasan_vc_."
    assert posted == []

    # a wrong code: the API's 401, said as a sentence
    page.get_by_label("Your voting code").fill("dasan_vc_not-issued-to-anyone")
    page.get_by_role("button", name="Review my vote").click()
    assert page.locator("#confirm-list").inner_text() == "Yes"
    page.get_by_role("button", name="Yes, cast my vote").click()
    page.get_by_text("That voting code is not known or no longer valid.").wait_for()
    assert posted == [f"{base}/voting/polls/{server.policy}/ballots"]

    page.get_by_role("button", name="Change my choices").click()
    page.get_by_label("Your voting code").fill(credential)
    page.get_by_role("button", name="Review my vote").click()
    page.get_by_role("button", name="Yes, cast my vote").click()
    _until(page, "document.querySelector('#receipt-result').dataset.verified !== undefined", 30)
    assert page.locator("#receipt-result").get_attribute("data-verified") == "yes"
    checks = _checks(page, "#receipt-result")
    assert set(checks) == OFFLINE | ONLINE and all(checks.values()), checks
    summary = page.locator("#receipt-result-summary").inner_text()
    assert summary.startswith("The receipt checks out") and "still holds it" in summary
    receipt = json.loads(page.locator("#receipt-section").get_attribute("data-receipt"))
    assert receipt["poll"] == server.policy and json.loads(receipt["ballot"])["choices"] == [1]
    assert "1. Yes" in page.locator("#receipt-summary").inner_text()
    page.screenshot(path=str(tmp_path / "voting-receipt.png"), full_page=True)

    # the file: the same receipt, which the Python verifier and `dasan vote verify --server` accept
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the receipt (JSON)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"receipt-{server.policy}-{receipt['leaf_index']}.json"
    assert json.loads(saved.read_text()) == receipt
    assert all(c.ok for c in verify_receipt(receipt, httpx.get(f"{base}/voting/public-key").json()["public_key"]))
    run = subprocess.run([sys.executable, "-m", "dasan.cli", "vote", "verify", str(saved), "--server", base],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr

    # the QR code holds the whole receipt (read back with jsQR)
    _until(page, "document.querySelector('#qr').naturalWidth > 0")
    page.add_script_tag(path=str(JSQR))
    decoded = page.evaluate("""() => {
        const img = document.querySelector('#qr'), canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const g = canvas.getContext('2d'); g.drawImage(img, 0, 0);
        const found = jsQR(g.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
        return found && found.data;
    }""")
    assert decoded is not None and json.loads(decoded) == receipt

    # voting twice is refused, in words
    _poll_card(page, server.policy).get_by_role("button", name="Vote in this poll").click()
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Your voting code").fill(credential)
    page.get_by_role("button", name="Review my vote").click()
    page.get_by_role("button", name="Yes, cast my vote").click()
    page.get_by_text("You have already voted in this poll with this code.").wait_for()

    # the saved file, uploaded to the checker, after another ballot has grown the log: consistency holds
    server.runtime.voting.cast(server.policy, server.credentials[1], [2])
    page.locator("#receipt-file").set_input_files(str(saved))
    _until(page, "document.querySelector('#receipt-text').value.length > 100")
    page.evaluate("delete document.querySelector('#verify-result').dataset.verified")
    page.get_by_role("button", name="Check the receipt").click()
    _until(page, "document.querySelector('#verify-result').dataset.verified !== undefined")
    assert page.locator("#verify-result").get_attribute("data-verified") == "yes"
    assert "log of 2 ballots only adds to the log of 1" in page.locator("#verify-result").inner_text()
    assert page.errors == [] or all("40" in e for e in page.errors), page.errors


def test_tampered_receipts_and_a_cut_back_log_are_refused_in_the_page(server, page):
    base, voting = server.base, server.runtime.voting
    receipts = [voting.cast(server.tamper, c, [i % 2 + 1]) for i, c in enumerate(server.credentials[2:5])]
    page.goto(f"{base}/voting?lang=en")
    _ready(page)
    good = receipts[1]
    assert _verify_pasted(page, good) == dict.fromkeys(OFFLINE | ONLINE, True)

    changed = copy.deepcopy(good)  # another choice, same hash
    chose = json.loads(good["ballot"])["choices"]
    changed["ballot"] = changed["ballot"].replace(f'"choices":{json.dumps(chose)}', f'"choices":[{3 - chose[0]}]')
    assert changed["ballot"] != good["ballot"]
    found = _verify_pasted(page, changed)
    assert not found["ballot_hash"] and not found["inclusion"] and found["signature"]
    assert page.locator("#verify-result").get_attribute("data-verified") == "no"
    assert "does NOT check out" in page.locator("#verify-result-summary").inner_text()
    assert not ONLINE & set(found)  # the server is not asked about a receipt that fails on its own

    forged = copy.deepcopy(good)  # a head claiming another root
    forged["tree_head"]["size"] = 3
    found = _verify_pasted(page, forged, with_server=False)
    assert found["ballot_hash"] and not found["inclusion"] and not found["signature"]

    signature = copy.deepcopy(good)
    raw = signature["tree_head"]["signature"]
    signature["tree_head"]["signature"] = ("A" if raw[0] != "A" else "B") + raw[1:]
    found = _verify_pasted(page, signature, with_server=False)
    assert found["inclusion"] and not found["signature"]

    proof = copy.deepcopy(good)
    proof["inclusion_proof"][0] = "0" * 64
    found = _verify_pasted(page, proof, with_server=False)
    assert found["ballot_hash"] and not found["inclusion"]

    page.locator("#receipt-text").fill("{not json")
    page.get_by_role("button", name="Check the receipt").click()
    page.locator("#verify-error:not(:empty)").wait_for()
    assert page.locator("#verify-error").inner_text().startswith("That is not a receipt in JSON:")
    found = _verify_pasted(page, {"poll": "MV-0001"})
    assert found == {"format": False}
    assert "failed: Receipt format: Not a Dasan ballot receipt" in page.locator("#verify-result li").text_content()

    # the log cut back behind the server: ballots, heads and the ledger row taken back to one ballot
    from civic_services.voting.rules import parse_poll_code
    from civic_services.voting.tables import Ballot, Ledger, Participation, TreeHead

    poll_id = parse_poll_code(server.tamper)
    with voting.engine.begin() as connection:
        connection.execute(delete(Ballot).where(Ballot.poll_id == poll_id, Ballot.leaf_index >= 1))
        connection.execute(delete(TreeHead).where(TreeHead.poll_id == poll_id, TreeHead.size > 1))
        connection.execute(update(Ledger).where(Ledger.poll_id == poll_id)
                           .values(size=1, root=receipts[0]["tree_head"]["root"]))
        connection.execute(delete(Participation).where(Participation.poll_id == poll_id))
    voting.ledger._trees.pop(poll_id, None)
    found = _verify_pasted(page, good)
    assert all(found[k] for k in OFFLINE) and found["server_key"] and found["log_extends"] is False
    assert "shorter than the 2 ballots it signed for your receipt" in page.locator("#verify-result").inner_text()
    assert "does not match this receipt" in page.locator("#verify-result-summary").inner_text()
    found = _verify_pasted(page, good, with_server=False)  # offline, the receipt itself still checks out
    assert found == dict.fromkeys(OFFLINE, True)
    assert _verify_pasted(page, receipts[0]) == dict.fromkeys(OFFLINE | ONLINE, True)


def test_a_budget_poll_in_korean_its_rules_in_words_and_live_results(server, page):
    base = server.base
    page.goto(f"{base}/voting?lang=ko")
    _ready(page)
    assert page.locator("html").get_attribute("lang") == "ko"
    card = _poll_card(page, server.budget)
    text = card.inner_text()
    assert "사업을 3개까지 고르세요. 전체 예산은 500,000,000원이며" in text
    assert "주민참여예산" in text and "마감까지" in text
    card.get_by_role("button", name="이 안건에 투표하기").click()
    assert "사업비 200,000,000원" in page.locator("#choices").inner_text()
    for name in ("놀이터 개선", "도서관 야간 운영", "골목 CCTV", "가로수 정비"):
        page.get_by_label(name).check()
    assert page.locator("#selection").inner_text() == "지금 고른 사업: 4개, 합계 550,000,000원 (전체 예산 500,000,000원)"
    page.get_by_label("투표 코드").fill(server.credentials[5])
    page.get_by_role("button", name="고른 것 확인하기").click()
    assert page.locator("#ballot-error").inner_text() == "3개까지만 고를 수 있습니다. 지금 4개를 골랐습니다."
    page.get_by_label("가로수 정비").uncheck()
    page.get_by_label("골목 CCTV").uncheck()
    page.get_by_role("button", name="고른 것 확인하기").click()
    assert page.locator("#confirm-list li").all_inner_texts() == ["놀이터 개선", "도서관 야간 운영"]
    page.get_by_role("button", name="네, 투표합니다").click()
    _until(page, "document.querySelector('#receipt-result').dataset.verified !== undefined", 30)
    assert page.locator("#receipt-result").get_attribute("data-verified") == "yes"
    assert "영수증이 확인되었습니다" in page.locator("#receipt-result-summary").inner_text()
    assert "통과: 투표 내용의 해시: " in page.locator("#receipt-result").text_content()

    # the live results count the ballot (the API's tally, drawn as bars)
    live = page.locator(f"#results li[data-poll='{server.budget}']")
    _until(page, f"document.querySelector(\"#results li[data-poll='{server.budget}'] li[data-position='1']\")"
                 "?.dataset.votes === '1'")
    assert "중간 결과" in live.inner_text()
    tally = httpx.get(f"{base}/voting/polls/{server.budget}/results").json()
    bars = page.evaluate(f"[...document.querySelectorAll(\"#results li[data-poll='{server.budget}'] .bars li\")]"
                         ".map((li) => Number(li.dataset.votes))")
    assert bars == [o["votes"] for o in tally["options"]] == [1, 1, 0, 0]


def test_results_and_the_ballot_board_of_a_closed_poll(server, page):
    base = server.base
    page.goto(f"{base}/voting?lang=en")
    _ready(page)
    card = page.locator(f"#results li[data-poll='{server.closed}']")
    card.locator(".bars").wait_for()
    assert "Final results" in card.inner_text() and "4 ballots in all" in card.inner_text()
    assert page.evaluate(f"[...document.querySelectorAll(\"#results li[data-poll='{server.closed}'] .bars li\")]"
                         ".map((li) => Number(li.dataset.votes))") == [3, 1, 0]
    assert "Most votes" in card.locator("li[data-position='1']").inner_text()
    assert card.locator("li[data-position='1'] .fill").evaluate("n => n.style.width") == "100%"
    card.get_by_role("button", name="Show the ballot board").click()
    card.locator("[data-recount]").wait_for()
    assert card.locator("[data-recount]").get_attribute("data-recount") == "ok"
    assert "Recounting the board's 4 ballots in this browser gives these results." in card.inner_text()
    board = httpx.get(f"{base}/voting/polls/{server.closed}/ballots").json()["ballots"]
    rows = card.locator("tbody tr").all_inner_texts()
    assert len(rows) == 4 and all(b["leaf_hash"][:16] in row for b, row in zip(board, rows))
    assert "Dasan Square" in rows[0]
    # the closed poll is not among the open ones; an upcoming one says when it opens, and takes no vote yet
    assert _poll_card(page, server.closed).count() == 0
    upcoming = _poll_card(page, server.upcoming)
    assert "Where next year's festival goes" in upcoming.inner_text() and "Opens " in upcoming.inner_text()
    assert upcoming.get_by_role("button").count() == 0
    assert page.errors == []


@pytest.mark.parametrize("width", [390, 1280])
def test_the_page_fits_the_screen_and_passes_axe_in_both_languages(server, page, width, tmp_path):
    base = server.base
    receipt = server.runtime.voting.cast(server.policy, server.credentials[6 if width == 390 else 7], [1])
    page.set_viewport_size({"width": width, "height": 900})
    failures = {}
    for lang, vote, check, board in (("ko", "이 안건에 투표하기", "영수증 확인하기", "공개 투표함 보기"),
                                     ("en", "Vote in this poll", "Check the receipt", "Show the ballot board")):
        page.goto(f"{base}/voting?lang={lang}")
        _ready(page)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
        _poll_card(page, server.policy).get_by_role("button", name=vote).click()  # the ballot open
        page.locator("#receipt-text").fill(json.dumps(receipt))  # a receipt checked
        page.get_by_role("button", name=check).click()
        _until(page, "document.querySelector('#verify-result').dataset.verified === 'yes'")
        card = page.locator(f"#results li[data-poll='{server.closed}']")
        card.get_by_role("button", name=board).click()  # the board shown
        card.locator("[data-recount]").wait_for()
        scroll, client = _no_sideways_scroll(page)
        assert scroll <= client, f"/voting ({lang}) scrolls sideways at {width} px: {scroll} > {client}"
        page.screenshot(path=str(tmp_path / f"voting-{lang}-{width}.png"), full_page=True)
        if found := _axe(page):
            failures[lang] = found
    assert failures == {}
    assert page.errors == []
    assert '<html lang="en">' in httpx.get(f"{base}/voting", headers={"Accept-Language": "en"}).text
    assert "default-src 'self'" in httpx.get(f"{base}/voting").headers["content-security-policy"]
    assert httpx.get(f"{base}/vendor/qrcode-generator/LICENSE").status_code == 200


def test_the_browser_proof_checks_agree_with_the_python_ledger(server, page):
    """receipt.js's RFC 9162 inclusion and consistency checks give the answers of civic_services.voting.merkle for
    every leaf and every pair of sizes of a 40-leaf log, right proofs and wrong ones."""
    from civic_services.voting.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion

    leaves = [leaf_hash(f"ballot {i}".encode()) for i in range(40)]
    tree = MerkleTree(leaves)
    wrong = leaf_hash(b"another ballot")
    inclusion, expected_inclusion = [], []
    for size in range(1, 41):
        root = tree.root(size)
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            variants = [(index, leaves[index]), (index, wrong)]
            if size > 1:
                variants.append(((index + 1) % size, leaves[index]))
            for i, leaf in variants:
                inclusion.append([i, size, leaf.hex(), [p.hex() for p in proof], root.hex()])
                expected_inclusion.append(verify_inclusion(i, size, leaf, proof, root))
    consistency, expected_consistency = [], []
    for first in range(1, 41):
        for second in range(first, 41):
            proof = tree.consistency_proof(first, second)
            for second_root in (tree.root(second), wrong):
                consistency.append([first, second, tree.root(first).hex(), second_root.hex(), [p.hex() for p in proof]])
                expected_consistency.append(verify_consistency(first, second, tree.root(first), second_root, proof))
    assert expected_inclusion.count(True) == 820 and expected_consistency.count(True) == 820
    page.goto(f"{server.base}/voting?lang=en")
    _ready(page)
    got = page.evaluate("""async ([inclusion, consistency]) => {
        const b = (h) => Uint8Array.from(h.match(/../g), (x) => parseInt(x, 16));
        const inc = [], con = [];
        for (const [i, n, leaf, proof, root] of inclusion)
            inc.push(await Receipts.verifyInclusion(i, n, b(leaf), proof.map(b), b(root)));
        for (const [m, n, first, second, proof] of consistency)
            con.push(await Receipts.verifyConsistency(m, n, b(first), b(second), proof.map(b)));
        return [inc, con];
    }""", [inclusion, consistency])
    assert got[0] == expected_inclusion
    assert got[1] == expected_consistency


def test_a_receipt_is_checked_on_a_page_that_is_not_a_secure_context(server):
    """Served over plain http by a host that is not this one (here http://dasan.test, proxied to the test server),
    the page is not a secure context and the browser gives it no WebCrypto: the vendored js-sha256 and TweetNaCl
    check the receipt instead, with the same answers, tampered signatures included."""
    from tests.browser import chromium_page

    base = server.base
    good = server.runtime.voting.cast(server.policy, server.credentials[8], [1])
    forged = copy.deepcopy(good)
    raw = forged["tree_head"]["signature"]
    forged["tree_head"]["signature"] = ("A" if raw[0] != "A" else "B") + raw[1:]
    with chromium_page() as page:
        elsewhere = []

        def proxy(route):
            url = route.request.url
            if url.startswith("http://dasan.test/"):
                route.fulfill(response=route.fetch(url=base + url[len("http://dasan.test"):]))
            else:
                elsewhere.append(url)
                route.abort()

        page.route("**/*", proxy)
        page.goto("http://dasan.test/voting?lang=en")
        _ready(page)
        assert page.evaluate("[window.isSecureContext, Boolean(window.crypto && window.crypto.subtle)]") == [False,
                                                                                                        False]
        assert page.evaluate("Receipts.available() && !Receipts.webCrypto()")
        assert _verify_pasted(page, good) == dict.fromkeys(OFFLINE | ONLINE, True)
        found = _verify_pasted(page, forged, with_server=False)
        assert found["inclusion"] and not found["signature"]
        changed = copy.deepcopy(good)
        changed["ballot"] = changed["ballot"].replace('"choices":[1]', '"choices":[2]')
        found = _verify_pasted(page, changed, with_server=False)
        assert not found["ballot_hash"] and found["signature"]
        assert elsewhere == []
