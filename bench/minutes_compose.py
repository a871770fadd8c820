"""How long writing the minutes takes: the extractive baseline and the local LLM (map over chunks, verify, merge),
measured in the same run on transcripts of 5 and 30 minutes.

The transcripts are the committed ASR transcript of the test meeting (tests/minutes/meeting_en.json), its lines
repeated with other districts, routes and figures at a speaking rate of 150 words a minute, so that every chunk
has agenda items, decisions and action items to find.

    python bench/minutes_compose.py [--minutes 5 30] [--language en ko] [--chunk-tokens 600]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KOREAN = ["안녕하십니까. 마포구 교통팀 주간 회의를 시작하겠습니다.", "첫 번째 안건은 월드컵로 자전거 도로입니다.",
          "삼월에 새 도로가 열린 뒤 하루 이용자가 800명에서 1200명으로 늘었습니다.",
          "검토 결과 올가을에 합정역까지 자전거 도로를 연장하기로 결정했습니다.",
          "김 과장님이 금요일까지 수정 예산안을 구의회에 제출해 주세요.", "두 번째 안건은 심야버스 N62 노선입니다.",
          "오월 시간표 변경 후 이용객이 15% 줄었습니다.", "다음 달부터 주말 배차 간격을 20분으로 되돌리기로 했습니다.",
          "이 팀장이 이달 말까지 새 시간표를 구청 누리집에 올리겠습니다.", "회의를 마치겠습니다. 감사합니다."]
DISTRICTS_KO = ["마포", "종로", "강남", "송파", "노원", "은평", "구로", "서초", "중", "용산"]
OWNERS_KO = ["김", "이", "박", "최", "정", "강", "조", "윤", "장", "임"]
DISTRICTS = ["Mapo", "Jongno", "Gangnam", "Songpa", "Nowon", "Eunpyeong", "Guro", "Seocho", "Jung", "Yongsan"]
OWNERS = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim"]
WORDS_PER_MINUTE = 150


def transcript(minutes: float, language: str = "en"):
    """A meeting of ``minutes`` made of the test meeting's transcribed lines (or their Korean version), varied per
    round."""
    from minutes.document import Meeting
    from speech.events import Segment

    if language == "ko":
        lines, districts, owners, names = KOREAN, DISTRICTS_KO, OWNERS_KO, ("마포", "김 과장")
    else:
        lines = [r["text"] for r in json.loads((ROOT / "tests/minutes/meeting_en.json").read_text())["segments"]]
        districts, owners, names = DISTRICTS, OWNERS, ("MAPO", "Director Cam")
    segments, at, n = [], 0.0, 0
    while at < minutes * 60:
        rounds = n // len(lines)
        owner = owners[rounds % len(owners)] + (" 과장" if language == "ko" else "")
        text = lines[n % len(lines)].replace(names[0], districts[rounds % len(districts)])
        text = text.replace(names[1], owner if language == "ko" else f"Director {owner}")
        text = text.replace("N62", f"N{62 + rounds}")
        words = len(text.split()) * (1.6 if language == "ko" else 1.0)  # Korean words (eojeol) are longer
        length = words * 60 / WORDS_PER_MINUTE
        segments.append(Segment(n, round(at, 2), round(at + length, 2), text, (), f"Speaker {n % 3 + 1}", language))
        at += length + 0.6
        n += 1
    return Meeting(title=f"{minutes:g} min", segments=segments, language=language, duration=at)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, nargs="+", default=[5, 30])
    parser.add_argument("--chunk-tokens", type=int, default=600)
    parser.add_argument("--language", nargs="+", default=["en"], choices=["en", "ko"])
    args = parser.parse_args()

    from dasan.runtime import build_model_set
    from dasan.settings import get_settings
    from minutes.compose import ComposeOptions, compose_with_llm
    from minutes.document import extract_minutes

    settings = get_settings()
    llm = build_model_set(settings).llm()
    llm.chat([{"role": "user", "content": "Hi"}], max_tokens=1)  # loaded and warm before timing
    options = ComposeOptions(chunk_tokens=args.chunk_tokens, budget_s=float("inf"))
    results = []
    for language, length in [(lang, m) for lang in args.language for m in args.minutes]:
        meeting = transcript(length, language)
        started = time.perf_counter()
        extractive = extract_minutes(meeting)
        extractive_s = time.perf_counter() - started
        started = time.perf_counter()
        composed = compose_with_llm(meeting, llm, options)
        llm_s = time.perf_counter() - started
        info = composed.composition
        row = {"language": language, "minutes": length, "segments": len(meeting.segments),
               "words": len(meeting.text.split()),
               "extractive_s": round(extractive_s, 3), "llm_s": round(llm_s, 1),
               "llm_over_extractive": round(llm_s / max(extractive_s, 1e-6)), "llm_s_per_audio_min": round(
                   llm_s / length, 1), "chunks": info.get("chunks"), "fallback_chunks": info.get("fallback_chunks"),
               "proposed": info.get("proposed"), "kept": info.get("kept"),
               "added_extractive": info.get("added_extractive"), "composed_by": composed.composed_by,
               "extractive_items": len(extractive.decisions) + len(extractive.actions),
               "llm_items": len(composed.decisions) + len(composed.actions)}
        results.append(row)
        print(f"{language} {length:>4g} min  {row['words']:>5} words  extractive {extractive_s * 1000:8.1f} ms   "
              f"llm {llm_s:7.1f} s ({row['llm_s_per_audio_min']} s per minute of meeting, {row['chunks']} chunks, "
              f"{row['kept']}/{row['proposed']} items verified, by {row['composed_by']})", file=sys.stderr)
    print(json.dumps({"threads": settings.threads, "chunk_tokens": args.chunk_tokens, "results": results}))


if __name__ == "__main__":
    main()
