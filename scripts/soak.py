#!/usr/bin/env python3
"""Mixed traffic at a steady rate against a release server for a while (`make soak`: 10 minutes):
browsing pages, signing petitions, voting for budget projects, filing Open City reports through
Open311 and reading the map and OGC items. Prints, every 30 seconds, the requests, errors, p99
latency and the server's resident memory; at the end the error rate, latency per kind, the memory
over time and its trend after warm-up. Fails on any error or on memory that keeps growing.

Usage: soak.py DATABASE_URL HROMADA SIGN_PAIRS VOTE_PAIRS [--minutes 10] [--rate 100]
"""
import argparse
import http.client
import itertools
import random
import threading
import time

import hromada_server

PORT = 8099
COMMUNITY = "khmelnytskyi"
WARM_UP_SECONDS = 120
# The share of each kind of request, out of 100.
MIX = {"browse": 45, "map": 20, "sign": 15, "vote": 12, "report": 8}
# Answers that count as success for each kind; anything else, or no answer, is an error.
EXPECTED = {"browse": {200}, "map": {200}, "sign": {201}, "vote": {201}, "report": {201}}


def browse_paths(petitions, projects):
    return itertools.cycle([
        f"/{COMMUNITY}", f"/{COMMUNITY}/petitions", f"/{COMMUNITY}/petitions?list=collecting&sort=newest",
        f"/{COMMUNITY}/petitions/{petitions[0]}", f"/{COMMUNITY}/petitions/{petitions[1]}/count.json",
        f"/{COMMUNITY}/budget", f"/{COMMUNITY}/budget/projects/{projects[0]}", f"/{COMMUNITY}/reports",
        f"/{COMMUNITY}/consultations", f"/api/v1/{COMMUNITY}/petitions?list=collecting",
    ])


MAP_PATHS = itertools.cycle([
    f"/{COMMUNITY}/reports.geojson?bbox=26.90,49.38,27.05,49.46",
    f"/{COMMUNITY}/reports.geojson?bbox=26.97,49.41,26.99,49.43",
    f"/{COMMUNITY}/map",
])


class Soak:
    def __init__(self, sign_pairs, vote_pairs, rate):
        self.sign_pairs = iter(sign_pairs)
        self.vote_pairs = iter(vote_pairs)
        self.browse = browse_paths([p for _, p in sign_pairs[:2]], [p for _, p in vote_pairs[:1]])
        self.kinds = [kind for kind, share in MIX.items() for _ in range(share)]
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.results = []  # (finished at, kind, seconds, ok)
        self.reports_filed = 0

    def next_request(self):
        """(kind, method, path, headers, body) of the next request in the mix."""
        with self.lock:
            kind = random.choice(self.kinds)
            if kind == "browse":
                return kind, "GET", next(self.browse), {}, None
            if kind == "map":
                return kind, "GET", next(MAP_PATHS), {}, None
            if kind == "sign":
                token, petition = next(self.sign_pairs)
                return kind, "POST", f"/api/v1/{COMMUNITY}/petitions/{petition}/signatures", {"Authorization": f"Bearer {token}"}, None
            if kind == "vote":
                token, project = next(self.vote_pairs)
                return kind, "POST", f"/api/v1/{COMMUNITY}/budget/projects/{project}/votes", {"Authorization": f"Bearer {token}"}, None
            self.reports_filed += 1
            n = self.reports_filed
            form = (f"jurisdiction_id={COMMUNITY}&service_code=roads&lat={49.40 + (n % 97) / 2000:.5f}&long={26.95 + (n % 89) / 2000:.5f}"
                    f"&description=Soak+test+pothole+number+{n}&attribute%5Bsize%5D=large&email=soak{n}%40example.ua&api_key=demo-open311-key")
            return kind, "POST", "/open311/v2/requests.json", {"Content-Type": "application/x-www-form-urlencoded"}, form

    def client(self, start, deadline, offset, clients):
        """Sends every `clients`-th request of the schedule, so together the clients keep the rate."""
        connection = None
        for slot in itertools.count(offset, clients):
            due = start + slot * self.interval
            if due >= deadline:
                return
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            kind, method, path, headers, body = self.next_request()
            began = time.monotonic()
            ok = False
            try:
                connection = connection or http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status in EXPECTED[kind]
            except (OSError, http.client.HTTPException):
                connection = None
            finished = time.monotonic()
            with self.lock:
                self.results.append((finished - start, kind, finished - began, ok))


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def resident_megabytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def slope_per_minute(samples):
    """Least-squares slope of (seconds, megabytes) samples, in megabytes per minute."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in samples) / spread if spread else 0.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("hromada")
    parser.add_argument("sign_pairs")
    parser.add_argument("vote_pairs")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=100, help="requests per second")
    parser.add_argument("--clients", type=int, default=16)
    arguments = parser.parse_args()

    def pairs(path):
        return [tuple(line.split()) for line in open(path) if line.strip()]

    sign_pairs, vote_pairs = pairs(arguments.sign_pairs), pairs(arguments.vote_pairs)
    random.shuffle(vote_pairs)  # one voter's pairs are together; spread them so no voter has several in flight
    seconds = arguments.minutes * 60
    needed = arguments.rate * seconds
    assert len(sign_pairs) > needed * MIX["sign"] / 100 * 1.2 and len(vote_pairs) > needed * MIX["vote"] / 100 * 1.2, \
        "not enough prepared signers or voters for this rate and duration"

    server = hromada_server.start(arguments.hromada, arguments.database_url, PORT)
    soak = Soak(sign_pairs, vote_pairs, arguments.rate)
    start = time.monotonic()
    deadline = start + seconds
    threads = [threading.Thread(target=soak.client, args=(start, deadline, i, arguments.clients)) for i in range(arguments.clients)]
    for thread in threads:
        thread.start()
    print(f"soak: {arguments.rate:.0f} requests/s for {arguments.minutes:g} min, mix {MIX}")
    print(f"{'time':>6} {'requests':>9} {'errors':>7} {'p99 ms':>7} {'memory MB':>10}")
    memory = []
    seen = 0
    while any(thread.is_alive() for thread in threads):
        time.sleep(min(30, max(0.1, deadline - time.monotonic() + 0.5)))
        elapsed = time.monotonic() - start
        memory.append((elapsed, resident_megabytes(server.pid)))
        with soak.lock:
            window = soak.results[seen:]
            seen = len(soak.results)
        errors = sum(1 for r in window if not r[3])
        print(f"{elapsed:5.0f}s {len(window):9d} {errors:7d} {percentile([r[2] for r in window], 0.99) * 1000:7.1f} {memory[-1][1]:10.1f}",
              flush=True)
    for thread in threads:
        thread.join()
    server.terminate()
    server.wait()

    results = soak.results
    errors = sum(1 for r in results if not r[3])
    print(f"\nrequests: {len(results)} in {seconds:.0f} s ({len(results) / seconds:.1f}/s), errors: {errors} "
          f"({100 * errors / max(1, len(results)):.3f} %)")
    for kind in MIX:
        latencies = [r[2] for r in results if r[1] == kind]
        failed = sum(1 for r in results if r[1] == kind and not r[3])
        print(f"  {kind:7} {len(latencies):7d} requests, {failed} errors, p50 {percentile(latencies, 0.5) * 1000:6.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:6.1f} ms")
    overall_p99 = percentile([r[2] for r in results], 0.99) * 1000
    print(f"  all     p99 {overall_p99:.1f} ms")
    settled = [(t, m) for t, m in memory if t >= min(WARM_UP_SECONDS, seconds / 3)]
    trend = slope_per_minute(settled) if len(settled) >= 3 else 0.0
    first, last = settled[0][1] if settled else 0.0, settled[-1][1] if settled else 0.0
    print(f"memory after warm-up: {first:.1f} MB → {last:.1f} MB, trend {trend:+.2f} MB/min")
    # Growth that goes on after warm-up: more than 10 % over the run and still rising.
    growing = last > first * 1.10 and trend > 0.5
    # Each client waits for its answer, so a server that slows down lowers the rate instead of
    # failing requests: the planned rate must have been kept.
    kept_rate = len(results) >= 0.95 * needed
    if not kept_rate:
        print(f"  only {len(results)} of the {needed:.0f} planned requests were made: the server did not keep up")
    if len(settled) < 3:
        print("  too few memory readings after warm-up to see a trend: run longer")
    failed = errors > 0 or growing or not kept_rate or len(settled) < 3
    print(f"{0 if failed else 1} passed, {1 if failed else 0} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
