"""`make demo`: a READY stack's outputs, and how a client calls the API through its distribution.

Reads the stack, as `edgestack create --output json` printed it, from standard input.
"""

import json
import os
import sys


def main():
    stack = json.load(sys.stdin)
    outputs = stack["outputs"]
    name = stack["request"]["custom_domain"]["name"]
    edge = os.environ["EDGE_URL"].rstrip("/")
    print(f"\n=== stack {stack['id']} is READY; its outputs:")
    print(json.dumps(outputs, indent=2))
    print(f"""
Call the API through the distribution (in AWS, once DNS has it):
  curl {outputs['endpoint_url']}/greetings
Locally, CloudFront's and API Gateway's data plane answers at EDGE_URL for the distribution's
names:
  curl -H 'Host: {name}' {edge}/greetings
or as a client of the stack, whatever its shape (signed when its API uses IAM). The stack is
the team role's (edgestack-demo): sign as a session of it (scripts/demo_team.py reuses what it
made and prints a new session's credentials):
  eval "export $(.local/venv/bin/python scripts/demo_team.py 2>/dev/null | tail -n 1)"
  target/debug/edgestack call {stack['id']} /greetings

See the stack:  target/debug/edgestack get {stack['id']}
Tear it down:   target/debug/edgestack delete {stack['id']} --wait""")


if __name__ == "__main__":
    main()
