"""Model work in-process and on Ray Serve, in one run on this machine, and a Ray node lost under load.

A two-node Ray cluster is simulated here: a head and a worker node of one CPU each (`ray start`, each in a session
of its own, in a temporary folder; stopped by ending those sessions only). Then:

1. Overhead: the same calls in this process and through Ray Serve, alternated so both see the same machine: an
   embedder query, a Whisper window (5 s of speech), and a whole assistant reply (chat, without the LLM). The
   in-process models get one thread, as a replica of one CPU has. ``ray_overhead_p50`` is the Ray path's p50 over
   the in-process p50, minus 1, for the chat reply (the per-work ratios are there too).
2. Batching: 8 callers embedding at once, and 4 streams decoding Whisper windows at once, in-process (one model,
   one call at a time) and on Ray (one replica of one CPU, ``@serve.batch``).
3. A node lost: the embedder with two replicas of half a CPU, at most one a node, one on each; the worker node is
   killed (SIGKILL to its processes) while 4 callers keep embedding. Calls must go on (on the head's replica), and
   when a new node joins (the machine replaced) Serve must bring the deployment back to two running replicas on two
   nodes, one of them the new one (``node_failure_recovered_ok``).
4. Across processes (bench/cross_process.py, unless ``--no-cross-process``): two servers on one PostgreSQL and
   one Redis: ``cross_process_context_ok``, ``ledger_clean_ok``, ``job_recovered_ok``.

    python bench/scale_out.py [--json] [--calls 60] [--windows 20] [--chats 40] [--no-cross-process]

The last line with --json is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dasan.ray_serve import LocalNode, connect, deploy  # noqa: E402
from dasan.runtime import build_model_set  # noqa: E402
from dasan.settings import Settings  # noqa: E402

QUERIES = ["주민등록등본은 어디서 발급받나요?", "How do I report a pothole?", "버스 노선 문의", "여권 재발급",
           "불법 주정차 신고는 어떻게 하나요", "Where can I pay a parking fine?", "쓰레기 수거 요일", "전입신고 방법"]


def ms(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)) * 1000, 2)


def alternate(local, remote, items, repeat: int) -> tuple[list[float], list[float]]:
    """Time ``local(item)`` and ``remote(item)`` one after the other, ``repeat`` rounds over ``items``."""
    a, b = [], []
    for i in range(repeat):
        item = items[i % len(items)]
        for fn, out in ((local, a), (remote, b)) if i % 2 == 0 else ((remote, b), (local, a)):
            started = time.perf_counter()
            fn(item)
            out.append(time.perf_counter() - started)
    return a, b


def overhead(name: str, local: list[float], remote: list[float], result: dict) -> None:
    ratio = float(np.median(remote) / np.median(local) - 1)
    result.update({f"{name}_p50_ms_inprocess": ms(local, 50), f"{name}_p95_ms_inprocess": ms(local, 95),
                   f"{name}_p50_ms_ray": ms(remote, 50), f"{name}_p95_ms_ray": ms(remote, 95),
                   f"{name}_ray_overhead_p50": round(ratio, 3)})
    print(f"{name:12s} in-process p50 {ms(local, 50):8.1f} ms p95 {ms(local, 95):8.1f} ms | Ray p50 "
          f"{ms(remote, 50):8.1f} ms p95 {ms(remote, 95):8.1f} ms | overhead at p50 {ratio:+.1%}", flush=True)


def concurrent_rate(embed, callers: int = 8, calls: int = 96) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(lambda i: embed([QUERIES[i % len(QUERIES)] + f" {i}"]), range(calls)))
    return calls / (time.perf_counter() - started)


def chat_runtimes(base: Settings, ray_settings: Settings, data: Path):
    """Two runtimes over one knowledge-base index: models in this process, and models on Ray."""
    from dasan.runtime import Runtime

    index = ROOT / "var" / "test-index" / "kb"  # the tests' index, when built (else built here, once)
    common = {"index_dir": index, "index_auto_rebuild": True, "warm_up": False, "chat_tool_router": "nlu"}
    local = Runtime.open(base.model_copy(update={**common, "data_dir": data / "local"}))
    remote = Runtime.open(ray_settings.model_copy(update={**common, "data_dir": data / "ray"}))
    return local, remote


def replica_states(app: str) -> dict[str, int]:
    from ray import serve

    status = serve.status().applications.get(app)
    if status is None:
        return {}
    return {str(getattr(k, "value", k)): v for d in status.deployments.values() for k, v in d.replica_states.items()}


def node_failure(head: LocalNode, worker: LocalNode, settings: Settings, temp: Path, result: dict) -> LocalNode:
    """Two embedder replicas, one per node; the worker node killed under load; calls must go on (on the head's
    replica) and, once a new node joins (the machine replaced), the deployment must be back at two replicas on two
    nodes. Returns the new node (to stop)."""
    from ray import serve

    from models.ray_serve import RayEmbedder

    settings = settings.model_copy(update={"ray_roles": "embedder", "ray_embedder_replicas": 2,
                                           "ray_embedder_cpus": 0.5, "ray_max_replicas_per_node": 1})
    serve.delete(f"{settings.ray_app_prefix}-asr")
    deploy(settings, ["embedder"])
    app = f"{settings.ray_app_prefix}-embedder"
    handle = serve.get_app_handle(app)
    nodes_before = {handle.describe.remote().result()["node"] for _ in range(40)}
    embedder = RayEmbedder(handle, timeout_s=60)
    print(f"embedder replicas on {len(nodes_before)} node(s); killing the worker node under 4 callers", flush=True)
    outcomes: list[tuple[float, bool, float]] = []
    stop = threading.Event()

    def caller(i: int) -> None:
        n = 0
        while not stop.is_set():
            started = time.monotonic()
            try:
                embedder.embed_queries([QUERIES[(i + n) % len(QUERIES)]])
                outcomes.append((started, True, time.monotonic() - started))
            except Exception as exc:  # a call lost with the node: counted
                outcomes.append((started, False, time.monotonic() - started))
                print(f"  call failed: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}", flush=True)
            n += 1
            time.sleep(0.02)

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    killed = time.monotonic()
    worker.kill()
    # Serve notices the replica gone (the node's death reaches the GCS) and asks for a new one, which waits for room
    noticed = None
    while time.monotonic() < killed + 120:
        if replica_states(app).get("RUNNING", 0) < 2:
            noticed = time.monotonic()
            break
        time.sleep(0.2)
    time.sleep(2)
    replacement = LocalNode(temp / "ray-replacement", cpus=1, head_address=head.address).start()
    joined = time.monotonic()
    recovered_at = None
    while time.monotonic() < joined + 180:
        if replica_states(app) == {"RUNNING": 2}:
            recovered_at = time.monotonic()
            break
        time.sleep(0.2)
    time.sleep(3)  # calls after the recovery
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    nodes_after = {handle.describe.remote().result()["node"] for _ in range(40)}
    during = [(ok, took) for at, ok, took in outcomes if at >= killed]
    after = [ok for at, ok, _ in outcomes if recovered_at is not None and at >= recovered_at]
    slowest = max((took for _, took in during), default=0.0)
    result.update({
        "node_failure_nodes_before": len(nodes_before),
        "node_failure_noticed_s": round(noticed - killed, 1) if noticed else None,
        "node_failure_recovery_after_new_node_s": round(recovered_at - joined, 1) if recovered_at else None,
        "node_failure_calls_after_kill": len(during),
        "node_failure_calls_failed": sum(1 for ok, _ in during if not ok),
        "node_failure_slowest_call_s": round(slowest, 2),
        "node_failure_nodes_after": len(nodes_after),
        "node_failure_recovered_ok": bool(len(nodes_before) == 2 and recovered_at is not None and after
                                          and all(after) and len(nodes_after) == 2
                                          and nodes_after != nodes_before),
    })
    print(f"replica loss noticed in {result['node_failure_noticed_s']} s; back to 2 replicas "
          f"{result['node_failure_recovery_after_new_node_s']} s after a new node joined; calls after the kill "
          f"{len(during)}, failed {result['node_failure_calls_failed']}, slowest {slowest:.2f} s", flush=True)
    return replacement


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--calls", type=int, default=60, help="embedder queries per path")
    parser.add_argument("--windows", type=int, default=20, help="Whisper windows per path")
    parser.add_argument("--chats", type=int, default=40, help="assistant replies per path (0: leave chat out)")
    parser.add_argument("--no-cross-process", action="store_true", help="leave out bench/cross_process.py's "
                        "checks (two servers on PostgreSQL + Redis: conversation, ledger, a job whose server dies)")
    args = parser.parse_args()

    from models.audio import load_audio
    from speech.backends import DecodeOptions
    from speech.transcriber import window_decoder_for

    print(f"machine load (1/5/15 min): {os.getloadavg()}; {os.cpu_count()} CPUs", flush=True)
    result: dict = {}
    temp = Path(tempfile.mkdtemp(prefix="dasan-scale-"))
    started = time.monotonic()
    head = LocalNode(temp / "ray", cpus=1).start()
    worker = replacement = None
    try:
        worker = LocalNode(temp / "ray-worker", cpus=1, head_address=head.address).start()
        base = Settings(threads=1, warm_up=False)
        settings = base.model_copy(update={"ray_address": head.address, "ray_roles": "embedder,asr",
                                           "ray_app_prefix": "bench", "ray_embedder_cpus": 1.0,
                                           "ray_asr_cpus": 1.0})
        from dasan.ray_serve import init

        init(head.address)
        head.wait_nodes(2)
        deploy(settings)
        result["ray_cluster_start_and_deploy_s"] = round(time.monotonic() - started, 1)
        print(f"two nodes up and deployed in {result['ray_cluster_start_and_deploy_s']} s", flush=True)
        local_models = build_model_set(base)
        remote_models = build_model_set(settings)
        assert connect(settings)

        # 1. overhead: embedder query, Whisper window, whole chat reply
        local_e, remote_e = local_models.embedder(), remote_models.embedder()
        local_e.warm_up()
        for q in QUERIES:
            local_e.embed_queries([q]), remote_e.embed_queries([q])
        a, b = alternate(lambda q: local_e.embed_queries([q]), lambda q: remote_e.embed_queries([q]), QUERIES,
                         args.calls)
        overhead("embed_query", a, b, result)
        audio = load_audio(ROOT / "tests" / "data" / "jfk.flac")
        windows = [audio[s * 16_000:(s + 5) * 16_000] for s in (0, 2, 4, 6)]
        local_w, remote_w = window_decoder_for(local_models), window_decoder_for(remote_models)
        local_w.warm_up()
        options = DecodeOptions(language="en")
        a, b = alternate(lambda w: local_w.decode(w, options), lambda w: remote_w.decode(w, options), windows,
                         args.windows)
        overhead("asr_window", a, b, result)
        if args.chats:
            local_rt, remote_rt = chat_runtimes(base, settings, temp)
            try:
                local_a, remote_a = local_rt.open_assistant(), remote_rt.open_assistant()
                for q in QUERIES[:3]:
                    local_a.reply(q), remote_a.reply(q)
                a, b = alternate(local_a.reply, remote_a.reply, QUERIES, args.chats)
                overhead("chat", a, b, result)
            finally:
                local_rt.close()
                remote_rt.close()
        result["ray_overhead_p50"] = result.get("chat_ray_overhead_p50", result["asr_window_ray_overhead_p50"])

        # 2. batching under concurrency
        lock = threading.Lock()

        def local_embed(texts):  # one model in a process serves one call at a time
            with lock:
                return local_e.embed_queries(texts)

        result["embed_8_callers_per_s_inprocess"] = round(concurrent_rate(local_embed), 1)
        result["embed_8_callers_per_s_ray"] = round(concurrent_rate(remote_e.embed_queries), 1)
        from ray import serve

        sizes = serve.get_app_handle("bench-embedder").batch_sizes.remote().result()[-96:]
        result["embed_8_callers_mean_batch"] = round(float(np.mean(sizes)), 2)
        print(f"8 callers: in-process {result['embed_8_callers_per_s_inprocess']}/s, Ray "
              f"{result['embed_8_callers_per_s_ray']}/s (mean batch {result['embed_8_callers_mean_batch']})",
              flush=True)

        def local_decode(window):  # likewise one Whisper model
            with lock:
                return local_w.decode(window, options)

        def window_rate(decode, streams: int = 4, calls: int = 24) -> float:
            started = time.perf_counter()
            with ThreadPoolExecutor(streams) as pool:
                list(pool.map(decode, [windows[i % len(windows)] for i in range(calls)]))
            return calls / (time.perf_counter() - started)

        result["asr_4_streams_windows_per_s_inprocess"] = round(window_rate(local_decode), 2)
        before = len(serve.get_app_handle("bench-asr").batch_sizes.remote().result())
        result["asr_4_streams_windows_per_s_ray"] = round(window_rate(lambda w: remote_w.decode(w, options)), 2)
        sizes = serve.get_app_handle("bench-asr").batch_sizes.remote().result()[before:]
        result["asr_4_streams_mean_batch"] = round(float(np.mean(sizes)), 2)
        print(f"4 streams of 5 s windows: in-process {result['asr_4_streams_windows_per_s_inprocess']}/s, Ray "
              f"{result['asr_4_streams_windows_per_s_ray']}/s (mean batch {result['asr_4_streams_mean_batch']})",
              flush=True)

        # 3. a node lost
        replacement = node_failure(head, worker, settings, temp, result)
    finally:
        import ray

        ray.shutdown()
        for node in (replacement, worker, head):
            if node is not None:
                node.stop()
    if not args.no_cross_process:  # cross_process_context_ok, ledger_clean_ok, job_recovered_ok
        import cross_process  # bench/cross_process.py

        checks = cross_process.run()
        print(", ".join(f"{k}: {v}" for k, v in checks.items() if k.endswith("_ok")), flush=True)
        result.update(checks)
    result["seconds"] = round(time.monotonic() - started, 1)
    print(f"machine load after: {os.getloadavg()}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
