# The network targets of issue 4, each a ratio of percore's median figure to a peer's (or of two
# of percore's), evaluated as met or missed.
from tables import ratio


def _target(text, value, bound, at_most):
    if value is None:
        return f"{text}: n/a (below the clock tick) missed"
    met = value <= bound if at_most else value >= bound
    return f"{text}: {value:.2f}× {'met' if met else 'missed'}"


def evaluate(echo, http, clients, open_loop):
    """Each argument maps a subject's key to its summary (tables.py); returns one line each."""
    ours, web, load = echo["percore"], http["percore"], clients["percore-load"]
    return [
        _target("echo user CPU per request ≤ 1/4 Tokio multi_thread",
                ratio(ours["user"], echo["tokio-multi"]["user"]), 0.25, True),
        _target("echo total CPU per request ≤ raw C epoll",
                ratio(ours["total"], echo["raw-epoll"]["total"]), 1.0, True),
        _target("echo throughput ≥ 0.95× raw C liburing",
                ratio(ours["rps"], echo["raw-uring"]["rps"]), 0.95, False),
        _target("echo throughput ≥ Tokio multi_thread",
                ratio(ours["rps"], echo["tokio-multi"]["rps"]), 1.0, False),
        _target("echo throughput ≥ Tokio current_thread",
                ratio(ours["rps"], echo["tokio-current"]["rps"]), 1.0, False),
        _target("HTTP user CPU per request ≤ 1/2 nginx",
                ratio(web["user"], http["nginx"]["user"]), 0.5, True),
        _target("HTTP total CPU per request ≤ 0.9× nginx",
                ratio(web["total"], http["nginx"]["total"]), 0.9, True),
        _target("HTTP throughput ≥ 1.1× nginx", ratio(web["rps"], http["nginx"]["rps"]), 1.1,
                False),
        _target("HTTP throughput ≥ 1.1× hyper multi_thread",
                ratio(web["rps"], http["hyper-multi"]["rps"]), 1.1, False),
        _target("HTTP throughput ≥ 1.1× hyper current_thread",
                ratio(web["rps"], http["hyper-current"]["rps"]), 1.1, False),
        _target("percore-load CPU per request ≤ 2/3 wrk -t1",
                ratio(load["total"], clients["wrk"]["total"]), 2 / 3, True),
        _target("percore-load throughput ≥ wrk -t1", ratio(load["rps"], clients["wrk"]["rps"]),
                1.0, False),
        _target("open loop at half the maximum rate: p99 ≤ 2× p50", open_loop["spread"], 2.0,
                True),
    ]
