#!/usr/bin/env python3
"""Complaint clients for e2e/crash/run.sh: N threads post the real complaint
form (double-submit CSRF cookie + field) as fast as the server answers, and
write every receipt they are shown (reference and the message's tag) to a
file, one line each, flushed at once. They stop at the first refused
connection (the server was killed) or after --seconds.

Usage: clients.py --base http://127.0.0.1:3998 --clients 32 --out receipts.tsv
"""
import argparse
import http.client
import re
import threading
import time
import urllib.parse

TOKEN = "crashtestcrashtestcrashtestcrashtestcrashte"  # 43 URL-safe characters
REFERENCE = re.compile(r'class="reference">([A-Z]{1,4}-\d{4}-\d{6,})<')


def client(n, host, port, out, lock, stats, deadline):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    seq = 0
    while time.time() < deadline:
        seq += 1
        tag = f"crash-{n}-{seq}"
        body = urllib.parse.urlencode({
            "telefon": "91234567",
            "melding": f"Dere ringte meg tre ganger i dag ({tag}).",
            "csrf_token": TOKEN,
        })
        try:
            conn.request("POST", "/klage", body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"innsyn_csrf={TOKEN}",
            })
            resp = conn.getresponse()
            page = resp.read().decode("utf-8", "replace")
        except (ConnectionError, http.client.HTTPException, OSError):
            with lock:
                stats["cut"] += 1
            return
        m = REFERENCE.search(page)
        with lock:
            if resp.status == 200 and m:
                out.write(f"{m.group(1)}\t{tag}\n")
                out.flush()
                stats["receipts"] += 1
            else:
                stats["errors"] += 1
                stats.setdefault("statuses", {}).setdefault(resp.status, 0)
                stats["statuses"][resp.status] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.base)
    lock = threading.Lock()
    stats = {"receipts": 0, "errors": 0, "cut": 0}
    deadline = time.time() + a.seconds
    with open(a.out, "a", encoding="utf-8") as out:
        threads = [
            threading.Thread(target=client, args=(i, u.hostname, u.port, out, lock, stats, deadline))
            for i in range(a.clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    print(f"clients: {stats['receipts']} receipts shown, {stats['errors']} error answers "
          f"{stats.get('statuses', {})}, {stats['cut']} connections cut")


if __name__ == "__main__":
    main()
