"""Answers for the ear: the short spoken form of an assistant's answer.

The chat answer is written to be read: several sentences, parenthetical asides, phone numbers, URLs, maybe lists,
tables or markdown. Read aloud it takes 20-30 s, and a caller cannot scroll back. :func:`spoken_form` keeps the key
fact (the first sentence, cut at a clause when it is long, and the next sentence when both fit in a character
budget: at most two), drops what cannot be heard (markdown, URLs, citation markers, asides in parentheses
without a number), writes phone numbers and the city's short service numbers as digits to be read one by one
("1577-1234" -> "one five seven seven, one two three four"; Korean "일오칠칠 일이삼사"), Korean amounts, hours and
units as words ("1,500원" -> "천오백 원", "5시" -> "다섯 시"), and, when something was left out, ends with the
offer to text the details ("Shall I text you the details?" / "더 자세한 내용은 문자로 보내드릴까요?").

:func:`reply_to_offer` reads the caller's short answer to that offer (yes, no, or neither).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OFFER = {"en": "Shall I text you the details?", "ko": "더 자세한 내용은 문자로 보내드릴까요?"}
# characters of the kept sentences (the offer not counted): about 10-12 s of speech
BUDGET = {"en": 190, "ko": 95}
MAX_SENTENCES = 2
MIN_CLAUSE = {"en": 40, "ko": 18}  # a long first sentence is cut at a clause no shorter than this

# short numbers of public services, read digit by digit (not "one hundred twenty")
SERVICE_NUMBERS = frozenset({"110", "112", "119", "120", "182", "1330", "1345", "1366", "1388", "129"})

_EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_KO_DIGITS = ("공", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
_KO_SINO = ("", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구")
_KO_NATIVE_HOURS = ("", "한", "두", "세", "네", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "열한", "열두")
_KO_UNITS = {"km": "킬로미터", "m": "미터", "kg": "킬로그램", "%": "퍼센트", "cm": "센티미터", "㎡": "제곱미터",
             "m2": "제곱미터"}
_EN_UNITS = {"km": "kilometres", "kg": "kilograms", "cm": "centimetres", "m2": "square metres",
             "㎡": "square metres", "%": " percent"}

_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s)\]>,]+[^\s)\]>,.]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_CITATION = re.compile(r"\[(?:\d+|faq-\d+|[a-z]+-\d+)\]|\((?:source|출처)[^)]*\)|【[^】]*】", re.IGNORECASE)
_SOURCES_LINE = re.compile(r"^\s*(sources?|출처|참고)\s*[:：].*$", re.IGNORECASE | re.MULTILINE)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`|~~)(?=\S)(.+?)(?<=\S)\1")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*+•·]|\d{1,2}[.)])\s+", re.MULTILINE)
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$", re.MULTILINE)
_TABLE_HEADER = re.compile(r"^[^\n]*\|[^\n]*\n(?=\s*\|?\s*:?-{2,}:?\s*\|)", re.MULTILINE)
_PARENS = re.compile(r"\s*[(（]([^()（）]*)[)）]")
_PHONE = re.compile(r"(?<![\d.])(?:\d{2,4}-)?\d{3,4}-\d{4}(?!\d)")
_SERVICE = re.compile(r"(?<![\d,.:])(\d{3,4})(?![\d,:]|\.\d|\s*(?:won|원|km|m\b|kg|%|minutes?|분|명|개|시|년|일|월|"
                      r"people|days?|hours?|years?|times?|번째))")
_KO_AMOUNT = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(만|억)?\s*"
                        r"(원|km|kg|cm|m2|㎡|m|%|분|년|월|일|명|개|회|번|세|층|호|주|초|차|위|등|시간|시)?")
_EN_UNIT = re.compile(r"(?<![\w.])(\d[\d,.]*)\s?(km|kg|cm|m2|㎡|%)(?!\w)")
_CLAUSE = re.compile(r"[;:,，]\s+|\s+[-–—]\s+|\s+(?=(?:while|whereas|but|although|so that|which)\b)")
_ABBREVIATIONS = re.compile(r"\b(?:a\.m|p\.m|e\.g|i\.e|etc|vs|no|st|dr|mr|mrs|ms|approx)\.$", re.IGNORECASE)
_HANGUL = re.compile(r"[가-힣]")


@dataclass(frozen=True)
class Spoken:
    """What to say (``text``), whether part of the answer was left out for the text message (``shortened``), and
    whether ``text`` ends with the offer to send it (``offered``)."""

    text: str
    shortened: bool
    offered: bool


def spoken_form(answer: str, lang: str = "en", budget: int | None = None, offer: bool = True) -> Spoken:
    """The short spoken form of ``answer`` in ``lang`` (``en`` or ``ko``): the key fact in at most two sentences
    within ``budget`` characters, readable by a TTS voice, then (``offer``, when something was left out) the offer
    to text the details."""
    lang = "ko" if lang == "ko" else "en"
    budget = budget or BUDGET[lang]
    sentences = sentences_of(readable(answer))
    if not sentences:
        return Spoken("", False, False)
    kept = [_clip(sentences[0], budget, lang)]
    shortened = kept[0] != sentences[0]
    for sentence in sentences[1:]:
        if shortened or len(kept) >= MAX_SENTENCES or sum(len(s) + 1 for s in kept) + len(sentence) > budget:
            shortened = True
            break
        kept.append(sentence)
    text = " ".join(say_numbers(s, lang) for s in kept)
    offered = offer and shortened
    if offered:
        text = f"{text} {OFFER[lang]}"
    return Spoken(text, shortened, offered)


def spoken_reply(reply, lang: str = "en") -> Spoken:
    """What a call says of an assistant reply (:class:`chatbot.assistant.Reply`): the spoken form of an answer;
    a hand-off, a refusal or a tool's question (it must be heard whole) only made readable."""
    if reply.handoff or reply.decline or reply.awaiting:
        return Spoken(readable(reply.answer), False, False)
    spoken = spoken_form(reply.answer, lang)
    return spoken if spoken.text else Spoken(reply.answer, False, False)


def readable(answer: str) -> str:
    """``answer`` as plain sentences: markdown, links, URLs, e-mail addresses and citation markers removed, list
    items and table rows turned into sentences, asides in parentheses dropped unless they hold a number."""
    text = answer.replace("\r\n", "\n")
    text = _SOURCES_LINE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _EMAIL.sub("", text)
    text = _CITATION.sub("", text)
    text = _TABLE_HEADER.sub("", text)  # a table's header row says nothing to the ear
    text = _TABLE_RULE.sub("", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    for _ in range(2):
        text = _EMPHASIS.sub(r"\2", text)
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if line.count("|") >= 2:  # a table row: its cells, one clause each
            line = ", ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())
        if not re.search(r"[.!?。:：]$", line):
            line += "."
        lines.append(line)
    text = " ".join(lines)
    text = _PARENS.sub(_aside, text)
    text = re.sub(r"(?<=\S)\s*~\s*(?=\S)", "부터 " if _HANGUL.search(text) else " to ", text)  # 9시~7시
    text = text.replace("·", ", ").replace("ㆍ", ", ").replace("/", " / ")
    text = re.sub(r"\s+/\s+(?=[A-Za-z가-힣])", " or ", text)
    text = re.sub(r"\b(?:at|on|via|see|visit)\s*(?=[.,;])", "", text)  # a preposition whose URL was dropped
    text = re.sub(r"\s+(?:or|and|또는|및)\s*(?=[.,;!?])", "", text)
    text = re.sub(r"\s*,\s*(?=[,.;:!?])", "", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;])\1+", r"\1", text)
    text = re.sub(r":\s*\.", ".", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def _aside(match: re.Match) -> str:
    """An aside in parentheses: dropped, unless it holds a number (a phone number, an amount, hours); then said
    as a clause (in Korean, before a particle that follows it, as part of the phrase)."""
    inner = match.group(1).strip()
    if not re.search(r"\d", inner):
        return ""
    after = match.string[match.end():match.end() + 1]
    if _HANGUL.match(after):
        return f" {inner}"
    return f", {inner},"


def sentences_of(text: str) -> list[str]:
    """The sentences of plain Korean or English text (a full stop after "a.m.", "e.g." ... does not end one)."""
    out: list[str] = []
    start = 0
    for match in re.finditer(r"[.!?。](?=\s+(\S))", text):
        head = text[start:match.end()]
        following = match.group(1)
        if _ABBREVIATIONS.search(head) and not following[0].isupper():
            continue
        if not (following[0].isupper() or following[0].isdigit() or _HANGUL.match(following[0])
                or following[0] in "\"'(“‘"):
            continue
        out.append(head.strip())
        start = match.end()
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return [s for s in out if re.search(r"\w", s)]


def _clip(sentence: str, budget: int, lang: str) -> str:
    """A sentence over ``budget`` characters cut at its last clause boundary within the budget (a full stop put
    in place of the comma; in Korean only where the clause ending can be made a sentence ending: …있으며 ->
    …있습니다), or at a word when an English sentence has none. A Korean sentence with no such clause is kept
    whole (better long than broken)."""
    if len(sentence) <= budget:
        return sentence
    cuts = [m.start() for m in _CLAUSE.finditer(sentence) if MIN_CLAUSE[lang] <= m.start() <= budget]
    for cut in reversed(cuts):
        head = sentence[:cut].rstrip(" ,;:-–—")
        if lang == "ko":
            head = _ko_sentence_end(head)
            if head is None:
                continue
        return head + ("" if head.endswith((".", "?", "!")) else ".")
    if lang == "ko":
        return sentence
    head = sentence[:budget].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return head + "."


_KO_ENDINGS = (("있으며", "있습니다"), ("없으며", "없습니다"), ("이며", "입니다"), ("되며", "됩니다"),
               ("하며", "합니다"), ("있고", "있습니다"), ("없고", "없습니다"), ("되고", "됩니다"), ("하고", "합니다"),
               ("이고", "입니다"), ("있어", "있습니다"), ("되어", "됩니다"), ("해야 하며", "해야 합니다"))


def _ko_sentence_end(head: str) -> str | None:
    """A Korean clause made a sentence: its connective ending (…있으며, …되고) turned into the polite
    declarative one; None when the ending is not one of these."""
    if head.endswith(("다", "요")):
        return head
    for ending, closed in sorted(_KO_ENDINGS, key=lambda pair: -len(pair[0])):
        if head.endswith(ending):
            return head[: -len(ending)] + closed
    return None


def say_numbers(text: str, lang: str = "en") -> str:
    """Numbers written for a voice: phone numbers and service numbers digit by digit, and in Korean amounts,
    hours and units in words."""
    digits = _EN_DIGITS if lang == "en" else _KO_DIGITS
    sep = " " if lang == "en" else ""

    def by_digit(number: str) -> str:
        groups = [sep.join(digits[int(d)] for d in group) for group in number.split("-")]
        return ", ".join(groups) if lang == "en" else " ".join(groups)

    text = _PHONE.sub(lambda m: by_digit(m.group(0)), text)
    text = _SERVICE.sub(lambda m: by_digit(m.group(1)) if m.group(1) in SERVICE_NUMBERS else m.group(0), text)
    if lang == "en":
        text = _EN_UNIT.sub(lambda m: f"{m.group(1)} {_EN_UNITS[m.group(2)]}".replace("  ", " "), text)
        return re.sub(r"\s+percent", " percent", text)
    text = re.sub(r"(\d{1,2}):(\d{2})", lambda m: f"{m.group(1)}시 {int(m.group(2))}분" if int(m.group(2))
                  else f"{m.group(1)}시", text)
    return _KO_AMOUNT.sub(_ko_amount, text)


def _ko_amount(match: re.Match) -> str:
    whole, fraction, big, unit = match.groups()
    number = int(whole.replace(",", ""))
    if unit in ("시",) and 1 <= number <= 12 and not big and not fraction:
        words = _KO_NATIVE_HOURS[number]
    else:
        words = sino_korean(number)
        if fraction:
            words += "점" + "".join(_KO_DIGITS[int(d)] for d in fraction)
        if big:
            words += big
    if unit:
        return f"{words} {_KO_UNITS.get(unit, unit)}"
    return words


def sino_korean(number: int) -> str:
    """A whole number read in Sino-Korean (1500 -> 천오백, 10000 -> 만, 23000 -> 이만 삼천)."""
    if number == 0:
        return "영"
    parts = []
    for size, name in ((10 ** 12, "조"), (10 ** 8, "억"), (10 ** 4, "만"), (1, "")):
        chunk, number = divmod(number, size)
        if not chunk:
            continue
        words = _below_10000(chunk)
        if name == "만" and words == "일":
            words = ""
        parts.append(words + name)
    return " ".join(parts)


def _below_10000(number: int) -> str:
    out = ""
    for size, name in ((1000, "천"), (100, "백"), (10, "십"), (1, "")):
        digit, number = divmod(number, size)
        if digit:
            out += ("" if digit == 1 and name else _KO_SINO[digit]) + name
    return out


_YES = {"en": re.compile(r"^\W*(yes|yeah|yep|sure|ok(ay)?|please( do)?|yes,? please|go ahead|do it|"
                         r"text me|send (it|them|me)( the details)?|that would be (great|nice|good))\b", re.I),
        "ko": re.compile(r"^\W*(네|예|응|어|좋아요|좋습니다|보내\s*주세요|보내줘|부탁|그래요|그렇게)")}
_NO = {"en": re.compile(r"^\W*(no|nope|no,? thanks?|no thank you|not now|don'?t|never mind)\b", re.I),
       "ko": re.compile(r"^\W*(아니|아뇨|괜찮아요|괜찮습니다|됐어요|필요\s*없)")}


def reply_to_offer(text: str, lang: str = "en") -> str | None:
    """The caller's short answer to the offer: ``"yes"``, ``"no"``, or None (a new question, or unclear). Only
    utterances of up to 6 words count: "Yes, and what about the subway?" is a new question."""
    words = re.findall(r"[\w']+", text)
    if not words or len(words) > 6:
        return None
    for answer, patterns in (("no", _NO), ("yes", _YES)):
        if any(pattern.search(text) for pattern in patterns.values()):
            return answer
    return None
