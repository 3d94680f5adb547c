"""Schemathesis hooks of the API fuzz run (test/fuzz/openapi-fuzz.test.ts).

Hypothesis draws short strings most of the time, so nearly every generated Idempotency-Key is
"0" or another short repeat: the API then rightly answers 422 (same key, different body) and the
payment logic behind the key is never reached. Three requests in four get a key made unique by
a counter suffix (still 1-255 characters, as documented); the fourth keeps the generated key, so
replays (`Idempotent-Replayed`), 409 and 422 stay covered. Keys outside 1-255 characters (the
negative cases) are sent as generated. Every other upload-attachment case carries a real file
(`real_upload`). Deterministic: the counters are the only state.
"""

import itertools

import schemathesis

IDEMPOTENCY_HEADERS = ("Idempotency-Key", "Tracking-Key")
_calls = itertools.count(1)


@schemathesis.hook
def before_call(context, case, kwargs):
    real_upload(case)
    n = next(_calls)
    if n % 4 == 0 or not case.headers:
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
