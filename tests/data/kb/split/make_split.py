"""The one split of the development sets into a tuning part and a held-out part (run once; its output is committed).

Stratified by language (paraphrases) and by language and expected kind (out-of-scope), 50/50, with a fixed seed.
Tuning choices (weights, word lists, thresholds, the calibration) may look at the tuning part only; the held-out
part is measured, never tuned on.

    python tests/data/kb/split/make_split.py
"""

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
KB = HERE.parent
SEED = 13


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def split(rows: list[dict], key, rng: random.Random) -> tuple[list[int], list[int]]:
    groups: dict = {}
    for number, row in enumerate(rows):
        groups.setdefault(key(row), []).append(number)
    tune, held = [], []
    for name in sorted(groups):
        numbers = groups[name][:]
        rng.shuffle(numbers)
        half = len(numbers) // 2
        held += numbers[:half]
        tune += numbers[half:]
    return sorted(tune), sorted(held)


def main() -> None:
    rng = random.Random(SEED)
    paraphrases = read(KB / "eval_paraphrases.jsonl")
    out_of_scope = read(KB / "eval_out_of_scope.jsonl")
    p_tune, p_held = split(paraphrases, lambda r: r["lang"], rng)
    o_tune, o_held = split(out_of_scope, lambda r: (r["lang"], r["expected"]), rng)
    parts = {"tune_paraphrases": [paraphrases[i] for i in p_tune], "heldout_paraphrases": [paraphrases[i] for i in p_held],
             "tune_out_of_scope": [out_of_scope[i] for i in o_tune],
             "heldout_out_of_scope": [out_of_scope[i] for i in o_held]}
    for name, rows in parts.items():
        (HERE / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                           encoding="utf-8")
    (HERE / "split.json").write_text(json.dumps({
        "seed": SEED, "method": "50/50 per stratum (paraphrases: lang; out-of-scope: lang x expected), "
                                "random.Random(seed).shuffle, first half held out",
        "sources": ["eval_paraphrases.jsonl", "eval_out_of_scope.jsonl"],
        "line_numbers": {"tune_paraphrases": p_tune, "heldout_paraphrases": p_held,
                         "tune_out_of_scope": o_tune, "heldout_out_of_scope": o_held},
    }, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
