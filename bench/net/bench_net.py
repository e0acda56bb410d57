# The network benchmark run by scripts/bench-net (after it built everything): echo and HTTP
# servers side by side under the same client, the load generators side by side, and open-loop
# latency, in interleaved passes whose medians make the tables and the targets of issue 4.
import argparse
import collections
import datetime
import os
import shlex
import shutil
import sys
import tempfile

import build
import processes
import record
import tables
import targets
from clients import read_percore_load, read_raw_http_client, read_wrk
from measure import measure
from plan import LOAD_GENERATORS, Plan
from processes import BenchError
from report import report_text
from servers import ECHO, HTTP


def say(text):
    print(f"bench-net: {text}", file=sys.stderr, flush=True)


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1")
    return value


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="scripts/bench-net", description=(
        "Echo and HTTP servers side by side under percore-load, percore-load beside wrk, and "
        "open-loop latency; medians over interleaved passes."))
    parser.add_argument("--record", action="store_true",
                        help="also write the tables into docs/benchmarks.md")
    parser.add_argument("--duration", type=positive, default=10,
                        help="seconds measured per run, after a 1 s warm-up (default 10)")
    parser.add_argument("--passes", type=positive, default=3,
                        help="passes over every server and client; figures are medians (default 3)")
    parser.add_argument("--server-cores", type=positive, default=1,
                        help="CPUs (and threads, shards or workers) per server; the clients get "
                             "the other CPUs (default 1)")
    return parser.parse_args(argv)


def in_order(subjects, number):
    """Every other pass runs the subjects backwards, so that none always goes first."""
    return subjects if number % 2 else subjects[::-1]


def show(measured):
    report = measured.report
    errors = f", {report.errors} errors" if report.errors else ""
    return (f"{report.requests_per_second:,.0f} requests/s, server {measured.server_user_us:.2f} "
            f"+ {measured.server_system_us:.2f} µs/req, client {measured.client_user_us:.2f} + "
            f"{measured.client_system_us:.2f} µs/req{errors}")


def run_passes(plan):
    echo, http, clients = (collections.defaultdict(list) for _ in range(3))
    for number in range(1, plan.passes + 1):
        step = f"pass {number}/{plan.passes}"
        for server in in_order(ECHO, number):
            echo[server.key].append(measure(server, "percore-load", plan.echo, read_percore_load,
                                            plan.setting))
            say(f"{step}, echo, {server.label}: {show(echo[server.key][-1])}")
        for server in in_order(HTTP, number):
            http[server.key].append(measure(server, "percore-load", plan.http, read_percore_load,
                                            plan.setting))
            say(f"{step}, HTTP, {server.label}: {show(http[server.key][-1])}")
        for key, label in in_order(LOAD_GENERATORS, number):
            reader = {"wrk": read_wrk, "raw-client": read_raw_http_client}.get(
                key, read_percore_load)
            clients[key].append(measure(HTTP[0], key, plan.load_generator(key), reader,
                                        plan.load_setting))
            say(f"{step}, load generator {label}: {show(clients[key][-1])}")
    return echo, http, clients


def run_open_loop(plan, rate):
    runs = []
    for number in range(1, plan.passes + 1):
        runs.append(measure(HTTP[0], "percore-load", plan.open_loop(rate), read_percore_load,
                            plan.setting))
        report = runs[-1].report
        say(f"open loop {number}/{plan.passes} at {rate:,.0f} requests/s: "
            f"p50 {tables.latency(report.p50_ns)}, p99 {tables.latency(report.p99_ns)}")
    return runs


def main(argv):
    arguments = parse_arguments(argv)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) <= arguments.server_cores:
        say(f"--server-cores {arguments.server_cores} leaves no CPU for the client "
            f"({len(cpus)} CPUs available)")
        return 2
    server_cpus, client_cpus = cpus[:arguments.server_cores], cpus[arguments.server_cores:]
    command_line = shlex.join(["scripts/bench-net", *argv])
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = record.machine_note(server_cpus, client_cpus)
    processes.stop_everything_on_exit()
    work = tempfile.mkdtemp(prefix="bench-net-")
    try:
        build.build(say)
        plan = Plan(server_cpus, client_cpus, arguments.duration, arguments.passes, work)
        echo, http, clients = run_passes(plan)
        echo = {key: tables.server_summary(runs) for key, runs in echo.items()}
        http = {key: tables.server_summary(runs) for key, runs in http.items()}
        clients = {key: tables.client_summary(runs) for key, runs in clients.items()}
        rate = http["percore"]["rps"] / 2
        open_loop = tables.open_loop_summary(run_open_loop(plan, rate), rate)
    except BenchError as error:
        say(str(error))
        return 1
    finally:
        processes.stop_everything()
        shutil.rmtree(work, ignore_errors=True)
    verdicts = targets.evaluate(echo, http, clients, open_loop)
    text = (f"Measured {date} by `{command_line}` on {machine}.\n\n"
            + report_text(plan, (echo, http, clients, open_loop), rate, verdicts))
    print(text)
    if arguments.record:
        record.record(text)
        print("\n(recorded in docs/benchmarks.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
