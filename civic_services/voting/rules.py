"""Poll definitions and ballot rules, as pure functions: what a poll may be, which selections a ballot may
make (single or multiple choice, participatory-budgeting rules as Decidim's), how a citizen's words become
option numbers, and how ballots add up to a tally."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from civic_services.voting.errors import VotingError
from civic_services.voting.tables import BUDGET_RULES, KINDS

POLL_CODE = re.compile(r"^\s*(?:mv)?[\s\-_#]*0*(\d{1,9})\s*(?:번)?\s*$", re.IGNORECASE)
OPTIONS_MAX = 500


def poll_code(poll_id: int) -> str:
    return f"MV-{poll_id:04d}"


def parse_poll_code(text: str) -> int:
    """``MV-1187``, ``mv 1187``, ``1187``, ``1187번`` -> 1187."""
    match = POLL_CODE.match(str(text))
    if not match:
        raise VotingError(f"{text!r} is not a poll id like MV-1187", 404)
    return int(match.group(1))


@dataclass(frozen=True)
class OptionSpec:
    label: str
    label_en: str = ""
    cost: int | None = None  # won, for participatory-budgeting projects
    description: str = ""


@dataclass(frozen=True)
class PollSpec:
    kind: str  # policy | general | budget
    title: str
    options: tuple[OptionSpec, ...]
    opens_at: datetime
    closes_at: datetime
    title_en: str = ""
    description: str = ""
    min_choices: int = 1
    max_choices: int = 1
    district: str | None = None  # only residents of this district may vote
    results_live: bool = False  # show results while the poll is open
    budget: int | None = None
    budget_rule: str | None = None  # threshold | minimum | projects
    threshold_percent: int | None = None  # threshold rule: spend at least this share of the budget (Decidim: 70)
    min_projects: int | None = None  # minimum rule: select at least this many projects


@dataclass(frozen=True)
class PollRules:
    """What ballot checking needs of a stored poll."""

    code: str
    kind: str
    min_choices: int
    max_choices: int
    labels: tuple[tuple[str, str], ...]  # (label, label_en) by position - 1
    costs: tuple[int | None, ...] = ()
    budget: int | None = None
    budget_rule: str | None = None
    threshold_percent: int | None = None
    min_projects: int | None = None
    extra: dict = field(default_factory=dict)


def check_spec(spec: PollSpec) -> None:
    if spec.kind not in KINDS:
        raise VotingError(f"kind must be one of {', '.join(KINDS)}")
    if not spec.title.strip() or len(spec.title) > 500:
        raise VotingError("a poll needs a title of 1 to 500 characters")
    if spec.opens_at.tzinfo is None or spec.closes_at.tzinfo is None:
        raise VotingError("opens_at and closes_at need a time zone")
    if spec.closes_at <= spec.opens_at:
        raise VotingError("a poll must close after it opens")
    n = len(spec.options)
    if not 2 <= n <= OPTIONS_MAX:
        raise VotingError(f"a poll needs 2 to {OPTIONS_MAX} options")
    seen = set()
    for option in spec.options:
        key = _norm(option.label)
        if not key or len(option.label) > 500:
            raise VotingError("every option needs a label of 1 to 500 characters")
        if key in seen:
            raise VotingError(f"two options are labelled {option.label!r}")
        seen.add(key)
    if spec.kind == "policy" and (spec.min_choices, spec.max_choices) != (1, 1):
        raise VotingError("a policy vote is single choice (min_choices = max_choices = 1)")
    if spec.kind != "budget":
        if not 1 <= spec.min_choices <= spec.max_choices <= n:
            raise VotingError(f"need 1 <= min_choices <= max_choices <= {n} (the number of options)")
        if any(o.cost is not None for o in spec.options) or spec.budget is not None:
            raise VotingError("costs and a budget belong to participatory-budgeting (kind budget) polls")
        return
    if not spec.budget or spec.budget <= 0 or spec.budget > 10**15:
        raise VotingError("a participatory-budgeting poll needs a budget (won) above 0")
    for option in spec.options:
        if option.cost is None or not 0 < option.cost <= spec.budget:
            raise VotingError(f"project {option.label!r} needs a cost above 0 and within the budget")
    if spec.budget_rule not in BUDGET_RULES:
        raise VotingError(f"budget_rule must be one of {', '.join(BUDGET_RULES)} (Decidim's rules)")
    if spec.budget_rule == "threshold" and not (spec.threshold_percent and 1 <= spec.threshold_percent <= 100):
        raise VotingError("the threshold rule needs threshold_percent between 1 and 100 (Decidim's default: 70)")
    if spec.budget_rule == "minimum" and not (spec.min_projects and 1 <= spec.min_projects <= n):
        raise VotingError(f"the minimum rule needs min_projects between 1 and {n}")
    if spec.budget_rule == "projects" and not 1 <= spec.min_choices <= spec.max_choices <= n:
        raise VotingError(f"the projects rule needs 1 <= min_choices <= max_choices <= {n}")


def _norm(text: str) -> str:
    return " ".join(str(text).replace("'", " ").replace('"', " ").casefold().split())


def resolve_choices(rules: PollRules, choices: list) -> tuple[int, ...]:
    """A citizen's choices (option numbers, or labels in Korean or English) -> sorted option positions."""
    if not isinstance(choices, list) or not choices:
        raise VotingError("choose at least one option (by number or label)")
    if len(choices) > len(rules.labels):
        raise VotingError(f"this poll has only {len(rules.labels)} options")
    by_label = {}
    for position, (label, label_en) in enumerate(rules.labels, start=1):
        for name in (label, label_en):
            if name:
                by_label[_norm(name)] = position
    positions = []
    for choice in choices:
        if isinstance(choice, bool) or not isinstance(choice, (int, str)):
            raise VotingError("each choice is an option number or an option's label")
        text = str(choice).strip()
        if text.isdecimal() and len(text) < 6:  # isdigit() takes '¹', which int() cannot read
            position = int(text)
            if not 1 <= position <= len(rules.labels):
                raise VotingError(f"there is no option {position}; options are 1 to {len(rules.labels)}")
        else:
            position = by_label.get(_norm(text))
            if position is None:
                listing = "; ".join(f"{i}. {lab}" for i, (lab, _) in enumerate(rules.labels[:20], start=1))
                raise VotingError(f"no option is labelled {text[:80]!r}; options: {listing}")
        positions.append(position)
    if len(set(positions)) != len(positions):
        raise VotingError("an option is chosen twice")
    return tuple(sorted(positions))


def check_selection(rules: PollRules, positions: tuple[int, ...]) -> None:
    """Refuse a selection the poll's rules do not allow, saying which rule."""
    count = len(positions)
    if not positions or any(not 1 <= p <= len(rules.labels) for p in positions) or len(set(positions)) != count:
        raise VotingError("the selection names options that do not exist or names one twice")
    if rules.kind != "budget" or rules.budget_rule == "projects":
        if count < rules.min_choices or count > rules.max_choices:
            wanted = (f"exactly {rules.min_choices}" if rules.min_choices == rules.max_choices
                      else f"{rules.min_choices} to {rules.max_choices}")
            raise VotingError(f"choose {wanted} option{'s' if rules.max_choices > 1 else ''}; you chose {count}")
        return
    total = sum(rules.costs[p - 1] or 0 for p in positions)
    if total > rules.budget:
        raise VotingError(f"the selected projects cost {total:,} won, over the budget of {rules.budget:,} won")
    if rules.budget_rule == "threshold":
        floor = -(-rules.budget * rules.threshold_percent // 100)
        if total < floor:
            raise VotingError(f"the selected projects cost {total:,} won; this vote asks you to allocate at "
                              f"least {rules.threshold_percent}% of the {rules.budget:,} won budget ({floor:,} won)")
    if rules.budget_rule == "minimum" and count < rules.min_projects:
        raise VotingError(f"select at least {rules.min_projects} projects; you selected {count}")


def canonical_ballot(code: str, positions: tuple[int, ...], nonce: str) -> bytes:
    """The bytes a ledger leaf is made of: sorted keys, no spaces, so anyone can recompute the hash."""
    return json.dumps({"choices": list(positions), "nonce": nonce, "poll": code}, sort_keys=True,
                      separators=(",", ":")).encode()


def parse_ballot(raw: str | bytes) -> dict:
    ballot = json.loads(raw)
    if (not isinstance(ballot, dict) or set(ballot) != {"choices", "nonce", "poll"}
            or not isinstance(ballot["choices"], list) or not all(isinstance(c, int) for c in ballot["choices"])):
        raise ValueError("not a ballot")
    return ballot


def tally(rules: PollRules, selections: list[tuple[int, ...]]) -> dict:
    """Votes per option (and, for budgeting, the projects funded in order of votes within the budget)."""
    counts = [0] * len(rules.labels)
    for positions in selections:
        for p in positions:
            counts[p - 1] += 1
    ballots = len(selections)
    options = [{"position": i + 1, "label": label, "label_en": label_en, "votes": counts[i],
                "percent": round(100 * counts[i] / ballots, 2) if ballots else 0.0}
               for i, (label, label_en) in enumerate(rules.labels)]
    answer = {"ballots": ballots, "options": options}
    if rules.kind == "budget":
        remaining = rules.budget
        ranked = sorted(range(len(counts)), key=lambda i: (-counts[i], i))
        funded = []
        for i in ranked:
            cost = rules.costs[i] or 0
            options[i]["cost"] = cost
            if counts[i] > 0 and cost <= remaining:
                funded.append(i + 1)
                remaining -= cost
        for i, option in enumerate(options):
            option["funded"] = (i + 1) in funded
        answer.update(budget=rules.budget, funded=funded, allocated=rules.budget - remaining)
    else:
        top = max(counts) if counts else 0
        answer["leading"] = [i + 1 for i, c in enumerate(counts) if c == top and top > 0]
    return answer
