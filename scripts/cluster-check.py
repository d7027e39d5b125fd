#!/usr/bin/env python3
"""Checks the demo cluster (scripts/cluster.sh) from outside, as `make test-cluster` runs it.

1. Reads go to the standby: with the standby's replay paused, a signature made through one
   process does not show through the other; resumed, it shows.
2. Replication is quick: signatures made through process A show in process B's public signer
   list (read from the standby) within a second; the script prints the lags.
3. One job queue: 400 e-mails queued at once are delivered by both processes together, each
   exactly once (an SMTP sink here counts Message-IDs, and each process announces its own name).
4. Signing out is seen everywhere: a token that process B has cached is refused by B within a
   second of signing out through A (each process caches sessions for a minute).

Prints its figures and ends with "N passed, N failed".
"""
import json
import os
import socketserver
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMUNITY = "khmelnytskyi"
WEB_A, WEB_B = "http://127.0.0.1:8081", "http://127.0.0.1:8082"
SINK_PORT = 2526
QUEUED_MESSAGES = 400
MAX_LAG_SECONDS = 1.0


class SMTPSink(socketserver.ThreadingTCPServer):
    """Accepts every message and remembers (announced name, Message-ID) of each."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port):
        super().__init__(("127.0.0.1", port), SMTPSession)
        self.received = []
        self.lock = threading.Lock()


class SMTPSession(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())

    def handle(self):
        helo = ""
        self.reply("220 cluster-check sink")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                helo = line.decode().strip().split(" ", 1)[1]
                self.reply("250 sink")
            elif verb == "DATA":
                self.reply("354 go on")
                message_id = None
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    if data.lower().startswith(b"message-id:"):
                        message_id = data.split(b":", 1)[1].strip().decode()
                with self.server.lock:
                    self.server.received.append((helo, message_id))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def psql(server, sql):
    base, port = {"primary": ("cluster-primary", "54330"), "standby": ("cluster-standby", "54331")}[server]
    env = dict(os.environ, HROMADA_PG_BASE=os.path.join(ROOT, ".pgdata", base), HROMADA_PG_PORT=port)
    return subprocess.run([os.path.join(ROOT, "scripts", "postgres.sh"), "psql", "-d", "hromada", "-tA", "-c", sql],
                          env=env, check=True, capture_output=True, text=True).stdout.strip()


def call(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            data = response.read()
            return response.status, json.loads(data) if data else None
    except urllib.error.HTTPError as error:
        return error.code, None


def signed_count(base, petition):
    status, body = call("GET", f"{base}/api/v1/{COMMUNITY}/petitions/{petition}/signatures")
    assert status == 200, f"signer list answered {status}"
    return body["total"]


def signing_pairs():
    """(token, petition) pairs of demo residents who have not signed a collecting petition yet."""
    status, listing = call("GET", f"{WEB_A}/api/v1/{COMMUNITY}/petitions?list=collecting")
    assert status == 200 and listing["petitions"], "no collecting petition in the demo"
    petitions = [p["id"] for p in listing["petitions"]]
    for resident in range(600, 570, -1):
        status, session = call("POST", f"{WEB_A}/api/v1/session",
                               {"email": f"resident-demo-{resident}@khmelnytskyi.demo", "password": "demo-password"})
        assert status in (200, 201), f"sign-in answered {status}"
        for petition in petitions:
            yield session["token"], petition


def wait_until(condition, seconds):
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.01)
    return None


def sign_next(pairs):
    """Signs with the next pair that has not signed yet; returns the petition and its count before."""
    for token, petition in pairs:
        before = signed_count(WEB_B, petition)
        status, _ = call("POST", f"{WEB_A}/api/v1/{COMMUNITY}/petitions/{petition}/signatures", {}, token)
        if status == 201:
            return petition, before
        assert status == 409, f"signing answered {status}"  # 409: this resident signed it in the demo data
    raise AssertionError("the demo residents ran out of petitions to sign")


def check_reads_come_from_standby(pairs):
    psql("standby", "SELECT pg_wal_replay_pause()")
    try:
        petition, before = sign_next(pairs)
        time.sleep(1.5)
        assert signed_count(WEB_B, petition) == before, "a paused standby showed the new signature: B does not read from it"
        assert signed_count(WEB_A, petition) == before, "A showed the new signature: its public list reads from the primary"
    finally:
        psql("standby", "SELECT pg_wal_replay_resume()")
    assert wait_until(lambda: signed_count(WEB_B, petition) == before + 1, 5) is not None, "the signature never reached the standby"
    print("  with the standby's replay paused a new signature stayed out of both processes' public lists; resumed, it showed")


def check_replication_lag(pairs, signatures=20):
    lags = []
    for _ in range(signatures):
        petition, before = sign_next(pairs)
        lag = wait_until(lambda: signed_count(WEB_B, petition) == before + 1, MAX_LAG_SECONDS)
        assert lag is not None, f"petition {petition}: a signature through A was not visible through B within {MAX_LAG_SECONDS} s"
        lags.append(lag)
    lags.sort()
    print(f"  {len(lags)} signatures through {WEB_A}, seen through {WEB_B}: "
          f"median {lags[len(lags) // 2] * 1000:.0f} ms, max {lags[-1] * 1000:.0f} ms (limit {MAX_LAG_SECONDS * 1000:.0f} ms)")


def check_shared_job_queue(sink):
    first = int(psql("primary", "SELECT coalesce(max(id), 0) + 1 FROM outbox_messages"))
    psql("primary", f"""
        BEGIN;
        WITH queued AS (
            INSERT INTO outbox_messages (to_address, subject, body)
            SELECT 'cluster-check-' || n || '@hromada.demo', 'Cluster check ' || n, 'One of {QUEUED_MESSAGES}.'
            FROM generate_series(1, {QUEUED_MESSAGES}) n RETURNING id)
        INSERT INTO jobs (kind, payload) SELECT 'outbox.deliver', jsonb_build_object('message_id', id) FROM queued;
        SELECT pg_notify('hromada_jobs', 'outbox.deliver');
        COMMIT;""")
    done = wait_until(lambda: psql("primary", f"SELECT count(*) FROM outbox_messages WHERE id >= {first} AND status = 'sent'")
                      == str(QUEUED_MESSAGES), 120)
    assert done is not None, "the queued e-mails were not all sent within two minutes"
    with sink.lock:
        received = [(helo, mid) for helo, mid in sink.received if mid and int(mid.split("-")[1].split("@")[0]) >= first]
    ids = [mid for _, mid in received]
    by_process = {helo: sum(1 for h, _ in received if h == helo) for helo, _ in received}
    assert len(ids) == QUEUED_MESSAGES == len(set(ids)), f"{len(ids)} deliveries of {len(set(ids))} messages for {QUEUED_MESSAGES} queued"
    assert set(by_process) == {"web8081", "web8082"}, f"deliveries by process: {by_process}"
    runs = psql("primary", "SELECT count(*) FILTER (WHERE attempts <> 1) FROM jobs WHERE kind = 'outbox.deliver'")
    assert runs == "0", f"{runs} delivery jobs were claimed more than once"
    print(f"  {QUEUED_MESSAGES} e-mails queued at once: sent in {done:.1f} s, each once; by process {by_process}")


def check_sign_out_reaches_both_processes():
    status, session = call("POST", f"{WEB_A}/api/v1/session",
                           {"email": "resident-demo-500@khmelnytskyi.demo", "password": "demo-password"})
    assert status in (200, 201), f"sign-in answered {status}"
    token = session["token"]
    assert call("GET", f"{WEB_B}/api/v1/me", token=token)[0] == 200, "B did not accept a fresh token"
    status, _ = call("DELETE", f"{WEB_A}/api/v1/session", token=token)
    assert status == 204, f"sign-out answered {status}"
    refused = wait_until(lambda: call("GET", f"{WEB_B}/api/v1/me", token=token)[0] == 401, MAX_LAG_SECONDS)
    assert refused is not None, f"B still accepted the token {MAX_LAG_SECONDS} s after signing out through A"
    print(f"  a token signed out through {WEB_A} was refused by {WEB_B}, which had cached it, after {refused * 1000:.0f} ms")


def main():
    sink = SMTPSink(SINK_PORT)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    env = dict(os.environ, CLUSTER_FRESH="1", HROMADA_SMTP_URL=f"smtp://127.0.0.1:{SINK_PORT}?from=noreply@hromada.demo")
    subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), "start"], env=env, check=True)
    passed = failed = 0
    try:
        pairs = signing_pairs()
        for check in (lambda: check_reads_come_from_standby(pairs), lambda: check_replication_lag(pairs),
                      lambda: check_shared_job_queue(sink), check_sign_out_reaches_both_processes):
            try:
                check()
                passed += 1
            except AssertionError as error:
                print(f"  FAILED: {error}")
                failed += 1
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "cluster.sh"), "stop"], check=False)
        sink.shutdown()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
