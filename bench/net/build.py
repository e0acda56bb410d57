# Builds what the network benchmark runs, once per invocation: the release build scripts/bench
# makes (clang-16 in build-bench), and the Rust peers into the same directory.
import os
import subprocess
import sys

from processes import BenchError

BUILD, COMPILER = "build-bench", "clang++-16"
TARGETS = ["bench/percore-echo", "bench/percore-httpd", "bench/raw/echo_uring",
           "bench/raw/echo_epoll", "bench/raw/http_client_uring", "bench/load/percore-load",
           "bench/process_cpu"]


def _quietly(argv, environment=None):
    """Runs argv with its output kept back, and shown only if it fails."""
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=environment)
    if done.returncode != 0:
        sys.stderr.write("\n".join(done.stdout.splitlines()[-40:]) + "\n")
        raise BenchError(f"failed: {' '.join(argv)}")


def build(say):
    # Meson keeps the compiler a directory was set up with, so a directory made with another one
    # is wiped; one already set up with clang-16 is left to ninja, which reconfigures it when a
    # meson.build changes.
    marker = os.path.join(BUILD, ".bench-cxx")
    configured = os.path.exists(os.path.join(BUILD, "build.ninja"))
    compiler = None
    if os.path.exists(marker):
        with open(marker) as written:
            compiler = written.read().strip()
    if not configured or compiler != COMPILER:
        say(f"setting up {BUILD} with {COMPILER}")
        _quietly(["meson", "setup", *(["--wipe"] if configured else []), BUILD,
                  "--buildtype=release", "-Dtests=false", "-Dbenchmarks=true"],
                 dict(os.environ, CXX=COMPILER))
        with open(marker, "w") as written:
            written.write(COMPILER + "\n")
    say(f"building the servers, percore-load and process_cpu in {BUILD}")
    _quietly(["ninja", "-C", BUILD, *TARGETS])
    say("building the Rust peers")
    _quietly(["bench/peers/build", BUILD])
