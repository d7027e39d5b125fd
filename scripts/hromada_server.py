"""Starts a release `hromada serve` for the load scripts (crash test, soak) and waits until it is ready."""
import http.client
import os
import subprocess
import time


def answers(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/readyz")
        return connection.getresponse().status == 200
    except OSError:
        return False


def start(hromada, database_url, port):
    """The server, with the per-IP limits off for 127.0.0.1 (every load client is there), under the
    key the demo was loaded with (HROMADA_SECRET_KEY, which the Makefile exports)."""
    if answers(port):
        raise SystemExit(f"another server already listens on port {port}")
    if not os.environ.get("HROMADA_SECRET_KEY"):
        raise SystemExit("HROMADA_SECRET_KEY is not set: use the key the demo was loaded with (make soak, make test-crash)")
    environment = dict(os.environ, HROMADA_RATE_LIMIT_EXEMPT="127.0.0.1", LOG_LEVEL="critical", HROMADA_DB_POOL_SIZE="16")
    process = subprocess.Popen([hromada, "serve", "--database-url", database_url, "--port", str(port)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(150):
        if process.poll() is not None:
            break
        if answers(port):
            return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not become ready")
