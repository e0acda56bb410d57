# One measurement: a server started alone on its cores, a client on the others, and the CPU time
# of both read by process_cpu over a window that lies inside the client's measured window, so
# that start-up, connection set-up and shutdown are never counted.
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass

import processes
from build import BUILD
from clients import Report, url
from processes import BenchError

PROCESS_CPU = f"{BUILD}/bench/process_cpu"


@dataclass(frozen=True)
class Setting:
    server_cpus: list
    client_cpus: list
    warmup: int  # seconds of traffic before the measured window
    duration: int  # seconds of the measured window
    work: str  # a directory for logs and nginx's files


@dataclass(frozen=True)
class Measured:
    report: Report
    server_user_us: float  # CPU microseconds per request, all of the server's processes
    server_system_us: float
    client_user_us: float
    client_system_us: float


def _cpu_window(setting):
    """(seconds after the client starts, length): a margin inside each end of its window."""
    margin = min(0.5, setting.duration / 4)
    return setting.warmup + margin, setting.duration - 2 * margin


def _read_cpu(output):
    per_pid, wall = {}, None
    for line in output.splitlines():
        words = line.split()
        if words[:1] == ["pid"]:
            per_pid[int(words[1])] = (float(words[3]), float(words[5]))
        elif words[:1] == ["total"]:
            wall = float(words[6])
    return per_pid, wall


def measure(server, client_name, client_argv, reader, setting):
    """Runs client_argv(target) against server; reader turns the client's stdout into a Report."""
    cores = len(setting.server_cpus)
    workdir = tempfile.mkdtemp(prefix=f"{server.key}-", dir=setting.work)
    server_log = os.path.join(workdir, "server.log")
    port = processes.free_port()
    server_process = processes.start(
        processes.pinned(setting.server_cpus, server.command(port, cores, workdir)), server_log)
    try:
        processes.wait_ready(server_process, server.label, server_log, port)
        client_log = os.path.join(workdir, "client.log")
        client = processes.start(processes.pinned(setting.client_cpus,
                                                  client_argv(url(server.protocol, port))),
                                 client_log, stdout=subprocess.PIPE)
        start, length = _cpu_window(setting)
        time.sleep(start)
        for process, name, log in ((server_process, server.label, server_log),
                                   (client, client_name, client_log)):
            if process.poll() is not None:
                raise BenchError(f"{name} exited with status {process.returncode} during the "
                                 f"warm-up against {server.label}: {processes.log_tail(log)}")
        server_pids = processes.descendants(server_process.pid)
        cpu = subprocess.run([PROCESS_CPU, "--window", f"{length:.3f}", *map(str, server_pids),
                              str(client.pid)], capture_output=True, text=True,
                             timeout=length + 10)
        if cpu.returncode != 0:
            raise BenchError(f"process_cpu failed against {server.label}: {cpu.stderr.strip()}")
        output = processes.finish(client, client_name, setting.duration + 30)
        if client.returncode != 0:
            raise BenchError(f"{client_name} exited with status {client.returncode} against "
                             f"{server.label}: {processes.log_tail(client_log)}")
        if server_process.poll() is not None:
            raise BenchError(f"{server.label} exited with status {server_process.returncode} "
                             f"under load: {processes.log_tail(server_log)}")
    finally:
        processes.stop(server_process, server.label)
    report = reader(output)
    per_pid, wall = _read_cpu(cpu.stdout)
    requests = report.requests_per_second * wall
    if requests <= 0:
        raise BenchError(f"{client_name} saw no answer from {server.label}")
    server_user = sum(per_pid[pid][0] for pid in server_pids)
    server_system = sum(per_pid[pid][1] for pid in server_pids)
    client_user, client_system = per_pid[client.pid]
    per_request = 1e6 / requests
    return Measured(report, server_user * per_request, server_system * per_request,
                    client_user * per_request, client_system * per_request)
