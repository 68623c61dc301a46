"""Benchmark: the core pipeline end to end (signed HTTP events → SQLite → classify → outbox → fake Slack).

Usage: python benchmarks/pipeline.py [--n N] [--burst B] [--llm-n M] [--batch 1,8] [--dev PATH]
       [--cards C] [--only throughput,burst,llm,oracle,pacing] [--json]
Measures sustained throughput, acknowledgement latency in a burst, the same with a 1 s LLM (mentions/s,
tokens per mention and the Slack event ack p50/p99 for each LLM batch size, the acks taken while the
LLM backlog drains; a last line sets them beside the no-LLM burst's), accuracy against a gold-label
oracle single vs batched (with --dev, a labelled .jsonl read for measuring only), and the per-channel
pacing of the outbox.
Everything runs on this machine: the fakes in tests/fakes serve Slack and OpenAI on 127.0.0.1;
mention texts are synthetic (templated sentences) unless --dev is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests` (the fakes) is not installed

import itertools

from benchmarks.llm_scenarios import run_llm, run_oracle
from bot.delivery.senders import SlackSender
from bot.delivery.worker import DeliveryWorker
from bot.domain.rules import RoutingRules, load_rules
from bot.store.engine import init_db, make_engine, session_scope
from bot.store.outbox import enqueue, pending_count
from tests.conftest import RULES_YAML
from tests.fakes.slack_server import FakeSlack
from tests.harness import (
    Pipeline,
    event_body,
    message,
    pipeline,
    sign,
    trained_model_path,
    wait_for,
)

SUBJECTS = ["the app", "my order", "your pricing page", "the new release", "support chat", "the invoice"]
PROBLEMS = [
    "crashes on start",
    "is late again",
    "looks great",
    "needs a dark mode",
    "charged me twice",
    "is confusing",
    "would be worth a demo",
    "keeps logging me out",
]


def synthetic_texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)} (ticket {i})" for i in range(n)]


def send_events(p: Pipeline, texts: list[str], clients: int, prefix: str) -> list[float]:
    """Send one signed message event per text from `clients` threads of a separate process, as Slack's
    servers would (the load must not compete with the app for its GIL); return each ack's latency in s."""
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as process:
        return process.submit(_load, p.root, texts, clients, prefix).result()


def _load(root: str, texts: list[str], clients: int, prefix: str) -> list[float]:
    def one(item: tuple[int, str]) -> float:
        number, text = item
        body = event_body(message(text, f"{prefix}.{number:06d}"))
        headers = {"Content-Type": "application/json", **sign(body)}
        request = urllib.request.Request(root + "/slack/events", data=body, headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != 200:
                raise RuntimeError(f"event {number} answered {response.status}")
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(one, enumerate(texts)))


def settle(p: Pipeline, timeout: float) -> float:
    """Wait until every mention is routed and the outbox is empty; return when the last card arrived."""
    wait_for(lambda: not p.pending_mentions() and not pending_count(p.services.engine), timeout=timeout)
    stamps = p.slack.timestamps("chat.postMessage")
    return max(stamps) if stamps else time.monotonic()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_flow(
    rules: RoutingRules,
    folder: Path,
    name: str,
    n: int,
    clients: int,
    *,
    texts: list[str] | None = None,
    stats: Callable[[Engine], dict[str, Any]] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Events over HTTP with the serve-mode worker threads running; throughput and ack latency."""
    engine = make_engine(f"sqlite:///{folder}/{abs(hash(name))}.db")
    init_db(engine)
    with pipeline(engine, rules, classify_workers=4, **kwargs) as p, p.threaded_workers():
        started = time.monotonic()
        sent = texts or synthetic_texts(n)
        latencies = send_events(p, sent, clients, prefix=str(1_700_000_000 + len(name)))
        last_card = settle(p, timeout=600)
        mentions = p.mentions()
        cards = Counter(c.mention_id for c in p.cards())
    extra = stats(engine) if stats else {}
    engine.dispose()
    assert len(mentions) == n and all(m.status == "routed" for m in mentions)
    assert max(cards.values(), default=1) == 1, "a mention got two cards"
    return {
        "scenario": name,
        "mentions": n,
        "cards": sum(cards.values()),
        "seconds": round(last_card - started, 2),
        "mentions_per_s": round(n / (last_card - started), 1),
        "ack_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "ack_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        **extra,
    }


def run_pacing(folder: Path, cards: int, channels: int, min_interval: float) -> dict[str, Any]:
    """The outbox alone at Slack's pace: `cards` messages over `channels` channels, ≤ 1 per channel per s."""
    engine = make_engine(f"sqlite:///{folder}/pacing.db")
    init_db(engine)
    names = [f"C0PACE{i}" for i in range(channels)]
    with session_scope(engine) as session:
        for i in range(cards):
            enqueue(
                session,
                dedupe_key=f"card:{i}",
                kind="card",
                channel=names[i % channels],
                payload={"text": f"card {i}"},
            )
    with FakeSlack(channels={n.lower(): n for n in names}) as slack:
        from slack_sdk import WebClient

        worker = DeliveryWorker(
            engine, SlackSender(WebClient(token="xoxb-x", base_url=slack.base_url)), min_interval=min_interval
        )
        started = time.monotonic()
        while pending_count(engine):
            worker.run_once()
            time.sleep(0.01)
        elapsed = time.monotonic() - started
        posted = Counter(str(b["text"]) for b in slack.calls("chat.postMessage"))
        per_channel = {
            c: sorted(
                t
                for t, b in zip(
                    slack.timestamps("chat.postMessage"), slack.calls("chat.postMessage"), strict=True
                )
                if b["channel"] == c
            )
            for c in names
        }
    engine.dispose()
    gaps = [b - a for stamps in per_channel.values() for a, b in itertools.pairwise(stamps)]
    return {
        "scenario": f"outbox pacing ({channels} channels, min_interval {min_interval:g}s)",
        "cards": cards,
        "posted": sum(posted.values()),
        "lost": cards - len(posted),
        "duplicated": sum(v - 1 for v in posted.values() if v > 1),
        "seconds": round(elapsed, 2),
        "per_channel_msgs_per_s": round(
            (cards / channels - 1) / max(1e-9, max(s[-1] - s[0] for s in per_channel.values())), 2
        ),
        "min_gap_s": round(min(gaps), 3),
    }


def timed(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    print(f"… {label}", file=sys.stderr, flush=True)
    return fn()


SCENARIOS = ("throughput", "burst", "llm", "oracle", "pacing")


def _names(raw: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in raw.split(",") if part.strip())
    if unknown := set(names) - set(SCENARIOS):
        raise argparse.ArgumentTypeError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return names


def _sizes(raw: str) -> list[int]:
    return [int(part) for part in raw.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="events for the throughput run")
    parser.add_argument("--burst", type=int, default=500, help="events in the acknowledgement burst")
    parser.add_argument("--llm-n", type=int, default=100, help="events with the 1 s LLM")
    parser.add_argument("--batch", type=_sizes, default=[1, 8], help="LLM batch sizes, e.g. 1,8")
    parser.add_argument("--dev", type=Path, help="labelled .jsonl for the oracle accuracy runs")
    parser.add_argument("--cards", type=int, default=60, help="cards for the pacing run")
    parser.add_argument("--only", type=_names, default=SCENARIOS, help="e.g. burst,llm (default: all)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth" is the point here
    folder = Path(tempfile.mkdtemp(prefix="sr-bench-"))
    (folder / "rules.yaml").write_text(RULES_YAML, encoding="utf-8")
    rules = load_rules(folder / "rules.yaml")
    trained_model_path()  # train (or load the cached model) before any clock starts
    results = []
    if "throughput" in args.only:
        results.append(
            timed("throughput", lambda: run_flow(rules, folder, "throughput (8 clients)", args.n, clients=8))
        )
    if "burst" in args.only:
        results.append(
            timed("burst", lambda: run_flow(rules, folder, "burst (16 clients)", args.burst, clients=16))
        )
    flow = partial(run_flow, rules, folder)
    for batch in args.batch if "llm" in args.only else []:
        results.append(timed(f"llm batch {batch}", lambda b=batch: run_llm(flow, rules, args.llm_n, b, 16)))
    for batch in args.batch if args.dev and "oracle" in args.only else []:
        results.append(timed(f"oracle batch {batch}", lambda b=batch: run_oracle(flow, rules, args.dev, b)))
    if "pacing" in args.only:
        results.append(timed("pacing", lambda: run_pacing(folder, args.cards, channels=5, min_interval=1.0)))
    if args.json:
        print(json.dumps(results))
        return 0
    for row in results:
        print(" | ".join(f"{k}: {v}" for k, v in row.items()))
    print(ack_summary(results))
    return 0


def ack_summary(results: list[dict[str, Any]]) -> str:
    """One line to quote: the event ack p50/p99 of every run that took events (LLM runs: while it drains)."""
    acks = [
        f"{row['scenario']}: p50 {row['ack_p50_ms']} ms, p99 {row['ack_p99_ms']} ms"
        for row in results
        if "ack_p99_ms" in row and not str(row["scenario"]).startswith("oracle")
    ]
    return "ack (Slack event → 200) | " + " | ".join(acks)


if __name__ == "__main__":
    sys.exit(main())
