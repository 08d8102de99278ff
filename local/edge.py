#!/usr/bin/env python3
"""The local stand-in for CloudFront's data plane (there is none on one machine).

The smoke-test step sends its request here (EDGE_OVERRIDE_URL) with the Host it would use in
AWS. Like CloudFront, the edge answers only for a host that a distribution in the emulated
account serves (its *.cloudfront.net name or an alias); anything else is a 421. For a known
host it answers as API Gateway would behind it: 200 with `x-amzn-RequestId`, or, when the
stack's API uses IAM and the request carries no SigV4 `Authorization`, API Gateway's 403
"Missing Authentication Token". Every request is logged without its header values.
"""

import argparse
import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3


def distributions(endpoint):
    client = boto3.client("cloudfront", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    items = client.list_distributions().get("DistributionList", {}).get("Items", [])
    return items


def uses_iam(summary):
    # The shared IAM cache policy is the one edgestack gives `auth: iam` stacks.
    behavior = summary.get("DefaultCacheBehavior", {})
    return behavior.get("CachePolicyId", "") not in ("", "4135ea2d-6df8-44a3-9df3-4b5a84be39ad")


class Edge(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    endpoint = ""

    def answer(self, status, body, api_gateway):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Via", "1.1 local-edge (edgestack)")
        if api_gateway:
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def handle_any(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        found = None
        for summary in distributions(self.endpoint):
            aliases = summary.get("Aliases", {}).get("Items", []) or []
            if host == summary.get("DomainName", "").lower() or host in [a.lower() for a in aliases]:
                found = summary
                break
        if found is None:
            return self.answer(421, {"message": f"no distribution serves {host}"}, api_gateway=False)
        authorization = self.headers.get("Authorization", "")
        if uses_iam(found) and not authorization.startswith("AWS4-HMAC-SHA256 "):
            return self.answer(403, {"message": "Missing Authentication Token"}, api_gateway=True)
        return self.answer(200, {"message": "hello from the local edge", "distribution": found["Id"],
                                 "path": self.path, "signed": bool(authorization)}, api_gateway=True)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_any

    def log_message(self, fmt, *args):
        sys.stderr.write("edge: %s %s %s\n" % (self.command, self.headers.get("Host"), self.path))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--aws-endpoint", required=True)
    args = parser.parse_args()
    Edge.endpoint = args.aws_endpoint
    ThreadingHTTPServer(("127.0.0.1", args.port), Edge).serve_forever()


if __name__ == "__main__":
    main()
