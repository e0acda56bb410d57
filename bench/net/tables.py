# The network benchmark's tables in markdown: the median over passes of every figure, and
# percore's figures as ratios of each other server's or client's.
import statistics


def median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def ratio(ours, theirs):
    return ours / theirs if ours is not None and theirs else None


def times(value):
    """A ratio; n/a when the row's figure is 0, below the clock tick's resolution."""
    return "n/a" if value is None else f"{value:.2f}×"


def latency(ns):
    if ns is None:
        return ""
    return f"{ns / 1e3:.0f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"


def rate(value):
    return f"{value:,.0f}"


def cpu(value):
    return f"{value:.2f}"


def server_summary(measured):
    """The medians a server's row needs; "total" is the median of each run's user + system."""
    return {
        "rps": median(one.report.requests_per_second for one in measured),
        "p50": median(one.report.p50_ns for one in measured),
        "p99": median(one.report.p99_ns for one in measured),
        "user": median(one.server_user_us for one in measured),
        "system": median(one.server_system_us for one in measured),
        "total": median(one.server_user_us + one.server_system_us for one in measured),
        "errors": max(one.report.errors for one in measured),
    }


def server_table(servers, summaries):
    """One row per server; the ratios are the first server's (percore's) figure over the row's."""
    ours = summaries[servers[0].key]
    lines = [
        "| server | requests/s | p50 | p99 | user µs/req | system µs/req "
        "| percore ÷ it: requests/s | user CPU | total CPU |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for server in servers:
        theirs = summaries[server.key]
        ratios = ["—"] * 3 if server is servers[0] else [
            times(ratio(ours["rps"], theirs["rps"])), times(ratio(ours["user"], theirs["user"])),
            times(ratio(ours["total"], theirs["total"]))]
        lines.append(f"| {server.label} | {rate(theirs['rps'])} | {latency(theirs['p50'])} "
                     f"| {latency(theirs['p99'])} | {cpu(theirs['user'])} "
                     f"| {cpu(theirs['system'])} | " + " | ".join(ratios) + " |")
    return lines


def client_summary(measured):
    return {
        "rps": median(one.report.requests_per_second for one in measured),
        "user": median(one.client_user_us for one in measured),
        "system": median(one.client_system_us for one in measured),
        "total": median(one.client_user_us + one.client_system_us for one in measured),
        "errors": max(one.report.errors for one in measured),
    }


def client_table(clients, summaries):
    """One row per (key, label) client; the ratios are the first one's figure over the row's."""
    ours = summaries[clients[0][0]]
    lines = [
        "| client | requests/s | client user µs/req | client system µs/req "
        "| client total µs/req | percore-load ÷ it: requests/s | total CPU |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for key, label in clients:
        theirs = summaries[key]
        ratios = ["—"] * 2 if key == clients[0][0] else [
            times(ratio(ours["rps"], theirs["rps"])),
            times(ratio(ours["total"], theirs["total"]))]
        lines.append(f"| {label} | {rate(theirs['rps'])} | {cpu(theirs['user'])} "
                     f"| {cpu(theirs['system'])} | {cpu(theirs['total'])} | "
                     + " | ".join(ratios) + " |")
    return lines


def open_loop_summary(measured, target_rate):
    p50 = median(one.report.p50_ns for one in measured)
    p99 = median(one.report.p99_ns for one in measured)
    return {"rate": target_rate, "rps": median(one.report.requests_per_second for one in measured),
            "p50": p50, "p99": p99, "spread": ratio(p99, p50),
            "errors": max(one.report.errors for one in measured)}


def open_loop_table(label, summary):
    return [
        "| server | rate asked for, requests/s | answered, requests/s | p50 | p99 | p99 / p50 |",
        "|---|--:|--:|--:|--:|--:|",
        f"| {label} | {rate(summary['rate'])} | {rate(summary['rps'])} "
        f"| {latency(summary['p50'])} | {latency(summary['p99'])} | {times(summary['spread'])} |",
    ]
