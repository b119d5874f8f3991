#!/usr/bin/env python3
"""Helper of Benchmarks/locations-compare.sh: the seeded timeline, the run manifests, and the scoring.

  locations_compare.py timeline SEED RUNS OUT.json   the timeline (printed) and, per run, one state line on stdout
  locations_compare.py manifest SPOOL RUN EPOCH [LOC,...]  publishes the run's manifest (runs/tmp → runs/new)
  locations_compare.py score TIMELINE.json SPOOL IDS MODE OUT.json   counts pages against the timeline's truth
  locations_compare.py table OUT.json...             the comparison table
"""
import json, os, random, sys, time

LOCATIONS = ["bj", "sh", "sg"]
# The targets: three servers in the router namespace; web is reached by name (the DNS-like fault), api and pay
# by address (pay alone is behind the address a prohibit route takes away).
SERVERS = {"web": ["a0", "a1", "a2", "a3"], "api": ["b0", "b1", "b2"], "pay": ["c0", "c1", "c2"]}
INTERFACES = [f"{s}/{n}" for s, names in SERVERS.items() for n in names]
FAULTS = {  # location-side faults: what each does, and how many runs it lasts (at most)
    "link": ("link down (every probe from it fails: network unreachable; the canary too)", 3),
    "route": ("prohibit route to the pay address (pay/c0-c2 fail from it only)", 3),
    "dns": ("web.vigil.test does not resolve there (web/a0-a3 fail with a DNS error; the canary is an address)", 2),
}


def generate(seed, runs):
    """Events from the seed: real outages (down for everyone) and location-side faults. Runs 0-1 and the last two
    are left healthy, so that every run of the timeline has a healthy baseline and outages end inside it."""
    rnd = random.Random(seed)
    events = []
    for r in range(2, runs - 2):
        if rnd.random() < 0.15:
            if rnd.random() < 0.6:
                i = rnd.choice(INTERFACES)
                events.append({"kind": "file", "what": i, "start": r, "runs": rnd.randint(1, 4)})
            else:
                s = rnd.choice(list(SERVERS))
                events.append({"kind": "server", "what": s, "start": r, "runs": rnd.randint(1, 3)})
        for loc in LOCATIONS:
            if rnd.random() < 0.12:
                kind = rnd.choices(list(FAULTS), weights=[4, 3, 3])[0]
                events.append({"kind": kind, "what": loc, "start": r, "runs": rnd.randint(1, FAULTS[kind][1])})
    if os.environ.get("EVENTS"):  # a timeline by hand instead: [{"kind", "what", "start", "runs"}, ...]
        events = json.load(open(os.environ["EVENTS"]))
    for e in events:
        e["runs"] = min(e["runs"], runs - 2 - e["start"])
    states = []
    for r in range(runs):
        live = [e for e in events if e["start"] <= r < e["start"] + e["runs"]]
        servers = sorted({e["what"] for e in live if e["kind"] == "server"})
        files = sorted({e["what"] for e in live if e["kind"] == "file"})
        down = sorted(set(files) | {f"{s}/{n}" for s in servers for n in SERVERS[s]})
        faults = {k: sorted({e["what"] for e in live if e["kind"] == k}) for k in FAULTS}
        states.append({"run": r, "servers": servers, "files": files, "down": down, "faults": faults})
    return {"seed": seed, "runs": runs, "events": events, "states": states}


def describe(e):
    last = e["start"] + e["runs"] - 1
    span = f"run {e['start']:2d}" + (f"-{last:<2d}" if last != e["start"] else "   ")
    if e["kind"] == "file":
        return f"{span} OUTAGE  {e['what']}: its file removed (HTTP 404 for everyone)"
    if e["kind"] == "server":
        return f"{span} OUTAGE  server {e['what']} stopped ({', '.join(SERVERS[e['what']])}: connection refused for everyone)"
    return f"{span} fault   {e['what']}: {FAULTS[e['kind']][0]}"


def cmd_timeline(seed, runs, out):
    t = generate(int(seed), int(runs))
    with open(out, "w") as f:
        json.dump(t, f)
    real = [e for e in t["events"] if e["kind"] in ("file", "server")]
    local = [e for e in t["events"] if e not in real]
    print(f"# timeline: SEED={seed}, {runs} runs; {len(real)} real outages, {len(local)} location-side faults "
          "(" + ", ".join(f"{l} {sum(e['what'] == l for e in local)}" for l in LOCATIONS) + ")", file=sys.stderr)
    for e in sorted(t["events"], key=lambda e: (e["start"], e["kind"] not in ("file", "server"))):
        print("#   " + describe(e), file=sys.stderr)
    for s in t["states"]:  # the driver's input: run, servers down, files down, links down, routes, dns
        cols = [",".join(s["servers"]), ",".join(s["files"])] + [",".join(s["faults"][k]) for k in FAULTS]
        print(s["run"], *[c or "-" for c in cols])


def cmd_manifest(spool, run, started, locations=""):
    """The run starts at `started` (the timeline's clock: one run a minute, in the past, so that the analyzer's
    decisions — which use the run's own times — see the timeline's pace); its deadline is two minutes from now."""
    stamp = lambda t: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"
    m = {"v": 1, "kind": "run", "run": run, "shards": 1, "started_at": stamp(int(started)), "deadline": stamp(time.time() + 120),
         "trigger": "manual"}
    if locations:
        m["locations"] = locations.split(",")
    name = f"{run}.run.ndjson"
    tmp = f"{spool}/runs/tmp/{name}"
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    os.makedirs(f"{spool}/runs/new", exist_ok=True)
    with open(tmp, "w") as f:
        f.write(json.dumps(m, separators=(",", ":")) + "\n")
    os.link(tmp, f"{spool}/runs/new/{name}")
    os.unlink(tmp)


def read_alerts(spool, index):
    """The alerts in outbox/new (nobody sends them here), each as (run index, alert), in run order."""
    out = []
    d = f"{spool}/outbox/new"
    for name in os.listdir(d) if os.path.isdir(d) else []:
        run = name.split(".")[0]
        if run not in index or name.startswith("."):
            continue
        with open(f"{d}/{name}") as f:
            out.append((index[run], json.loads(f.readline())))
    return sorted(out, key=lambda x: x[0])


def cmd_score(timeline, spool, ids, mode, out):
    t = json.load(open(timeline))
    runs = [line.split() for line in open(ids) if line.strip()]
    index = {run: int(r) for r, run in runs}
    down = [set(s["down"]) for s in t["states"]]
    faults = [s["faults"] for s in t["states"]]
    alerts = read_alerts(spool, index)
    pages, false_pages, false_alerts, gap_alerts, failing_at = [], [], 0, 0, {}
    state = {}  # interface → paged and not yet recovered
    for r, a in alerts:
        tr = a.get("transitions") or []
        if not tr and (a.get("stats") or {}).get("blind"):
            gap_alerts += 1
        wrong = False
        for x in tr:
            # A page is a new failure of a kind that pages: degraded, cert_expiring and not_loaded are warnings
            # (told, orange, routable), not pages as down.
            if x["change"] == "new_failure" and x.get("outcome") not in ("degraded", "cert_expiring", "not_loaded"):
                pages.append((r, x["id"]))
                state[x["id"]] = True
                if x["id"] not in down[r]:
                    wrong = True
                    cause = "; ".join(f"{k} {','.join(v)}" for k, v in faults[r].items() if v) or "no fault"
                    false_pages.append({"run": r, "id": x["id"], "alert": f"{a.get('reason')}, {sum(y['change'] == 'new_failure' for y in tr)} new failure(s)", "cause": cause,
                                        "error": (x.get("error") or "")[:160]})
            elif x["change"] == "recovered":
                state[x["id"]] = False
        false_alerts += wrong
        failing_at[r] = {i for i, v in state.items() if v}
    # Real outages: per interface, each stretch of runs it was down for everyone.
    episodes = []
    for i in INTERFACES:
        r = 0
        while r < len(down):
            if i in down[r]:
                end = r
                while end + 1 < len(down) and i in down[end + 1]:
                    end += 1
                episodes.append((i, r, end))
                r = end + 1
            else:
                r += 1
    missed, masked, delays, late = [], 0, [], []
    for i, start, end in episodes:
        paged = [r for r, x in pages if x == i and start <= r <= end]
        if paged:
            delays.append(paged[0] - start)
            if paged[0] > start:
                late.append(f"{i} down at runs {start}-{end}, paged at run {paged[0]}")
        elif start > 0 and i in failing_at.get(max((r for r in failing_at if r < start), default=-1), set()):
            masked += 1  # already failing (paged earlier, not recovered): no new page was due
        else:
            missed.append(f"{i} down at runs {start}-{end}")
    # Cut links at the locations this setup probes from: was each said (an alert naming it blind) while it lasted?
    at = LOCATIONS if mode == "B" else ["bj"]
    cuts, told = 0, 0
    for loc in at:
        r = 0
        while r < len(faults):
            if loc in faults[r]["link"]:
                end = r
                while end + 1 < len(faults) and loc in faults[end + 1]["link"]:
                    end += 1
                cuts += 1
                said = [b for q, a in alerts if r <= q <= end for b in (a.get("stats") or {}).get("blind") or []]
                told += any(b.startswith(f"location {loc} ") or mode != "B" for b in said)
                r = end + 1
            else:
                r += 1
    reports = [run for r, run in runs if os.path.exists(f"{spool}/reports/{run}.md")]
    degraded = sum("## Degraded" in open(f"{spool}/reports/{run}.md").read() for run in reports)
    result = {"mode": mode, "runs": len(runs), "reported": len(reports), "pages": len(pages),
              "false_pages": false_pages, "false_alerts": false_alerts, "episodes": len(episodes), "missed": missed,
              "masked": masked, "delays": delays, "gap_alerts": gap_alerts, "degraded_runs": degraded,
              "cuts": cuts, "cuts_told": told}
    json.dump(result, open(out, "w"))
    by_run = {}
    for f in false_pages:
        by_run.setdefault(f["run"], []).append(f)
    for r, fs in sorted(by_run.items()):
        print(f"  {mode} run {r:2d}: {len(fs)} false page(s) ({' '.join(f['id'] for f in fs)}) in alert '{fs[0]['alert']}'; "
              f"in effect: {fs[0]['cause']}; e.g. {fs[0]['error'][:90]}")
    for m in missed:
        print(f"  {mode}: missed: {m}")
    for m in late:
        print(f"  {mode}: late: {m}")


LABELS = {
    "A": "A  one location (bj)",
    "A2": "A2 one location, failure_threshold 2",
    "B": "B  three locations, quorum 2",
    "C": "C  one location + canary",
}


def cmd_table(*files):
    rows = [json.load(open(f)) for f in files]
    head = (f"{'setup':38} {'false pages':>11} {'false alerts':>12} {'missed':>9} {'delay mean/max':>14} "
            f"{'cuts told':>9} {'gap alerts':>10} {'degraded':>8} {'reported':>8}")
    print(head)
    print("-" * len(head))
    for x in rows:
        d = x["delays"]
        delay = f"{sum(d) / len(d):.2f} / {max(d)}" if d else "-"
        print(f"{LABELS.get(x['mode'], x['mode']):38} {len(x['false_pages']):>11} {x['false_alerts']:>12} "
              f"{len(x['missed']):>3} of {x['episodes']:<3} {delay:>14} {x['cuts_told']:>4} of {x['cuts']:<2} {x['gap_alerts']:>10} {x['degraded_runs']:>8} "
              f"{x['reported']:>3} of {x['runs']:<3}")
    print("false pages: interfaces paged (new_failure, not degraded) at a run where they were not down for everyone; false alerts:")
    print("the messages carrying them. missed: real outages (interface x stretch of runs) never paged. delay: runs from")
    print("an outage's first run to its page. cuts told: link cuts at the probing locations that some alert called")
    print("blind while they lasted. gap alerts: alerts with no interface, only 'blind' / 'cannot reach' / missing shards.")
    print("degraded: runs whose report has a Degraded section. reported: runs with a report.")
    masked = [x for x in rows if x["masked"]]
    for x in masked:
        print(f"{x['mode']}: {x['masked']} real outage(s) began while the interface was still failing from an earlier page")


if __name__ == "__main__":
    cmds = {"timeline": cmd_timeline, "manifest": cmd_manifest, "score": cmd_score, "table": cmd_table}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](*sys.argv[2:])
