#!/usr/bin/env python3
"""Signs petitions and votes for budget projects under load, kills the server (SIGKILL) and then
PostgreSQL (immediate stop) mid-load, restarts them, and checks that every signature and vote
acknowledged with 201 is stored exactly once, that every petition's count equals its rows, and
that every voter's vote counter equals their votes and stays within the limit. Run by
`make test-crash`."""
import http.client
import os
import signal
import subprocess
import sys
import threading
import time

import hromada_server

database_url, hromada, pairs_file, vote_pairs_file, psql = sys.argv[1:6]
port = 8092
pg = os.path.join(os.path.dirname(os.path.abspath(__file__)), "postgres.sh")


def query(sql):
    return subprocess.run([psql, database_url, "-tAc", sql], check=True, capture_output=True, text=True).stdout.split()


lock = threading.Lock()
stop = threading.Event()


class Load:
    """(token, id) pairs posted to one path; the acknowledged (person, id) pairs are kept."""

    def __init__(self, pairs_path, path):
        self.pairs = [line.split() for line in open(pairs_path) if line.strip()]
        self.path = path
        self.next = 0
        self.acknowledged = set()

    def run(self):
        connection = None
        while not stop.is_set():
            with lock:
                if self.next >= len(self.pairs):
                    return
                token, target = self.pairs[self.next]
                self.next += 1
            try:
                connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("POST", self.path.format(target), headers={"Authorization": f"Bearer {token}"})
                response = connection.getresponse()
                response.read()
                if response.status == 201:
                    with lock:
                        self.acknowledged.add((int(token.split("-")[1]), int(target)))
            except (OSError, http.client.HTTPException):
                connection = None
                time.sleep(0.05)


signatures = Load(pairs_file, "/api/v1/khmelnytskyi/petitions/{}/signatures")
votes = Load(vote_pairs_file, "/api/v1/khmelnytskyi/budget/projects/{}/votes")
acknowledged = signatures.acknowledged


def load_with(disaster, seconds=3):
    threads = [threading.Thread(target=load.run) for load in (signatures, votes) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    disaster()
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    stop.clear()


server = hromada_server.start(hromada, database_url, port)
print("phase 1: SIGKILL the server while signing and voting")
load_with(lambda: server.send_signal(signal.SIGKILL))
server.wait()
server = hromada_server.start(hromada, database_url, port)
print("phase 2: stop PostgreSQL in immediate mode while signing and voting, then start it again")
load_with(lambda: (subprocess.run(["bash", pg, "stop-immediate"], check=True),
                   time.sleep(1), subprocess.run(["bash", pg, "start"], check=True)))
before = len(acknowledged) + len(votes.acknowledged)
load_with(lambda: None, seconds=2)
recovered = len(acknowledged) + len(votes.acknowledged) - before
print(f"signatures and votes acknowledged by the same server process after PostgreSQL came back: {recovered}")
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
stored_votes = set()
vote_rows = query("SELECT v.person_id || ':' || v.project_id FROM budget_votes v JOIN budget_cycles c ON c.id = v.cycle_id "
                  "WHERE c.title = 'Bench cycle'")
for row in vote_rows:
    person, project = row.split(":")
    stored_votes.add((int(person), int(project)))
missing_votes = votes.acknowledged - stored_votes
miscounted = query("SELECT a.person_id FROM budget_vote_allowances a JOIN budget_cycles c ON c.id = a.cycle_id WHERE c.title = 'Bench cycle' AND "
                   "(a.votes_cast <> (SELECT count(*) FROM budget_votes v WHERE v.cycle_id = a.cycle_id AND v.person_id = a.person_id "
                   "AND v.scope_id = a.scope_id) OR a.votes_cast > a.vote_limit)")
print(f"votes acknowledged: {len(votes.acknowledged)}, stored: {len(vote_rows)}, acknowledged but missing: {len(missing_votes)}, "
      f"voters whose counter differs from their votes or exceeds the limit: {len(miscounted)}")
if missing or mismatched or not acknowledged or not recovered or missing_votes or miscounted or not votes.acknowledged:
    print("FAILED")
    sys.exit(1)
print("1 passed, 0 failed")
