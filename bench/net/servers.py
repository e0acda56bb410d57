# The servers the network benchmark compares, and the command line of each: percore's daemons,
# the raw C floors, the Rust peers and nginx, all given the same number of cores.
from dataclasses import dataclass

from build import BUILD
PEERS = f"{BUILD}/peers/bin"


@dataclass(frozen=True)
class Server:
    key: str
    label: str
    protocol: str  # "echo" or "http"
    program: tuple  # argv before the port and core count are filled in

    def command(self, port, cores, workdir):
        """argv with PORT, CORES and DIR (a directory of the run's own) filled in."""
        fill = {"PORT": str(port), "CORES": str(cores), "DIR": workdir}
        return [fill.get(word, word) for word in self.program]


def _rust(binary):
    return (f"{PEERS}/{binary}", "--port", "PORT", "--threads", "CORES")


ECHO = [
    Server("percore", "percore-echo", "echo",
           (f"{BUILD}/bench/percore-echo", "--port", "PORT", "--smp", "CORES")),
    Server("percore-balanced", "percore-echo, balanced accept", "echo",
           (f"{BUILD}/bench/percore-echo", "--port", "PORT", "--smp", "CORES",
            "--accept", "balanced")),
    Server("raw-uring", "raw C liburing", "echo",
           (f"{BUILD}/bench/raw/echo_uring", "--threads", "CORES", "--port", "PORT")),
    Server("raw-epoll", "raw C epoll", "echo",
           (f"{BUILD}/bench/raw/echo_epoll", "--threads", "CORES", "--port", "PORT")),
    Server("tokio-multi", "Tokio multi_thread", "echo", _rust("echo_tokio_multi")),
    Server("tokio-current", "Tokio current_thread", "echo", _rust("echo_tokio_current")),
    Server("smol", "smol", "echo", _rust("echo_smol")),
    Server("async-std", "async-std", "echo", _rust("echo_async_std")),
]

HTTP = [
    Server("percore", "percore-httpd", "http",
           (f"{BUILD}/bench/percore-httpd", "--port", "PORT", "--smp", "CORES")),
    Server("hyper-multi", "hyper, Tokio multi_thread", "http",
           _rust("http_hyper_tokio_multi")),
    Server("hyper-current", "hyper, Tokio current_thread", "http",
           _rust("http_hyper_tokio_current")),
    Server("nginx", "nginx", "http", ("bench/peers/run-nginx", "PORT", "CORES", "DIR")),
]
