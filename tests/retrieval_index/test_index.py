"""The hybrid index with the real embedder: search, filters, grouping, updates, persistence."""

import json
import shutil

import numpy as np
import pytest

from retrieval_index import Document, HybridIndex, IndexCorruptError, IndexMismatchError
from retrieval_index.dense import DenseConfig, DenseIndex, choose_kind

pytestmark = pytest.mark.slow

DOCS = [
    Document("waste-1", "대형 폐기물은 구청 누리집에서 신고하고 스티커를 붙여 배출합니다.", {"category": "waste", "lang": "ko"}),
    Document("waste-2", "Bulky waste such as a sofa is reported online and collected with a sticker.",
             {"category": "waste", "lang": "en"}),
    Document("bus-1", "서울 시내버스 성인 요금은 교통카드 기준 1,500원입니다.", {"category": "transport", "lang": "ko"}),
    Document("bus-2", "The adult city bus fare is 1,500 won with a transit card.", {"category": "transport", "lang": "en"}),
    Document("pass-1", "여권은 구청 민원여권과에서 신청합니다.", {"category": "documents", "lang": "ko"}),
    Document("bike-1", "따릉이는 서울시 공공자전거로 앱에서 대여합니다.", {"category": "transport", "lang": "ko"}),
]


@pytest.fixture
def index(embedder):
    built = HybridIndex(embedder)
    built.add(DOCS)
    return built


def test_hybrid_search_finds_the_right_document_in_both_languages(index):
    assert index.search("소파 버리는 방법", k=3)[0].document.id in ("waste-1", "waste-2")
    assert index.search("how much is the bus", k=3)[0].document.id in ("bus-1", "bus-2")
    top = index.search("버스요금얼마", k=2)[0]  # run-together Korean
    assert top.document.id == "bus-1" and top.sparse > 0 and top.dense > 0


def test_filters_by_metadata(index):
    hits = index.search("bus fare", k=5, filters={"lang": "ko"})
    assert hits and all(h.document.meta["lang"] == "ko" for h in hits)
    hits = index.search("sofa", k=5, filters={"category": ["waste", "documents"]})
    assert {h.document.meta["category"] for h in hits} <= {"waste", "documents"}
    assert index.search("sofa", filters={"category": "nothing"}) == []


def test_modes_and_fusion(index):
    dense = index.search("bicycle rental app", k=3, mode="dense")
    sparse = index.search("따릉이 대여", k=3, mode="sparse")
    assert dense[0].document.id == "bike-1" and dense[0].sparse == 0.0
    assert sparse[0].document.id == "bike-1" and sparse[0].dense == -1.0
    with pytest.raises(ValueError):
        index.search("x", mode="magic")


def test_add_update_delete(index, embedder):
    index.add([Document("bus-1", "서울 시내버스 요금은 2026년부터 1,700원입니다.", {"category": "transport", "lang": "ko"})])
    assert len(index) == len(DOCS)
    assert "1,700" in index.get("bus-1").text
    assert index.delete(["bike-1", "no-such"]) == 1
    assert "bike-1" not in index
    assert all(h.document.id != "bike-1" for h in index.search("따릉이 공공자전거", k=6))


def test_grouped_documents_come_back_as_groups(embedder):
    grouped = HybridIndex(embedder, group_key="entry")
    grouped.add([Document(d.id, d.text, {**d.meta, "entry": d.id.split("-")[0]}) for d in DOCS])
    hits = grouped.search("bulky waste sticker", k=5)
    assert [h.group for h in hits][0] == "waste"
    assert len({h.group for h in hits}) == len(hits)
    assert grouped.delete_group("waste") == 2
    assert all(h.group != "waste" for h in grouped.search("bulky waste sticker", k=5))


def test_save_and_load_round_trip(index, embedder, tmp_path):
    index.save(tmp_path / "idx", extra={"source": "test"})
    loaded = HybridIndex.load(tmp_path / "idx", embedder)
    assert [h.document.id for h in loaded.search("여권 신청", k=3)] == [h.document.id for h in index.search("여권 신청", k=3)]
    meta = json.loads((tmp_path / "idx" / "meta.json").read_text())
    assert meta["embedder"] == embedder.identity and meta["dense_kind"] == "flat" and meta["extra"] == {"source": "test"}
    # saving again replaces it whole and leaves no temporary directories behind
    index.save(tmp_path / "idx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_corrupt_or_mismatched_index_is_refused(index, embedder, store, tmp_path):
    from models.embedder import load_embedder

    index.save(tmp_path / "idx")
    other = load_embedder("all-minilm-l6-v2", store)
    with pytest.raises(IndexMismatchError, match="rebuild"):
        HybridIndex.load(tmp_path / "idx", other)
    shutil.copytree(tmp_path / "idx", tmp_path / "bad")
    with open(tmp_path / "bad" / "docs.jsonl", "a") as stream:
        stream.write("{}\n")
    with pytest.raises(IndexCorruptError, match="checksum"):
        HybridIndex.load(tmp_path / "bad", embedder)


def test_dense_kind_is_chosen_by_size():
    assert choose_kind(1_000) == "flat"
    assert choose_kind(200_000) == "hnsw"
    assert choose_kind(5_000_000) == "ivfpq"


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_dense_kinds_agree_with_exact_search_and_delete(kind):
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((4000, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(4000)
    dense = DenseIndex(64, kind, DenseConfig(ivf_lists=16, pq_bytes=16, ivf_nprobe=8))
    dense.add(vectors, ids)
    queries = vectors[:50] + 0.05 * rng.standard_normal((50, 64)).astype(np.float32)
    _, found = dense.search(queries, 10)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)])
    assert recall > {"flat": 0.99, "hnsw": 0.9, "ivfpq": 0.4}[kind]  # PQ codes are lossy on random vectors
    assert (found[:, 0] == np.arange(50)).mean() > 0.8
    dense.remove(np.arange(25))
    _, after = dense.search(queries[:25], 5)
    assert not np.isin(after, np.arange(25)).any()


def test_an_index_made_by_other_text_rules_is_refused(index, embedder, tmp_path):
    index.save(tmp_path / "idx")
    meta_path = tmp_path / "idx" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["analysis"] = "older-rules"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexMismatchError, match="text rules"):
        HybridIndex.load(tmp_path / "idx", embedder)
