#!/usr/bin/env python3
"""Signs under load, kills the server (SIGKILL) and then PostgreSQL (immediate stop) mid-load,
restarts them, and checks that every signature acknowledged with 201 is stored exactly once and
that every petition's count equals its rows. Run by `make test-crash`."""
import http.client
import os
import signal
import subprocess
import sys
import threading
import time

database_url, hromada, pairs_file, psql = sys.argv[1:5]
port = 8092
pg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "postgres.sh")


def start_server():
    environment = dict(os.environ, HROMADA_RATE_LIMIT_EXEMPT="127.0.0.1", HROMADA_SECRET_KEY="c" * 40,
                       LOG_LEVEL="critical", HROMADA_DB_POOL_SIZE="16")
    process = subprocess.Popen([hromada, "serve", "--database-url", database_url, "--port", str(port)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def query(sql):
    return subprocess.run([psql, database_url, "-tAc", sql], check=True, capture_output=True, text=True).stdout.split()


pairs = [line.split() for line in open(pairs_file) if line.strip()]
acknowledged = set()
lock = threading.Lock()
stop = threading.Event()
next_index = [0]


def signer():
    connection = None
    while not stop.is_set():
        with lock:
            if next_index[0] >= len(pairs):
                return
            token, petition = pairs[next_index[0]]
            next_index[0] += 1
        try:
            connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("POST", f"/api/v1/khmelnytskyi/petitions/{petition}/signatures",
                               headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            if response.status == 201:
                with lock:
                    acknowledged.add((int(token.split("-")[1]), int(petition)))
        except (OSError, http.client.HTTPException):
            connection = None
            time.sleep(0.05)


def load_with(disaster, seconds=3):
    threads = [threading.Thread(target=signer) for _ in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    disaster()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    stop.clear()


server = start_server()
print("phase 1: SIGKILL the server while signing")
load_with(lambda: server.send_signal(signal.SIGKILL))
server.wait()
server = start_server()
print("phase 2: stop PostgreSQL in immediate mode while signing, then start it again")
load_with(lambda: (subprocess.run(["bash", pg, "stop-immediate"], check=True),
                   time.sleep(1), subprocess.run(["bash", pg, "start"], check=True)))
before = len(acknowledged)
load_with(lambda: None, seconds=2)
recovered = len(acknowledged) - before
print(f"signatures acknowledged by the same server process after PostgreSQL came back: {recovered}")
server.send_signal(signal.SIGTERM)
server.wait()

stored = set()
rows = query("SELECT s.person_id || ':' || s.petition_id FROM petition_signatures s JOIN petitions p ON p.id = s.petition_id "
             "WHERE p.title LIKE 'Bench petition%'")
for row in rows:
    person, petition = row.split(":")
    stored.add((int(person), int(petition)))
missing = acknowledged - stored
mismatched = query("SELECT p.id FROM petitions p WHERE p.title LIKE 'Bench petition%' AND "
                   "(SELECT count(*) FROM petition_signatures s WHERE s.petition_id = p.id AND s.invalidated_at IS NULL) <> "
                   "coalesce((SELECT sum(signatures) FROM petition_signature_counts c WHERE c.petition_id = p.id), 0)")
print(f"acknowledged: {len(acknowledged)}, stored: {len(rows)}, acknowledged but missing: {len(missing)}, "
      f"petitions whose count differs from their rows: {len(mismatched)}")
if missing or mismatched or not acknowledged or not recovered:
    print("FAILED")
    sys.exit(1)
print("1 passed, 0 failed")
