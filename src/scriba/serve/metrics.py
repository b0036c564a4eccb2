"""Prometheus text exposition (format 0.0.4) for the server's counters, written by hand: a few counters and
one histogram do not justify a dependency. Counts are per worker process."""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from collections.abc import Callable

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, math.inf)


def _labels(**labels: str) -> str:
    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{esc(str(v))}"' for k, v in labels.items()) + "}"


def _num(v: float) -> str:
    if v == math.inf:
        return "+Inf"
    return repr(float(v)) if not float(v).is_integer() else str(int(v))


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.pages: dict[str, int] = defaultdict(int)
        self.latency_buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(LATENCY_BUCKETS))
        self.latency_sum: dict[str, float] = defaultdict(float)
        self.latency_count: dict[str, int] = defaultdict(int)
        self.gauges: dict[str, tuple[str, Callable[[], float]]] = {}

    def observe_request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(endpoint, method, status)] += 1
            buckets = self.latency_buckets[endpoint]
            for k, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    buckets[k] += 1
            self.latency_sum[endpoint] += seconds
            self.latency_count[endpoint] += 1

    def count_pages(self, endpoint: str, n: int) -> None:
        with self._lock:
            self.pages[endpoint] += n

    def count_error(self, endpoint: str, kind: str) -> None:
        with self._lock:
            self.errors[(endpoint, kind)] += 1

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.gauges[name] = (help_text, read)

    def render(self) -> str:
        out: list[str] = []
        with self._lock:
            out += ["# HELP scriba_requests_total HTTP requests by endpoint, method and status.",
                    "# TYPE scriba_requests_total counter"]
            for (ep, method, status), n in sorted(self.requests.items()):
                out.append(f"scriba_requests_total{_labels(endpoint=ep, method=method, status=str(status))} {n}")
            out += ["# HELP scriba_request_duration_seconds Request latency by endpoint.",
                    "# TYPE scriba_request_duration_seconds histogram"]
            for ep in sorted(self.latency_count):
                for bound, n in zip(LATENCY_BUCKETS, self.latency_buckets[ep]):
                    out.append(f"scriba_request_duration_seconds_bucket{_labels(endpoint=ep, le=_num(bound))} {n}")
                out.append(f"scriba_request_duration_seconds_sum{_labels(endpoint=ep)} {self.latency_sum[ep]:.6f}")
                out.append(f"scriba_request_duration_seconds_count{_labels(endpoint=ep)} {self.latency_count[ep]}")
            out += ["# HELP scriba_pages_total Pages read, by endpoint.", "# TYPE scriba_pages_total counter"]
            for ep, n in sorted(self.pages.items()):
                out.append(f"scriba_pages_total{_labels(endpoint=ep)} {n}")
            out += ["# HELP scriba_errors_total Failed requests and jobs, by endpoint and kind.",
                    "# TYPE scriba_errors_total counter"]
            for (ep, kind), n in sorted(self.errors.items()):
                out.append(f"scriba_errors_total{_labels(endpoint=ep, kind=kind)} {n}")
        for name, (help_text, read) in sorted(self.gauges.items()):
            out += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {_num(read())}"]
        return "\n".join(out) + "\n"
