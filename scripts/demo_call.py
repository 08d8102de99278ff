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
    principal = os.environ["DEMO_PRINCIPAL"]
    print(f"\n=== stack {stack['id']} is READY; its outputs:")
    print(json.dumps(outputs, indent=2))
    print(f"""
Call the API through the distribution (in AWS, once DNS has it):
  curl {outputs['endpoint_url']}/greetings
Locally, CloudFront's and API Gateway's data plane answers at EDGE_URL for the distribution's
names:
  curl -H 'Host: {name}' {edge}/greetings
or as a client of the stack, whatever its shape (signed when its API uses IAM):
  target/debug/edgestack call {stack['id']} /greetings --principal {principal}

See the stack:  target/debug/edgestack get {stack['id']} --principal {principal}
Tear it down:   target/debug/edgestack delete {stack['id']} --principal {principal} --wait""")


if __name__ == "__main__":
    main()
