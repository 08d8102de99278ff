"""`make demo`, the end: a READY stack's outputs and a call of the API through its distribution.

Reads the stack, as `edgestack create --output json` printed it, from standard input. Locally
there is no CloudFront data plane: the call goes to the edge stand-in (local/edge.py, EDGE_URL
of .local/env), which answers for the distribution's names as CloudFront would.
"""

import json
import os
import sys
import urllib.error
import urllib.request


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
Locally there is no CloudFront data plane; the edge stand-in (local/edge.py) answers for the
distribution's names:
  curl -H 'Host: {name}' {edge}/greetings""")
    request = urllib.request.Request(f"{edge}/greetings", headers={"Host": name})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            print(f"  → {response.status} {response.read().decode()}")
    except urllib.error.HTTPError as e:
        print(f"  → {e.code} {e.read().decode()}")
    principal = os.environ["DEMO_PRINCIPAL"]
    print(f"""
See the stack:  target/debug/edgestack get {stack['id']} --principal {principal}
Tear it down:   target/debug/edgestack delete {stack['id']} --principal {principal} --wait""")


if __name__ == "__main__":
    main()
