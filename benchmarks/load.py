"""Load test of `scriba serve`: N concurrent clients on loopback for a bounded time.

Starts a real server for each configuration (workers x inference threads), warms it up, then runs N client
threads that POST a real rendered page to /v1/ocr?format=text back to back until the time is up. Reports
requests, errors, throughput, p50/p95/p99 latency and the server's RSS (all its processes) before and after.
Configurations run one after another in the same invocation, so their ratios are comparable even on a busy
machine; absolute numbers depend on the machine and its load.

    python benchmarks/load.py                                   # 16 clients, 30 s, configs 1x1 and 1x2
    python benchmarks/load.py --clients 8 --duration 20 --configs 1x1,2x1 --input samples/page.png
    python benchmarks/load.py --url http://127.0.0.1:8000 --duration 10   # an already running server
    python benchmarks/load.py --soak 10 --clients 4             # 10 minutes of mixed valid and hostile uploads

--soak MINUTES starts one server (--timeout 10 unless --timeout is given) and has the clients send a seeded mix:
valid pages to /v1/ocr and /v1/parse, and hostile uploads (a 100000x1 PNG, a truncated PNG, random bytes, a PDF
with an absurd MediaBox, one with an unreadable page, one whose page tree lies, a long scanned PDF to /v1/parse
that runs past the timeout). It reports the status codes per kind, p50/p95 of the valid requests, the server's
RSS over time, and whether /healthz and a valid request still answer 200 at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    config: str
    clients: int
    duration_s: float
    requests: int = 0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    throughput_rps: float = 0.0
    p50_s: float = 0.0
    p95_s: float = 0.0
    p99_s: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    burst16_ok: int = 0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))
    return s[k]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_mb(pid: int) -> float:
    """RSS of the server and its worker processes, in MB."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running()) / 1e6
    except psutil.NoSuchProcess:
        return float("nan")


def start_server(workers: int, concurrency: int, queue: int, extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scriba.cli.main", "serve", "--port", str(port), "--workers", str(workers),
         "--concurrency", str(concurrency), "--queue", str(queue), "--log-level", "warning", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def post(client: httpx.Client, page: bytes) -> tuple[int, float]:
    t0 = time.perf_counter()
    try:
        r = client.post("/v1/ocr", params={"format": "text"}, files={"file": ("page.png", page)})
        code = r.status_code
    except httpx.HTTPError as exc:
        code = type(exc).__name__  # type: ignore[assignment]
    return code, time.perf_counter() - t0


def burst(url: str, page: bytes, n: int = 16) -> int:
    """n simultaneous uploads; returns how many succeeded."""
    results: list[int] = []
    barrier = threading.Barrier(n)

    def one() -> None:
        with httpx.Client(base_url=url, timeout=300) as c:
            barrier.wait()
            results.append(post(c, page)[0])

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(1 for r in results if r == 200)


def run_load(url: str, page: bytes, clients: int, duration: float) -> tuple[list[float], Counter[str], float]:
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def client_loop() -> None:
        with httpx.Client(base_url=url, timeout=300) as c:
            while time.perf_counter() < stop_at:
                code, dt = post(c, page)
                with lock:
                    codes[str(code)] += 1
                    if code == 200:
                        latencies.append(dt)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, codes, time.perf_counter() - t0


def measure(config: str, url: str, pid: int | None, page: bytes, clients: int, duration: float) -> LoadResult:
    with httpx.Client(base_url=url, timeout=300) as c:  # warm-up: first requests pay for lazy set-up
        for _ in range(3):
            post(c, page)
    res = LoadResult(config=config, clients=clients, duration_s=duration)
    res.rss_before_mb = round(tree_rss_mb(pid), 1) if pid else float("nan")
    res.burst16_ok = burst(url, page, 16)
    latencies, codes, wall = run_load(url, page, clients, duration)
    res.rss_after_mb = round(tree_rss_mb(pid), 1) if pid else float("nan")
    res.requests = sum(codes.values())
    res.ok = codes.get("200", 0)
    res.errors = {k: v for k, v in codes.items() if k != "200"}
    res.throughput_rps = round(res.ok / wall, 3)
    res.p50_s, res.p95_s, res.p99_s = (round(percentile(latencies, q), 3) for q in (50, 95, 99))
    return res


def table(results: list[LoadResult], page_desc: str) -> str:
    head = ("| config (workers x threads) | clients | s | requests | ok | errors | req/s | p50 s | p95 s | p99 s "
            "| RSS before MB | RSS after MB | 16-burst ok |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = [
        f"| {r.config} | {r.clients} | {r.duration_s:g} | {r.requests} | {r.ok} | {sum(r.errors.values())} "
        f"| {r.throughput_rps} | {r.p50_s} | {r.p95_s} | {r.p99_s} | {r.rss_before_mb} | {r.rss_after_mb} "
        f"| {r.burst16_ok}/16 |"
        for r in results
    ]
    base = results[0].throughput_rps if results and results[0].throughput_rps else None
    ratios = ", ".join(f"{r.config}: {r.throughput_rps / base:.2f}x" for r in results[1:]) if base else ""
    note = f"\nInput: {page_desc}." + (f" Throughput relative to {results[0].config}: {ratios}." if ratios else "")
    return head + "\n" + "\n".join(rows) + "\n" + note


def default_page() -> tuple[bytes, str]:
    path = REPO / "samples" / "page.png"
    return path.read_bytes(), f"samples/page.png ({path.stat().st_size // 1024} kB)"


def soak_mix(page: bytes) -> list[tuple[str, str, str, bytes, float]]:
    """(kind, endpoint, file name, data, weight): the valid and hostile uploads of a soak run."""
    import random
    import tempfile

    sys.path.insert(0, str(REPO))
    from tests.conftest import render_lines
    from tests.io.bad_files import absurd_mediabox, lying_page_count, pdf_with_broken_page, raw_png
    from tests.serve.conftest import pdf_bytes

    d = Path(tempfile.mkdtemp(prefix="scriba-soak-"))
    long_pdf = pdf_bytes([render_lines(["A scanned page that takes a while"] * 8, size=30, width=1000)] * 40)
    return [
        ("valid-ocr", "/v1/ocr", "page.png", page, 5),
        ("valid-parse", "/v1/parse", "page.png", page, 2),
        ("thin-png", "/v1/parse", "thin.png", raw_png(100_000, 1, 8), 1),
        ("truncated-png", "/v1/ocr", "cut.png", page[: len(page) // 2], 1),
        ("random-bytes", "/v1/ocr", "noise.jpg", random.Random(0).randbytes(20_000), 1),
        ("absurd-mediabox", "/v1/ocr", "giant.pdf", absurd_mediabox(d).read_bytes(), 1),
        ("unreadable-page", "/v1/parse", "broken.pdf",
         pdf_with_broken_page(d / "broken.pdf", ["one", "two", "three"], 1).read_bytes(), 1),
        ("lying-page-tree", "/v1/ocr", "liar.pdf", lying_page_count(d / "liar.pdf").read_bytes(), 1),
        ("long-parse", "/v1/parse", "long.pdf", long_pdf, 0.5),
    ]


def soak(url: str, pid: int | None, page: bytes, clients: int, minutes: float) -> dict[str, object]:
    import random

    mix = soak_mix(page)
    weights = [m[4] for m in mix]
    codes: dict[str, Counter[str]] = {m[0]: Counter() for m in mix}
    latencies: list[float] = []
    rss: list[tuple[float, float]] = []
    lock = threading.Lock()
    t0 = time.perf_counter()
    stop_at = t0 + minutes * 60

    def client_loop(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=url, timeout=600) as c:
            while time.perf_counter() < stop_at:
                kind, endpoint, name, data, _ = rng.choices(mix, weights)[0]
                t = time.perf_counter()
                try:
                    code = str(c.post(endpoint, files={"file": (name, data)}).status_code)
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                with lock:
                    codes[kind][code] += 1
                    if kind.startswith("valid") and code == "200":
                        latencies.append(time.perf_counter() - t)

    def sample_rss() -> None:
        while time.perf_counter() < stop_at:
            if pid:
                rss.append((round(time.perf_counter() - t0), round(tree_rss_mb(pid), 1)))
            time.sleep(5)

    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
    threads.append(threading.Thread(target=sample_rss, daemon=True))
    for t in threads:
        t.start()
    for t in threads[:-1]:
        t.join()
    health = httpx.get(url + "/healthz", timeout=60).status_code
    with httpx.Client(base_url=url, timeout=300) as c:
        after = post(c, page)[0]
    return {
        "minutes": minutes, "clients": clients,
        "codes": {k: dict(v) for k, v in codes.items()},
        "valid_ok": len(latencies),
        "valid_p50_s": round(percentile(latencies, 50), 3), "valid_p95_s": round(percentile(latencies, 95), 3),
        "valid_max_s": round(max(latencies, default=float("nan")), 3),
        "rss_mb_over_time": rss,
        "rss_mb_max": max((r for _, r in rss), default=float("nan")),
        "healthz_after": health, "valid_request_after": after,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--configs", default="1x1,1x2", help="workers x inference threads, comma separated")
    ap.add_argument("--queue", type=int, default=64)
    ap.add_argument("--input", type=Path, help="image or PDF to upload (default samples/page.png)")
    ap.add_argument("--url", help="load an already running server instead of starting one")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--soak", type=float, metavar="MINUTES", help="mixed valid and hostile uploads for MINUTES")
    ap.add_argument("--timeout", type=float, default=10, help="the soak server's --timeout")
    args = ap.parse_args()

    page, desc = default_page() if args.input is None else (args.input.read_bytes(), str(args.input))
    if args.soak:
        workers, threads = (int(x) for x in args.configs.split(",")[0].split("x"))
        if args.url:
            proc, url = None, args.url
        else:
            proc, url = start_server(workers, threads, args.queue, ("--timeout", f"{args.timeout:g}"))
        try:
            result = soak(url, proc.pid if proc else None, page, args.clients, args.soak)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(30)
        print(json.dumps(result, indent=1))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
        return
    results = []
    if args.url:
        results.append(measure("external", args.url, None, page, args.clients, args.duration))
    else:
        for config in args.configs.split(","):
            workers, threads = (int(x) for x in config.split("x"))
            proc, url = start_server(workers, threads, args.queue)
            try:
                results.append(measure(config, url, proc.pid, page, args.clients, args.duration))
            finally:
                proc.terminate()
                proc.wait(30)
            print(json.dumps(asdict(results[-1])), file=sys.stderr, flush=True)
    cpu = f"{os.cpu_count()} CPU cores"
    print(f"Load test, {cpu}, {args.clients} clients, {args.duration:g} s per config, loopback.\n")
    print(table(results, desc))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
