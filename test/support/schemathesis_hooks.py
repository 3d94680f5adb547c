"""Schemathesis hooks of the API fuzz run (test/fuzz/openapi-fuzz.test.ts).

Hypothesis draws short strings most of the time, so nearly every generated Idempotency-Key is
"0" or another short repeat: the API then rightly answers 422 (same key, different body) and the
payment logic behind the key is never reached. Three requests in four get a key made unique by
a counter suffix (still 1-255 characters, as documented); the fourth keeps the generated key, so
replays (`Idempotent-Replayed`), 409 and 422 stay covered. Keys outside 1-255 characters (the
negative cases) are sent as generated. Every other upload-attachment case carries a real file
(`real_upload`). Deterministic: the counters are the only state.

Gateway notifications (`POST /gateway/notifications`) are authenticated by an HMAC of the raw
body that no generator can guess: three in four are sent as exact JSON bytes with a signature
made now with the dev secret (the fourth keeps its generated header: 401), so the fuzzer reaches
the endpoint's parser, schema and forwarding.
"""

import hashlib
import hmac
import itertools
import json
import time

import schemathesis

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "Tracking-Key")
_calls = itertools.count(1)

NOTIFICATIONS_PATH = "/gateway/notifications"
SIGNATURE_HEADER = "Tokenpay-Gateway-Signature"
# DEV-ONLY default of TOKENPAY_GATEWAY_NOTIFY_SECRET (src/config.ts), which the fuzzed stack uses
NOTIFY_SECRET = b"dev-gateway-notify-secret"


def _sign_notification(case, kwargs):
    """Sends the generated notification as exact bytes, signed as the gateway signs them."""
    try:
        raw = json.dumps(case.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):
        return  # no JSON body (a negative case): sent as generated, refused unsigned
    t = int(time.time())
    v1 = hmac.new(NOTIFY_SECRET, f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    kwargs["data"] = raw
    case.headers = {**(case.headers or {}), SIGNATURE_HEADER: f"t={t},v1={v1}"}


@schemathesis.hook
def before_call(context, case, kwargs):
    real_upload(case)
    n = next(_calls)
    if n % 4 == 0:
        return
    # three notifications in four are signed, so they get past the signature to the parser
    if case.operation.path == NOTIFICATIONS_PATH and case.method.upper() == "POST":
        _sign_notification(case, kwargs)
    if not case.headers:
        return
    for name in IDEMPOTENCY_HEADERS:
        value = case.headers.get(name)
        if isinstance(value, str) and 0 < len(value.strip()) and len(value) <= 255:
            case.headers[name] = f"{value[:240]}~{n}"


UPLOAD_PATH = "/b/checkout/v1/upload-attachment/"
_uploads = itertools.count(1)


def real_upload(case):
    """Every other upload carries a real text file and no payment reference.

    Generated file parts are random bytes, which the API rightly refuses (the type is checked by
    content), and generated session ids name no payment (404): the success path would never be
    reached. Half of the cases keep what was generated, so those refusals stay covered.
    """
    if case.operation.path != UPLOAD_PATH or not isinstance(case.body, dict):
        return
    if next(_uploads) % 2:
        return
    case.body = {"file": b"a fuzz attachment, plain UTF-8 text"}
