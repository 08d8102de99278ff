"""schemathesis hooks for scripts/contract.sh (loaded through SCHEMATHESIS_HOOKS).

CPython 3.11 before 3.11.8 and 3.12 before 3.12.2 (gh-106905) can raise
`SystemError: AST constructor recursion depth mismatch` from `ast.parse` of a large module.
Hypothesis parses schemathesis' own sources that way only to describe a filter's lambda in a
strategy's repr; a failed description must not end a test run, so it falls back to the
placeholder hypothesis itself uses when it cannot find a lambda's source.
"""

from hypothesis.internal import lambda_sources

_describe = lambda_sources.lambda_description


def _lambda_description(f):
    try:
        return _describe(f)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources.lambda_description = _lambda_description


import sys

import requests
import schemathesis

# cargo-lambda's local function URL (the local stack's stand-in for API Gateway) answers some
# requests with a 500 of its own, this problem document as text/plain, instead of the
# function's answer: always for header values that are not ASCII (it cannot turn them into a
# Lambda event, and never invokes the function), and now and then under load. The function
# itself only ever answers JSON in the contract's error shape; a panic in it would come back
# through the emulator in this same form, though, so such a 500 is dropped only when it is
# not the function's: a non-ASCII header, or the same request sent again is answered below 500.
_EMULATOR_500 = '"type":"https://httpstatuses.com/500"'


def _has_non_ascii_header(request) -> bool:
    for value in request.headers.values():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if not text.isascii():
            return True
    return False


def _answered_below_500_again(request) -> bool:
    try:
        with requests.Session() as session:
            again = session.send(request.copy(), timeout=60)
    except requests.RequestException:
        return False
    return again.status_code < 500


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if response.status_code != 500 or _EMULATOR_500 not in (response.text or ""):
        return True
    request = response.request
    if _has_non_ascii_header(request):
        reason = "a header value that is not ASCII"
    elif _answered_below_500_again(request):
        reason = "answered below 500 when sent again"
    else:
        return True
    print(f"contract_hooks: dropped the emulator's 500 for {request.method} {request.url} ({reason})", file=sys.stderr)
    return False
