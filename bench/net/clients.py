# The load generators and how their reports are read: percore-load drives every server (the
# same client for all); wrk and the raw C liburing client only stand beside it in the load
# generator comparison.
import json
import re
from dataclasses import dataclass

from build import BUILD
from processes import BenchError

PERCORE_LOAD = f"{BUILD}/bench/load/percore-load"
RAW_HTTP_CLIENT = f"{BUILD}/bench/raw/http_client_uring"


@dataclass(frozen=True)
class Report:
    requests_per_second: float
    p50_ns: float | None
    p99_ns: float | None
    errors: int


def url(protocol, port):
    return f"tcp://127.0.0.1:{port}" if protocol == "echo" else f"http://127.0.0.1:{port}/"


def percore_load(target, connections, duration, warmup, shards, message_size=None, rate=None):
    argv = [PERCORE_LOAD, "--connections", str(connections), "--duration", f"{duration}s",
            "--warmup", f"{warmup}s", "--smp", str(shards), "--json"]
    if message_size is not None:
        argv += ["--message-size", str(message_size)]
    if rate is not None:
        argv += ["--rate", f"{rate:.0f}"]
    return argv + [target]


def read_percore_load(output):
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"percore-load printed no JSON: {output.strip()[-300:]!r}")
    found = json.loads(lines[-1])
    latency = found["latency_ns"]
    return Report(found["requests_per_second"], latency["p50"], latency["p99"], found["errors"])


def wrk(target, connections, seconds):
    """wrk has no warm-up: it runs warm-up and measured window together, as one -d."""
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", target]


def read_wrk(output):
    rate = re.search(r"^Requests/sec:\s*([0-9.]+)", output, re.M)
    if not rate:
        raise BenchError(f"wrk printed no Requests/sec: {output.strip()[-300:]!r}")
    errors = sum(int(count) for count in re.findall(r"(?:connect|read|write|timeout) (\d+)",
                                                    output))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(bad.group(1)) if bad else 0
    return Report(float(rate.group(1)), None, None, errors)


def raw_http_client(target, connections, duration, warmup):
    """The floor of a load client: raw liburing, bytes counted, no parser (bench/raw)."""
    port = target.rstrip("/").rsplit(":", 1)[1]
    return [RAW_HTTP_CLIENT, "--connections", str(connections), "--duration", str(duration),
            "--warmup", str(warmup), "--port", port]


def read_raw_http_client(output):
    rate = re.search(r"^requests/s ([0-9.]+)", output, re.M)
    if not rate:
        raise BenchError(f"http_client_uring printed no requests/s: {output.strip()[-300:]!r}")
    return Report(float(rate.group(1)), None, None, 0)
