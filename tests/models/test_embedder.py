"""Embedders: the bundled multilingual e5 and a sentence-transformers model given by path."""

import numpy as np
import pytest

from models.embedder import SentenceTransformerEmbedder, load_embedder

pytestmark = pytest.mark.slow

PASSAGES_KO = [
    "대형 폐기물은 구청 홈페이지나 앱으로 신고하고 스티커를 붙여 배출합니다.",  # the answer
    "서울 시내버스 성인 요금은 교통카드 기준 1,500원입니다.",
    "여권은 구청 민원여권과에서 신청할 수 있습니다.",
    "따릉이는 서울시 공공자전거로 앱에서 대여합니다.",
    "미세먼지 경보가 발령되면 외출을 자제하세요.",
]
PASSAGES_EN = [
    "Report bulky waste such as furniture on the district website or app and attach the disposal sticker.",
    "The adult city bus fare is 1,500 won with a transit card.",
    "You can apply for a passport at the district office's passport desk.",
    "Ttareungyi is Seoul's public bike; rent one in the app.",
    "When a fine dust warning is issued, avoid going outside.",
]


def test_e5_ranks_a_korean_paraphrase_above_distractors(store):
    embedder = load_embedder("multilingual-e5-small-q4", store)
    assert embedder.dim == 384
    passages = embedder.embed_passages(PASSAGES_KO)
    query = embedder.embed_queries(["낡은 소파 버리려면 어떻게 해요"])[0]
    scores = passages @ query
    assert int(np.argmax(scores)) == 0, scores
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)


def test_e5_ranks_an_english_paraphrase_above_distractors(store):
    # Cross-language matching (an English query against Korean passages) is weak in this 4-bit small model,
    # which is why the knowledge base is indexed in both languages.
    embedder = load_embedder("multilingual-e5-small-q4", store)
    passages = embedder.embed_passages(PASSAGES_EN)
    query = embedder.embed_queries(["How do I throw away an old sofa?"])[0]
    assert int(np.argmax(passages @ query)) == 0


def test_sentence_transformers_model_by_path(store):
    path = store.require("all-minilm-l6-v2")
    embedder = load_embedder(str(path), store)  # a plain path, as a user's own model would be given
    assert isinstance(embedder, SentenceTransformerEmbedder)
    docs = ["Bulky waste such as sofas needs a sticker from the district office.",
            "The adult bus fare is 1,500 won with a transit card.",
            "Passports are issued at the district office."]
    scores = embedder.embed_passages(docs) @ embedder.embed_queries(["how do I get rid of an old couch"])[0]
    assert embedder.dim == 384
    assert int(np.argmax(scores)) == 0


def test_registry_name_of_a_sentence_transformers_model(store):
    embedder = load_embedder("all-minilm-l6-v2", store)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.identity.startswith("all-minilm-l6-v2@")


def test_a_single_string_is_refused(store):
    with pytest.raises(TypeError):
        load_embedder("multilingual-e5-small-q4", store).embed_queries("not a list")
