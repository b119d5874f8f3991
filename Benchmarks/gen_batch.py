#!/usr/bin/env python3
"""Writes a result batch of N lines (results + trailer) in Vigil's record format, into a spool's results/new/,
after its run's manifest in runs/new/ (the analyzer reports no run without one).

usage: gen_batch.py SPOOL_DIR N [--failures PERCENT] [--seed N]
About one result in ten (by default) is a failure with request/response excerpts, as in a bad night.
"""
import json, os, random, sys, time

def publish(spool, queue, name, text):
    """Writes tmp/NAME and links it into new/, as the spool protocol does."""
    tmp = f"{spool}/{queue}/tmp/{name}"
    with open(tmp, "w") as out:
        out.write(text)
    os.link(tmp, f"{spool}/{queue}/new/{name}")
    os.unlink(tmp)

def main():
    spool, n = sys.argv[1], int(sys.argv[2])
    failure_pct = float(sys.argv[sys.argv.index("--failures") + 1]) if "--failures" in sys.argv else 10.0
    rnd = random.Random(int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 7)
    start = time.time()
    run = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(start)) + "-pbench"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start))
    for queue in ("runs", "results"):
        os.makedirs(f"{spool}/{queue}/new", exist_ok=True)
        os.makedirs(f"{spool}/{queue}/tmp", exist_ok=True)
    deadline = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start + 600))
    manifest = {"v": 1, "kind": "run", "run": run, "shards": 1, "started_at": stamp, "deadline": deadline, "trigger": "manual"}
    publish(spool, "runs", f"{run}.run.ndjson", json.dumps(manifest, separators=(",", ":")) + "\n")
    name = f"{run}.1of1.bench.gen-{os.getpid()}.ndjson"
    tmp = f"{spool}/results/tmp/{name}"
    with open(tmp, "w") as out:
        for i in range(n):
            service = ["user", "nurse", "admin", "billing"][i % 4]
            rec = {"v": 1, "kind": "result", "attempts": 1, "id": f"{service}/api/item-{i}", "latency_ms": round(rnd.uniform(5, 900), 1),
                   "method": "GET", "name": f"Item {i} 接口", "outcome": "ok", "run": run, "service": service, "shard": "1/1",
                   "started_at": stamp, "status": 200, "url": f"https://{service}.example.com/api/item/{i}?page=1",
                   "request": {"headers": {"Authorization": "Bearer ***", "User-Agent": "Vigil/1 (prober)"}},
                   "response": {"headers": {"Content-Type": "application/json"}, "body": '{"code":0,"data":{"id":%d}}' % i}}
            if rnd.uniform(0, 100) < failure_pct:
                rec.update(outcome="http_500", status=500, attempts=3, error="HTTP 500 Internal Server Error",
                           response={"headers": {"Content-Type": "application/json"}, "body": '{"code":500,"msg":"' + "x" * 300 + '"}'})
            out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        out.write(json.dumps({"v": 1, "kind": "batch", "count": n, "finished_at": stamp, "prober": "bench:1", "run": run,
                              "shard": "1/1", "started_at": stamp}, separators=(",", ":")) + "\n")
    os.link(tmp, f"{spool}/results/new/{name}")
    os.unlink(tmp)
    print(f"{spool}/results/new/{name}")

main()
