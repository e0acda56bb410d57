# What each part of the network benchmark sends and where it runs: the client command lines, the
# connection counts and the CPUs of servers and clients, fixed for the whole invocation.
from clients import percore_load, raw_http_client, wrk
from measure import Setting

WARMUP = 1
ECHO_CONNECTIONS, ECHO_MESSAGE = 1000, 64
HTTP_CONNECTIONS = 256
LOAD_GENERATORS = [("percore-load", "percore-load --smp 1"), ("wrk", "wrk -t1"),
                   ("raw-client", "raw C liburing client (the floor: counts bytes, no parser)")]


class Plan:
    def __init__(self, server_cpus, client_cpus, duration, passes, work):
        self.duration, self.passes = duration, passes
        self.setting = Setting(server_cpus, client_cpus, WARMUP, duration, work)
        # The issue compares the load generators on one client core each.
        self.load_setting = Setting(server_cpus, client_cpus[:1], WARMUP, duration, work)
        self.client_shards = len(client_cpus)

    def echo(self, target):
        return percore_load(target, ECHO_CONNECTIONS, self.duration, WARMUP, self.client_shards,
                            message_size=ECHO_MESSAGE)

    def http(self, target):
        return percore_load(target, HTTP_CONNECTIONS, self.duration, WARMUP, self.client_shards)

    def load_generator(self, key):
        if key == "wrk":
            return lambda target: wrk(target, HTTP_CONNECTIONS, WARMUP + self.duration)
        if key == "raw-client":
            return lambda target: raw_http_client(target, HTTP_CONNECTIONS, self.duration, WARMUP)
        return lambda target: percore_load(target, HTTP_CONNECTIONS, self.duration, WARMUP, 1)

    def open_loop(self, rate):
        return lambda target: percore_load(target, HTTP_CONNECTIONS, self.duration, WARMUP,
                                           self.client_shards, rate=rate)
