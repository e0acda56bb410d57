# Starting and stopping the network benchmark's processes: servers announce readiness with a
# line on stderr, every child is pinned with taskset, and whatever was started is stopped when
# the run ends, even on an error or a signal.
import os
import random
import resource
import signal
import socket
import subprocess
import time

READY_SECONDS = 5.0
STOP_SECONDS = 5.0
ENDING = {signal.SIGTERM, signal.SIGHUP, signal.SIGINT}

_running = []


class BenchError(Exception):
    """A failure that ends the run with one line naming the program at fault."""


def pinned(cpus, argv):
    return ["taskset", "-c", ",".join(str(cpu) for cpu in cpus), *argv]


def free_port():
    # Below the ephemeral range, so that no client connection holds it; a plain bind (no
    # SO_REUSEADDR, no SO_REUSEPORT) fails on a port that anyone, listener or TIME_WAIT, uses.
    with open("/proc/sys/net/ipv4/ip_local_port_range") as ephemeral:
        low = int(ephemeral.read().split()[0])
    for _ in range(200):
        port = random.randrange(20000, max(low, 20001))
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise BenchError("no free port on 127.0.0.1 between 20000 and the ephemeral range")


def _child_setup():
    # start() blocks the ending signals around the fork; the program must not inherit that.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, ENDING)
    # Every program gets the same descriptor limit, high enough for the 1,000 connections.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(argv, log_path, stdout=None):
    """Starts argv in a session of its own, so that a terminal's ^C reaches only this script,
    which then stops it; stderr (and stdout unless captured) goes to log_path."""
    # A signal between the fork and the append would leave the program running unrecorded.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, ENDING)
    try:
        with open(log_path, "ab") as log:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                       stdout=stdout if stdout is not None else log, stderr=log,
                                       preexec_fn=_child_setup, start_new_session=True)
        _running.append(process)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return process


def log_tail(log_path, lines=5):
    try:
        with open(log_path, errors="replace") as log:
            return " | ".join(line.strip() for line in log.readlines()[-lines:] if line.strip())
    except FileNotFoundError:
        return ""


def wait_ready(process, name, log_path, port):
    ready = f"listening on 127.0.0.1:{port}"
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        with open(log_path, errors="replace") as log:
            if ready in log.read():
                return
        if process.poll() is not None:
            raise BenchError(f"{name} exited with status {process.returncode} before it was "
                             f"ready: {log_tail(log_path)}")
        time.sleep(0.01)
    raise BenchError(f"{name} did not print '{ready}' within {READY_SECONDS:.0f} s: "
                     f"{log_tail(log_path)}")


def descendants(pid):
    """pid and its children, grandchildren, ... (nginx: the master and its workers)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(parents.get(current, []))
    return found


def finish(process, name, seconds):
    """Waits for a client to end by itself and returns what it printed on stdout."""
    try:
        output, _ = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{name} did not finish within {seconds:.0f} s")
    _running.remove(process)
    return output.decode(errors="replace")


def stop(process, name):
    """SIGTERM, the clean stop of every server here (nginx: its master's fast shutdown)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{name} did not stop within {STOP_SECONDS:.0f} s of SIGTERM")
    _running.remove(process)


def _kill_group(process):
    # The group is the session start() made for the process: nginx's workers are in it too, and
    # are killed even if their master is gone.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass
    process.wait()


def stop_everything():
    """Stops whatever is still running; a second ^C or SIGTERM cannot interrupt this."""
    for signum in ENDING:
        signal.signal(signum, signal.SIG_IGN)
    while _running:
        _kill_group(_running.pop())


def _end_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def stop_everything_on_exit():
    """Turns SIGTERM, SIGHUP and SIGINT into an exit, so that the caller's finally runs."""
    for signum in ENDING:
        signal.signal(signum, _end_on_signal)
