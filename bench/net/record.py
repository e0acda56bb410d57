# Where a network benchmark run took place (the machine note), and writing its text into
# docs/benchmarks.md between the markers that belong to scripts/bench-net, leaving the rest alone.
import os
import platform
import subprocess

BEGIN, END = "<!-- scripts/bench-net:begin -->", "<!-- scripts/bench-net:end -->"


def _first_line(argv):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return f"{argv[0]} missing"
    line = ((done.stdout or done.stderr).strip().splitlines() or [""])[0]
    return line.split(" Copyright")[0]


def machine_note(server_cpus, client_cpus):
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/loadavg") as loadavg:
        load = loadavg.read().split()[0]
    return (f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}; servers on CPU "
            f"{','.join(map(str, server_cpus))}, clients on CPU {','.join(map(str, client_cpus))} "
            f"(taskset); load average {load} at the start; "
            f"{_first_line(['clang++-16', '--version'])}; "
            f"{_first_line(['/usr/bin/rustc', '--version'])} "
            f"(peers: Debian's Tokio 1.24, smol 1.3, async-std 1.12, hyper 0.14); "
            f"{_first_line(['/usr/sbin/nginx', '-v'])}; {_first_line(['wrk', '--version'])}")


def record(text, path="docs/benchmarks.md"):
    section = f"{BEGIN}\n## Latest run of scripts/bench-net\n\n{text}\n{END}"
    try:
        with open(path) as existing:
            document = existing.read()
    except FileNotFoundError:
        document = "# Benchmarks\n"
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        document = head + section + rest.split(END, 1)[1]
    else:
        document = document.rstrip("\n") + "\n\n" + section + "\n"
    with open(path, "w") as updated:
        updated.write(document)
