#!/usr/bin/env python3
"""A burst on the strict account: N custom-domain stacks asked for at once (a share of the
account's calls to Route 53, ACM, CloudFront and API Gateway throttled), then all deleted.
Writes what it measured to docs/benchmarks.md (`--out`), with the command that produced it.

Run with the local stack up, from the repo root (`make bench` starts and stops it):
    .local/venv/bin/python bench/burst.py [--stacks 50] [--throttled 0.3] [--out docs/benchmarks.md]

What it measures, from the stacks' own records, the executions' histories and the account's
counts (`/strict-api/calls`):
- the makespan (the first POST to the last READY) against the lower bound the account allows:
  one certificate issuance, then CreateDomainName once per window for every stack in turn, then
  one deployment and one propagation (the account's durations, at its time scale);
- failures (any stack not READY, or not DELETED after its DELETE);
- each stack's readiness lag: its time to READY beyond AWS's own time for it (issuance,
  deployment, propagation), median and p95, queueing for the rate limits included; and beyond
  the earliest the rate limit allows the k-th stack to be READY;
- how far each stack's READY came from the first time the API expected it (`expected_ready_at`);
- state transitions and Lambda invocations per stack (its provisioning execution), and AWS calls
  per stack by operation;
- what is left in the account after the deletes (distributions, custom domains, certificates,
  records of the stacks).
The wall times are the emulator's on this machine, at the account's time scale: a figure to
compare runs by, in proportion to AWS's durations, not AWS's timing.
"""

import argparse
import datetime
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

import signed

PROVISIONED = ("route53:*", "acm:*", "cloudfront:*", "apigateway:*")
TERMINAL = ("READY", "FAILED")


def env():
    values = {}
    with open(".local/env") as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key and not key.startswith("#"):
                values[key] = value
    return values


def http(caller, url, method="GET", body=None):
    # A GET is asked again after no answer in 20 s (signed again); POST and DELETE are not:
    # each must be made once.
    for attempt in range(6 if method == "GET" else 1):
        try:
            return caller.call(url, method, body, timeout=20 if method == "GET" else 60)
        except (TimeoutError, urllib.error.URLError) as e:
            if isinstance(e, urllib.error.HTTPError) or attempt == 5 or method != "GET":
                raise


def when(stamp):
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Bench:
    def __init__(self, e, stacks, throttled, raw=None):
        self.e, self.count, self.throttled, self.raw_path = e, stacks, throttled, raw
        self.account = e["AWS_ENDPOINT_URL"].rstrip("/")
        self.api_url = e["STACKS_API_URL"].rstrip("/")
        self.caller = signed.Caller(e, f"bench-{uuid.uuid4().hex[:8]}")
        region = "eu-west-1"
        self.region = region
        # The bench's own reads share the account's rate limits with the stacks it measures
        # (Route 53 five a second, ListCertificates one, scaled): they wait out throttling
        # rather than end a run of forty minutes in its last read, as botocore's two retries did.
        patient = Config(retries={"mode": "standard", "max_attempts": 30})
        client = functools.partial(boto3.client, endpoint_url=self.account, config=patient)
        self.apigw = client("apigateway", region_name=region)
        self.r53 = client("route53")
        self.sfn = client("stepfunctions", region_name=e["AWS_REGION"])
        self.cloudfront = client("cloudfront")
        self.acm = {r: client("acm", region_name=r) for r in ("us-east-1", region)}

    # ---- the account ---------------------------------------------------------------------------
    def control(self, path, method="GET", body=None):
        """The strict account's control API (local/strict/control.py): not AWS's, unsigned."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.account}/strict-api/{path}", data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def seconds(self, config, name):
        return config[name] * config["time_scale"]

    # ---- the teams' side -----------------------------------------------------------------------
    def rest_api(self):
        api = self.apigw.create_rest_api(name="bench", endpointConfiguration={"types": ["REGIONAL"]})
        root = [r for r in self.apigw.get_resources(restApiId=api["id"])["items"] if r["path"] == "/"][0]
        res = self.apigw.create_resource(restApiId=api["id"], parentId=root["id"], pathPart="greetings")
        self.apigw.put_method(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", authorizationType="NONE")
        self.apigw.put_integration(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", type="MOCK",
                                   requestTemplates={"application/json": '{"statusCode": 200}'})
        self.apigw.put_method_response(restApiId=api["id"], resourceId=res["id"], httpMethod="GET", statusCode="200")
        self.apigw.put_integration_response(restApiId=api["id"], resourceId=res["id"], httpMethod="GET",
                                            statusCode="200", responseTemplates={"application/json": '{"hello": "bench"}'})
        self.apigw.create_deployment(restApiId=api["id"], stageName="prod")
        return api["id"]

    def bodies(self, api_id):
        bodies = []
        for _ in range(self.count):
            zone_name = f"b{uuid.uuid4().hex[:10]}.example.com"
            zone = self.r53.create_hosted_zone(Name=zone_name, CallerReference=str(uuid.uuid4()))
            zone_id = zone["HostedZone"]["Id"].split("/")[-1]
            bodies.append({"api_id": api_id, "region": self.region, "stage": "prod",
                           "smoke_test_path": "/greetings",
                           "custom_domain": {"name": f"api.{zone_name}", "hosted_zone_id": zone_id}})
        return bodies

    def stacks(self):
        page = http(self.caller, f"{self.api_url}/stacks?limit=100")
        return {s["id"]: s for s in page["items"]}

    def until(self, ids, done, what, timeout, seen=lambda stacks: None):
        deadline = time.monotonic() + timeout
        while True:
            stacks = self.stacks()
            seen(stacks)
            if all(done(stacks[i]) for i in ids):
                return stacks
            if time.monotonic() > deadline:
                pending = [i for i in ids if not done(stacks[i])]
                raise SystemExit(f"gave up waiting for {what}: {len(pending)} stacks not there, e.g. {stacks[pending[0]]}")
            time.sleep(1)

    # ---- what the account holds of the stacks after their deletes -------------------------------
    def left(self, stacks):
        names = {s["request"]["custom_domain"]["name"] for s in stacks.values()}
        ids = set(stacks)
        left = []
        domains = self.apigw.get_domain_names(limit=500).get("items", [])
        left += [f"custom domain {d['domainName']}" for d in domains if d["domainName"] in names]
        distributions = self.cloudfront.list_distributions()["DistributionList"].get("Items", [])
        left += [f"distribution {d['Id']}" for d in distributions if d.get("Comment", "").split(" ")[-1] in ids]
        for region, acm in self.acm.items():
            certificates = acm.list_certificates(Includes={"keyTypes": ["RSA_2048", "EC_prime256v1", "EC_secp384r1"]})
            left += [f"certificate {c['DomainName']} in {region}"
                     for c in certificates["CertificateSummaryList"] if c["DomainName"] in names]
        for stack in stacks.values():
            zone = stack["request"]["custom_domain"]["hosted_zone_id"]
            records = self.r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
            left += [f"record {r['Name']} {r['Type']}" for r in records if r["Type"] not in ("SOA", "NS")]
        return left

    # ---- the run -------------------------------------------------------------------------------
    def run(self):
        config = self.control("config")
        api_id = self.rest_api()
        bodies = self.bodies(api_id)
        self.control("calls", "DELETE")
        faults = [{"operation": op, "throttle": self.throttled} for op in PROVISIONED] if self.throttled else []
        self.control("faults", "POST", {"faults": faults})
        try:
            started = time.time()
            with ThreadPoolExecutor(max_workers=16) as pool:
                created = list(pool.map(
                    lambda body: http(self.caller, f"{self.api_url}/stacks", "POST", body), bodies))
            ids = [s["id"] for s in created]
            # The first READY time each stack was expected at, as the API said it.
            expected = {}

            def note_expectations(stacks):
                for i in ids:
                    at = stacks[i].get("expected_ready_at")
                    if at and i not in expected:
                        expected[i] = when(at)

            ready = self.until(ids, lambda s: s["status"] in TERMINAL, "every stack to settle", 3600,
                               note_expectations)
            provisioned_calls = self.control("calls")
            self.control("calls", "DELETE")
            delete_started = time.time()
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda i: http(self.caller, f"{self.api_url}/stacks/{i}", "DELETE"), ids))
            deleted = self.until(ids, lambda s: s["status"] in ("DELETED", "FAILED"), "every stack to be deleted", 3600)
            deleted_calls = self.control("calls")
        finally:
            self.control("faults", "DELETE")
        if self.raw_path:
            # Before the report, which a surprise in the records could stop.
            os.makedirs(os.path.dirname(self.raw_path) or ".", exist_ok=True)
            with open(self.raw_path, "w") as f:
                json.dump({"config": config, "started": started, "delete_started": delete_started,
                           "ready": ready, "expected": expected, "deleted": deleted,
                           "provisioned_calls": provisioned_calls, "deleted_calls": deleted_calls}, f)
        return self.report(config, started, ready, expected, provisioned_calls, delete_started, deleted,
                           deleted_calls)

    def report(self, config, started, ready, expected, provisioned_calls, delete_started, deleted,
               deleted_calls):
        n = len(ready)
        failed = {i: "{code} at {step}: {message}".format(**s["error"]) if s.get("error") else s["status"]
                  for i, s in ready.items() if s["status"] != "READY"}
        not_deleted = [i for i, s in deleted.items() if s["status"] != "DELETED"]
        ready_at = {i: max(when(t["finished_at"]) for t in s["steps"] if t.get("finished_at"))
                    for i, s in ready.items() if s["status"] == "READY"}
        deleted_at = {i: when(s["updated_at"]) for i, s in deleted.items() if s["status"] == "DELETED"}
        validation, deploy, insync = (self.seconds(config, k) for k in ("acm_issue", "cloudfront_deploy", "route53_insync"))
        # ACM's issuance, as AWS takes it: publishing the validation record after the request
        # (no client can write it sooner), then validating it once it is in DNS.
        record_lag = self.seconds(config, "acm_record_lag")
        issue = record_lag + validation
        window = self.seconds(config, "apigateway_domain_window")
        own = issue + deploy + insync
        makespan = max(ready_at.values()) - started if ready_at else float("nan")
        bound = issue + (n - 1) * window + deploy + insync
        lags = [ready_at[i] - when(ready[i]["created_at"]) - own for i in ready_at]
        # The k-th stack to be READY can be no sooner than the k-th turn at CreateDomainName
        # allows: the lag beyond that is what edgestack adds to AWS's time and rate limits.
        queued_lags = [at - (started + issue + k * window + deploy + insync)
                       for k, at in enumerate(sorted(ready_at.values()))]
        # Where the lag goes, from each READY stack's step records: before its certificate was
        # issued (beyond ACM's issuance), between turns at CreateDomainName (beyond AWS's window),
        # and from its custom domain to READY (beyond the deployment and the propagation).
        def finished(i, name):
            return next(when(t["finished_at"]) for t in ready[i]["steps"] if t["name"] == name)

        start_lags = [finished(i, "await_certificate_validation") - when(ready[i]["created_at"]) - issue
                      for i in ready_at]
        # The start's lag, segment by segment, from the steps' own records: the engine's
        # transitions and Lambda invocations between steps are the emulator's on this machine.
        def step(i, name):
            return next(t for t in ready[i]["steps"] if t["name"] == name)

        def segment(f):
            values = sorted(f(i) for i in ready_at)
            return (statistics.median(values), percentile(values, 0.9)) if values else (float("nan"),) * 2

        start_segments = [
            ("POST answered to the first step's start (the execution's start, one invocation)",
             segment(lambda i: when(step(i, "validate")["started_at"]) - when(ready[i]["created_at"]))),
            ("`validate` running", segment(lambda i: when(step(i, "validate")["finished_at"])
                                             - when(step(i, "validate")["started_at"]))),
            ("`validate` to `request_certificates` (a transition, one invocation)",
             segment(lambda i: when(step(i, "request_certificates")["started_at"])
                     - when(step(i, "validate")["finished_at"]))),
            ("`request_certificates` running, retries included (through the validation record)",
             segment(lambda i: when(step(i, "request_certificates")["finished_at"])
                     - when(step(i, "request_certificates")["started_at"]))),
            ("the validation record written to the watcher's resumption, beyond ACM's issuance",
             segment(lambda i: finished(i, "await_certificate_validation")
                     - when(step(i, "request_certificates")["finished_at"]) - validation)),
        ]
        request_attempts = [step(i, "request_certificates")["attempts"] for i in ready_at]
        domains = sorted(finished(i, "create_custom_domain") for i in ready_at)
        turn_gap = (domains[-1] - domains[0]) / (len(domains) - 1) if len(domains) > 1 else float("nan")
        # The queue's start (the first custom domain, beyond the first POST and one issuance),
        # and its turns' gaps in the first half of the queue apart from the second's: where the
        # k-th READY's lag comes from.
        first_domain_lag = domains[0] - started - issue if domains else float("nan")
        half = len(domains) // 2
        turn_gaps_halves = tuple((b[-1] - b[0]) / (len(b) - 1) if len(b) > 1 else float("nan")
                                 for b in (domains[:half + 1], domains[half:]))
        tail_lags = [ready_at[i] - finished(i, "create_custom_domain") - deploy - insync for i in ready_at]
        # How far READY came from the first time the API expected it (positive: later).
        misses = [ready_at[i] - at for i, at in expected.items() if i in ready_at]
        transitions, invocations = [], []
        prefix = self.e["PROVISION_STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:")
        for i in ready_at:
            events, token = [], None
            while True:
                page = self.sfn.get_execution_history(executionArn=f"{prefix}:{i}", maxResults=1000,
                                                      **({"nextToken": token} if token else {}))
                events += page["events"]
                token = page.get("nextToken")
                if not token:
                    break
            # Billed transitions: every state entered, and every retry of a task ("each retry
            # will be charged as an additional state transition": Step Functions pricing). A
            # task scheduled more often than its state was entered was retried.
            entered = sum(1 for ev in events if ev["type"].endswith("StateEntered"))
            scheduled = sum(1 for ev in events if ev["type"] == "TaskScheduled")
            tasks_entered = sum(1 for ev in events if ev["type"] == "TaskStateEntered")
            transitions.append(entered + max(0, scheduled - tasks_entered))
            invocations.append(scheduled)
        left = self.left(deleted)
        delete_makespan = max(deleted_at.values()) - delete_started if deleted_at else float("nan")
        return {
            "stacks": n, "throttled": self.throttled, "time_scale": config["time_scale"],
            "failed": failed, "not_deleted": not_deleted, "left": left,
            "makespan": makespan, "bound": bound, "own": own, "issue": issue, "window": window,
            "lag_median": statistics.median(lags) if lags else float("nan"),
            "lag_p95": percentile(lags, 0.95) if lags else float("nan"),
            "queued_lag_median": statistics.median(queued_lags) if queued_lags else float("nan"),
            "queued_lag_p95": percentile(queued_lags, 0.95) if queued_lags else float("nan"),
            "transitions": (min(transitions), statistics.median(transitions), max(transitions)) if transitions else None,
            "invocations": (min(invocations), statistics.median(invocations), max(invocations)) if invocations else None,
            "provisioned_calls": provisioned_calls, "deleted_calls": deleted_calls,
            "delete_makespan": delete_makespan,
            "expected": len(expected),
            "miss_median": statistics.median(misses) if misses else float("nan"),
            "miss_abs_p95": percentile([abs(m) for m in misses], 0.95) if misses else float("nan"),
            "start_lag_median": statistics.median(start_lags) if start_lags else float("nan"),
            "start_segments": start_segments,
            "request_attempts": (statistics.median(request_attempts), max(request_attempts)) if request_attempts else None,
            "turn_gap": turn_gap, "turn_gaps_halves": turn_gaps_halves, "first_domain_lag": first_domain_lag,
            "tail_lag_median": statistics.median(tail_lags) if tail_lags else float("nan"),
        }


def times(n):
    return "once" if n == 1 else f"{n:g} times"


def code_measured():
    """The commit the run measured, and whether the checkout differed from it (this file aside,
    which the run is about to write)."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs/benchmarks.md")
    except (OSError, subprocess.CalledProcessError):
        return "code outside git"
    return f"{commit}'s code" + (" with uncommitted changes" if changed else "")


def markdown(r, command):
    n = r["stacks"]
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{command}` on {datetime.date.today().isoformat()} at {code_measured()} ({platform.machine()}, "
        f"{os.cpu_count()} cores): the strict account at time scale {r['time_scale']} (every AWS duration "
        "and rate window multiplied by it), so the seconds below are AWS's divided by "
        f"{1 / r['time_scale']:.0f}, measured on a shared machine. Nothing here ran in AWS.",
        "",
        f"## A burst of {n} custom-domain stacks, {r['throttled']:.0%} of the calls throttled",
        "",
        "| measure | value |",
        "| --- | ---: |",
        f"| stacks READY | {n - len(r['failed'])} of {n} |",
        f"| makespan (first POST to last READY) | {r['makespan']:.1f} s |",
        f"| lower bound the rate limits allow | {r['bound']:.1f} s |",
        f"| lower bound / makespan | {r['bound'] / r['makespan']:.2f} |",
        f"| AWS's own time per stack (issuance + deployment + propagation) | {r['own']:.1f} s |",
        f"| … of which ACM's issuance (the validation record published, then validated) | {r['issue']:.1f} s |",
        f"| readiness lag beyond it, median | {r['lag_median']:.1f} s ({r['lag_median'] / r['own']:.0%}) |",
        f"| readiness lag beyond it, p95 | {r['lag_p95']:.1f} s ({r['lag_p95'] / r['own']:.0%}) |",
        f"| readiness lag beyond the k-th READY's bound, median | {r['queued_lag_median']:.1f} s "
        f"({r['queued_lag_median'] / r['own']:.1%} of AWS's own time) |",
        f"| readiness lag beyond the k-th READY's bound, p95 | {r['queued_lag_p95']:.1f} s "
        f"({r['queued_lag_p95'] / r['own']:.1%}) |",
        f"| of the lag: POST to certificate issued, beyond ACM's issuance, median | {r['start_lag_median']:.1f} s |",
        f"| of the lag: turns at `CreateDomainName`, mean gap (AWS's window: {r['window']:.1f} s) | "
        f"{r['turn_gap']:.2f} s |",
        f"| … in the first half of the queue / in the second | {r['turn_gaps_halves'][0]:.2f} s / "
        f"{r['turn_gaps_halves'][1]:.2f} s |",
        f"| of the lag: the first custom domain, beyond the first POST and one issuance | "
        f"{r['first_domain_lag']:.1f} s |",
        f"| of the lag: custom domain to READY, beyond deployment and propagation, median | "
        f"{r['tail_lag_median']:.1f} s |",
    ]
    lines += [
        f"| stacks shown an expected READY time while in progress | {r['expected']} of {n} |",
        f"| READY minus the first expected time, median | {r['miss_median']:+.1f} s |",
        f"| READY minus the first expected time, p95 of its size | {r['miss_abs_p95']:.1f} s |",
    ]
    if r["transitions"]:
        lines.append("| state transitions per stack, retries included (min / median / max) | {} / {} / {} |".format(*r["transitions"]))
        lines.append("| Lambda invocations per stack (min / median / max) | {} / {} / {} |".format(*r["invocations"]))
    lines += [
        f"| stacks DELETED after their DELETE | {n - len(r['not_deleted'])} of {n} |",
        f"| deletion makespan (first DELETE to last DELETED) | {r['delete_makespan']:.1f} s |",
        f"| left in the account after the deletes | {len(r['left'])} |",
        "",
        "The lower bound: one certificate issuance (ACM publishes the validation record "
        "`acm_record_lag` after the request and validates it `acm_issue` after it is in DNS), "
        "then `CreateDomainName` once per "
        f"{r['window']:.1f} s window for each stack in turn, then one deployment and one propagation. "
        "The readiness lag includes each stack's wait for its turn. The k-th READY's bound: the k-th "
        "stack to be READY cannot be sooner than the first POST plus one issuance, k - 1 windows, "
        "one deployment and one propagation; the lag beyond it is what edgestack adds (its turns' "
        "round trips among it: each turn's call goes a window after the answer to the one before, see the README). The expected READY "
        "time is the API's `expected_ready_at` at the first poll that showed one: none before the "
        "watcher has seen each of AWS's waits end once, which a fresh account's first stacks have not.",
        "",
        "### Where the start's lag goes",
        "",
        "From POST to the certificate's issuance seen, segment by segment (each stack's step "
        "records). The transitions and invocations between steps are the local engine's and "
        "cargo-lambda's on this machine (in real seconds, where AWS's are scaled), and most of "
        "their time is a queue AWS would not have: cargo-lambda runs a few instances of each "
        "function (`LAMBDA_CONCURRENCY`, 8 by default; at 16 or 50 not all of them started on this "
        "machine, cargo-lambda logging `MaxFilesWatch`), where AWS gives each concurrent invocation an execution "
        "environment of its own (Lambda developer guide, \"Lambda scaling behavior\"); "
        + (f"`request_certificates` ran {times(r['request_attempts'][0])} at the median "
         f"({times(r['request_attempts'][1])} at most)." if r["request_attempts"] else
         "no stack was READY."),
        "",
        "| segment | median | p90 |",
        "| --- | ---: | ---: |",
        *[f"| {name} | {median:.2f} s | {p90:.2f} s |" for name, (median, p90) in r["start_segments"]],
        "",
        "### AWS calls per stack, by operation",
        "",
        "DynamoDB's and Step Functions' counts include the API's answers to this benchmark's own "
        "polling (`GET /stacks` once a second, as a portal would poll).",
        "",
        "| operation | provisioning | deletion | refused by the account's rate limits (both) |",
        "| --- | ---: | ---: | ---: |",
    ]
    provisioned, deleted = r["provisioned_calls"], r["deleted_calls"]
    operations = sorted(set(provisioned["calls"]) | set(deleted["calls"]))
    for op in operations:
        limited = provisioned["rate_limited"].get(op, 0) + deleted["rate_limited"].get(op, 0)
        lines.append(f"| {op} | {provisioned['calls'].get(op, 0) / n:.1f} | {deleted['calls'].get(op, 0) / n:.1f} | {limited} |")
    if r["failed"] or r["not_deleted"] or r["left"]:
        lines += ["", "### What went wrong", ""]
        lines += [f"- not READY: {i}: {error}" for i, error in r["failed"].items()]
        lines += [f"- not DELETED: {i}" for i in r["not_deleted"]]
        lines += [f"- left: {what}" for what in r["left"]]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--throttled", type=float, default=0.3, help="share of the provisioned services' calls throttled")
    parser.add_argument("--out", default="docs/benchmarks.md")
    parser.add_argument("--command", default=None, help="the command to name in the report (make bench passes its own)")
    parser.add_argument("--raw", default=None,
                        help="where to keep the run's raw records (the stacks as the API answered them, the "
                             "account's config and counts) for a closer look; none by default")
    args = parser.parse_args()
    e = env()
    os.environ.update({k: v for k, v in e.items() if k.startswith("AWS_")})
    result = Bench(e, args.stacks, args.throttled, args.raw).run()
    command = args.command or "python bench/burst.py " + " ".join(sys.argv[1:])
    text = markdown(result, command)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)
    print(text)
    return 1 if result["failed"] or result["not_deleted"] or result["left"] else 0


if __name__ == "__main__":
    sys.exit(main())
