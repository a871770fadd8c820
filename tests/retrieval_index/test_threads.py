"""Issue 12: the text rules and the index are shared by every request thread. Many threads analysing and searching
at once must get exactly what one thread gets, and no exception (one shared Snowball stemmer used to mix words)."""

import threading

import pytest

from retrieval_index import Document, HybridIndex
from retrieval_index.text import analyze, repair_spacing

TEXTS = ["How do I claim Unemployment Benefits?", "running runners ran easily", "버스요금이 얼마인가요",
         "환승할인조건몇분이내", "the fishing boats were sailing", "대형 폐기물 어떻게 버려요?", "T-money 카드 충전",
         "Where can I dispose of an old refrigerator?", "주차 위반 과태료는 어떻게 내나요?"]


def _hammer(work, threads=8):
    failures: list[str] = []

    def run():
        try:
            work(failures)
        except Exception as exc:  # noqa: BLE001 - the test reports every kind of failure
            failures.append(repr(exc))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failures


def test_analysis_from_many_threads_matches_one_thread():
    expected = {t: (analyze(t), repair_spacing(t)) for t in TEXTS}

    def work(failures):
        for _ in range(200):
            for text in TEXTS:
                got = (analyze(text), repair_spacing(text))
                if got != expected[text]:
                    failures.append(f"{text!r}: {got} != {expected[text]}")

    assert _hammer(work) == []


DOCS = [
    Document("waste-1", "대형 폐기물은 구청 누리집에서 신고하고 스티커를 붙여 배출합니다.", {"entry": "waste"}),
    Document("waste-2", "Bulky waste such as a sofa is reported online and collected with a sticker.", {"entry": "waste"}),
    Document("bus-1", "서울 시내버스 성인 요금은 교통카드 기준 1,500원입니다.", {"entry": "bus"}),
    Document("bus-2", "The adult city bus fare is 1,500 won with a transit card.", {"entry": "bus"}),
    Document("pass-1", "여권은 구청 민원여권과에서 신청합니다.", {"entry": "passport"}),
    Document("fine-1", "주정차 과태료는 ETAX나 가상계좌로 납부하고 자진 납부하면 20% 감경됩니다.", {"entry": "fine"}),
    Document("fridge-1", "Large appliances such as fridges are collected free of charge.", {"entry": "fridge"}),
]


@pytest.mark.slow
def test_search_from_many_threads_matches_one_thread(embedder):
    index = HybridIndex(embedder, group_key="entry")
    index.add(DOCS)
    expected = {t: [(h.group, round(h.score, 6)) for h in index.search(t, k=5)] for t in TEXTS}

    def work(failures):
        for _ in range(15):
            for text in TEXTS:
                got = [(h.group, round(h.score, 6)) for h in index.search(text, k=5)]
                if got != expected[text]:
                    failures.append(f"{text!r}: {got} != {expected[text]}")

    assert _hammer(work) == []


@pytest.mark.slow
def test_search_while_another_thread_adds_and_deletes(embedder):
    index = HybridIndex(embedder, group_key="entry")
    index.add(DOCS)
    stop = threading.Event()
    churn_errors: list[str] = []

    def churn():
        try:
            n = 0
            while not stop.is_set():
                index.add([Document(f"tmp-{n}", f"임시 문서 {n} temporary note", {"entry": f"tmp-{n % 3}"})])
                index.delete_group(f"tmp-{(n + 1) % 3}")
                n += 1
        except Exception as exc:  # noqa: BLE001
            churn_errors.append(repr(exc))

    writer = threading.Thread(target=churn)
    writer.start()

    def work(failures):
        for _ in range(10):
            for text in TEXTS:
                hits = index.search(text, k=5)
                if not hits or any(h.document.meta["entry"] != h.group for h in hits):
                    failures.append(f"{text!r}: {hits}")
                index.coverage(text)

    try:
        failures = _hammer(work, threads=6)
    finally:
        stop.set()
        writer.join()
    assert failures == [] and churn_errors == []
    assert index.search("여권 신청", k=1)[0].group == "passport"
