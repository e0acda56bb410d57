# The text of a network benchmark run: its four tables, the targets, how it was measured and
# the exact commands, as printed and as recorded in docs/benchmarks.md.
import shlex

import tables
from clients import url
from measure import PROCESS_CPU
from plan import ECHO_CONNECTIONS, ECHO_MESSAGE, HTTP_CONNECTIONS, LOAD_GENERATORS, WARMUP
from processes import pinned
from servers import ECHO, HTTP


def _commands(plan, rate):
    """The command lines of the run, with PORT and DIR standing for each run's own."""
    setting = plan.setting
    cores = len(setting.server_cpus)

    def line(label, cpus, argv):
        return f"- {label}: `{shlex.join(pinned(cpus, argv) if cpus else argv)}`"

    return [
        *(line(server.label, setting.server_cpus, server.command("PORT", cores, "DIR"))
          for server in ECHO + HTTP),
        line("echo client", setting.client_cpus, plan.echo(url("echo", "PORT"))),
        line("HTTP client", setting.client_cpus, plan.http(url("http", "PORT"))),
        *(line(label, plan.load_setting.client_cpus,
               plan.load_generator(key)(url("http", "PORT"))) for key, label in LOAD_GENERATORS),
        line("open loop", setting.client_cpus, plan.open_loop(rate)(url("http", "PORT"))),
        line("CPU time", None, [PROCESS_CPU, "--window", "SECONDS", "SERVER_PID...",
                                "CLIENT_PID"]),
    ]


def _count(number, noun):
    return f"{number} {noun}{'s' if number > 1 else ''}"


def _method(plan):
    cores = len(plan.setting.server_cpus)
    plural = "s" if cores > 1 else ""
    passes = f"{plan.passes} pass{'es' if plan.passes > 1 else ''}"
    return f"""Each server runs alone with {cores} thread{plural}, shard{plural} or \
worker{plural} on {cores} CPU{plural}, the client on the other CPUs (`taskset`). Every run starts \
a fresh server and sends {WARMUP} s of unmeasured traffic before {plan.duration} s are \
measured. Figures are medians of {passes}; each pass runs every server and client once, in an \
order that flips from pass to pass. CPU per request: user and system time from /proc/PID/stat \
(`process_cpu`, all threads of all the server's processes) over a window inside the client's \
measured window, divided by the requests answered meanwhile; the clock tick (10 ms) is its \
resolution. Ratios are percore's figure over the row's. The open-loop rate is half of \
percore-httpd's closed-loop throughput above. More in docs/bench-net.md. Commands (PORT: a free \
port picked for each run, DIR: a directory of the run's own):"""


def _errors(echo, http, clients, open_loop):
    """Errors are not expected from any server; a run that had some says so under the tables."""
    lines = [f"- percore-load counted up to {group[server.key]['errors']} errors per run "
             f"against {server.label}." for group, servers in ((echo, ECHO), (http, HTTP))
             for server in servers if group[server.key]["errors"]]
    lines += [f"- {label} counted up to {clients[key]['errors']} errors per run."
              for key, label in LOAD_GENERATORS if clients[key]["errors"]]
    if open_loop["errors"]:
        lines.append(f"- percore-load counted up to {open_loop['errors']} errors per run in the "
                     "open loop.")
    return [*lines, ""] if lines else []


def report_text(plan, summaries, rate, verdicts):
    echo, http, clients, open_loop = summaries
    cores = _count(len(plan.setting.server_cpus), "server core")
    client_cores = _count(len(plan.setting.client_cpus), "core")
    return "\n".join([
        f"### Echo: {ECHO_CONNECTIONS:,} connections, {ECHO_MESSAGE}-byte messages, closed loop, "
        f"{cores}, percore-load on {client_cores}", "",
        *tables.server_table(ECHO, echo), "",
        f"### HTTP plaintext: {HTTP_CONNECTIONS} connections, closed loop, {cores}, "
        f"percore-load on {client_cores}", "",
        *tables.server_table(HTTP, http), "",
        f"### Load generators: {HTTP_CONNECTIONS} connections against percore-httpd, one client "
        "core each", "",
        *tables.client_table(LOAD_GENERATORS, clients), "",
        "The raw client, which does almost nothing in user space, shows how low a load "
        "client's CPU per request goes here: "
        f"{tables.times(tables.ratio(clients['raw-client']['total'], clients['wrk']['total']))} "
        "of wrk's, against the 2/3 asked of percore-load.", "",
        f"### Open loop: percore-load --rate {rate:,.0f} against percore-httpd, "
        f"{HTTP_CONNECTIONS} connections", "",
        *tables.open_loop_table("percore-httpd", open_loop), "",
        "### Targets (issue 4)", "",
        *(f"- {line}" for line in verdicts), "",
        *_errors(echo, http, clients, open_loop),
        _method(plan), "",
        *_commands(plan, rate),
    ])
