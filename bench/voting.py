"""mVoting benchmark: N ballots (default 120,000, the size of Seoul's participatory-budgeting vote) cast through
VotingService on PostgreSQL by many threads, against a baseline without group commit measured in the same run;
then the final tally, a full audit, and receipts (proof size, verification time).

    python bench/voting.py [--database-url URL] [--ballots 120000] [--threads 32]

The benchmark runs on a scratch database (bench/common.py) on the local PostgreSQL, or beside the one
--database-url names, dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from common import bench_engine  # noqa: E402  (bench/common.py)
from civic_services.voting import OptionSpec, PollSpec, VotingService  # noqa: E402
from civic_services.voting.audit import audit  # noqa: E402
from civic_services.voting.receipts import verify_receipt  # noqa: E402


def budget_poll(service: VotingService, title: str) -> str:
    now = datetime.now(timezone.utc)
    projects = tuple(OptionSpec(f"사업 {i:02d}", f"Project {i:02d}", cost=random.Random(i).randint(5, 60) * 10**8)
                     for i in range(1, 21))
    return service.create_poll(PollSpec(kind="budget", title=title, options=projects, budget=300 * 10**8,
                                        budget_rule="projects", min_choices=1, max_choices=5,
                                        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(hours=6)))["id"]


def cast_all(service: VotingService, poll: str, credentials: list[str], threads: int) -> tuple[float, list[dict]]:
    rng = random.Random(7)
    choices = [[str(c) for c in rng.sample(range(1, 21), rng.randint(1, 5))] for _ in credentials]
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        receipts = list(pool.map(lambda pair: service.cast(poll, pair[0], pair[1]), zip(credentials, choices),
                                 chunksize=64))
    return time.perf_counter() - started, receipts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--ballots", type=int, default=120_000)
    parser.add_argument("--baseline-ballots", type=int, default=3_000)
    parser.add_argument("--threads", type=int, default=128)
    args = parser.parse_args()
    with bench_engine(args.database_url) as engine:
        keys = Path(tempfile.mkdtemp(prefix="dasan-bench-keys-"))
        setup = VotingService(engine, keys)
        started = time.perf_counter()
        voters = []
        for start in range(0, args.ballots + args.baseline_ballots, 20_000):
            size = min(20_000, args.ballots + args.baseline_ballots - start)
            voters += setup.register_voters([(f"resident-{start + i}", "Jongno-gu") for i in range(size)])
        print(f"registered {len(voters):,} voters in {time.perf_counter() - started:.1f} s")
        setup.close()

        baseline = VotingService(engine, keys, batch_max=1)  # one transaction per ballot
        poll = budget_poll(baseline, "baseline")
        seconds, _ = cast_all(baseline, poll, [v.credential for v in voters[: args.baseline_ballots]], args.threads)
        baseline.close()
        base_rate = args.baseline_ballots / seconds
        print(f"baseline (no group commit): {args.baseline_ballots:,} ballots in {seconds:.1f} s = {base_rate:,.0f}/s")

        service = VotingService(engine, keys, batch_max=512)
        poll = budget_poll(service, "서울시 참여예산 (bench)")
        credentials = [v.credential for v in voters[args.baseline_ballots:]]
        seconds, receipts = cast_all(service, poll, credentials, args.threads)
        rate = len(receipts) / seconds
        print(f"cast {len(receipts):,} ballots in {seconds:.1f} s = {rate:,.0f} ballots/s "
              f"({rate / base_rate:.1f}x the baseline), {service.ledger.batches:,} commits "
              f"(~{len(receipts) / max(1, service.ledger.batches):.0f} ballots each)")

        service.close_poll(poll)
        started = time.perf_counter()
        results = service.results(poll)
        tally_s = time.perf_counter() - started
        print(f"final tally of {results['ballots']:,} ballots (computed, signed, stored): {tally_s:.2f} s; "
              f"funded projects {results['funded']}")
        started = time.perf_counter()
        report = audit(service, poll)
        print(f"full audit: {time.perf_counter() - started:.2f} s, ok={report.ok}, {report.heads:,} signed heads "
              f"checked, problems={len(report.problems)}")

        sample = random.Random(1).sample(receipts, 1000)
        proof_hashes = [len(r["inclusion_proof"]) for r in sample]
        sizes = [len(json.dumps(r)) for r in sample]
        started = time.perf_counter()
        for receipt in sample:
            assert all(c.ok for c in verify_receipt(receipt, service.keys.public_key))
        verify_ms = (time.perf_counter() - started) / len(sample) * 1000
        print(f"receipt: inclusion proof {statistics.mean(proof_hashes):.1f} hashes "
              f"({statistics.mean(proof_hashes) * 32:.0f} bytes) on average, max {max(proof_hashes)}; "
              f"receipt JSON {statistics.mean(sizes):,.0f} bytes; offline verification {verify_ms:.2f} ms each")
        final = service.consistency(poll, receipts[0]["tree_head"]["size"])
        print(f"consistency proof from the first receipt's head to the final head: {len(final['proof'])} hashes")
        service.close()


if __name__ == "__main__":
    main()
