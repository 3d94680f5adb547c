"""Drives tokenpay with Ottu's own Python SDK (ottu-py), as an Ottu merchant's backend would.

Run by test/ottu/ottu-py.test.ts inside the ottu-py virtual environment. Every method of the
SDK's checkout, cards, payment-methods, auto-debit and operations surface is called, plus
`checkout_autoflow` and `auto_debit_autoflow`; the only change from a production integration is
`host_url`, pointed at the test API (as a developer testing locally would). The customer's part
(paying on the checkout page) is played by plain HTTP calls to tokenpay's submit endpoint.

Writes one JSON document to argv[1]: every step with the HTTP operation it is, the SDK's result
(`success`, `status_code`, `endpoint`, `response`, `error`) and the checks the SDK itself made
(webhook signatures verified with `ottu.utils.webhooks.verify_signature`). The Jest test asserts
on it and validates every answer against the pinned Ottu OpenAPI document.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

import httpx
from ottu import Ottu
from ottu.auth import APIKeyAuth
from ottu.enums import TxnType
from ottu.session import Session
from ottu.utils.webhooks import verify_signature

BASE_URL = os.environ["TOKENPAY_URL"]
API_KEY = os.environ["TOKENPAY_API_KEY"]
HMAC_KEY = os.environ["TOKENPAY_HMAC_KEY"]
RUN = os.environ.get("TOKENPAY_RUN_ID", str(int(time.time())))
CUSTOMER = f"ottu-py-{RUN}"

NOCVV = "ottu_pg_kwd_tkn_nocvv"
CVV = "ottu_pg_kwd_tkn"
AUTH = "ottu_pg_kwd_auth"
VISA = "4242424242424242"
MASTERCARD = "5123450000000008"
AMEX = "378282246310005"

steps: list[dict] = []


def record(name: str, operation: str, result: dict, **extra) -> dict:
    steps.append({"name": name, "operation": operation, **result, **extra})
    return result


def new_ottu() -> Ottu:
    ottu = Ottu(merchant_id="tokenpay.test", auth=APIKeyAuth(API_KEY), customer_id=CUSTOMER)
    ottu.host_url = BASE_URL  # the one change: the base URL
    return ottu


def pay(session_id: str, pg_code: str, number: str, cvv: str = "123", save_card: bool = True) -> dict:
    """The customer pays on the checkout page (its JSON submit endpoint)."""
    with httpx.Client(base_url=BASE_URL, timeout=60) as client:
        client.get(f"/checkout/{session_id}")
        res = client.post(
            f"/checkout/{session_id}/submit",
            json={
                "pg_code": pg_code,
                "payment_method": "card",
                "card": {
                    "name_on_card": "Example Customer",
                    "number": number,
                    "expiry_month": "12",
                    "expiry_year": "39",
                    "cvv": cvv,
                },
                "save_card": save_card,
            },
        )
    body = res.json()
    if res.status_code != 200 or body.get("result") != "success":
        raise SystemExit(f"paying {session_id} failed: {res.status_code} {body}")
    return body


def signature_ok(payload: dict) -> bool:
    return bool(payload.get("signature")) and verify_signature(payload, payload["signature"], HMAC_KEY)


def pdf_file(name: str) -> str:
    path = os.path.join(tempfile.mkdtemp(prefix="ottu-py-"), name)
    with open(path, "wb") as f:
        f.write(b"%PDF-1.4\n% an invoice for the customer\n%%EOF\n")
    return path


def main() -> None:
    ottu = new_ottu()
    create = "POST /b/checkout/v1/pymt-txn/"
    one = "/b/checkout/v1/pymt-txn/{session_id}/"

    # --- payment methods and checkout_autoflow -----------------------------------------------
    record(
        "get_payment_methods",
        "POST /b/pbl/v2/payment-methods/",
        ottu.get_payment_methods(plugin=TxnType.E_COMMERCE, currencies=["KWD"], customer_id=CUSTOMER),
    )
    record(
        "get_payment_methods(tokenizable)",
        "POST /b/pbl/v2/payment-methods/",
        ottu.get_payment_methods(plugin=TxnType.E_COMMERCE, currencies=["KWD"], tokenizable=True),
    )

    auto = ottu.checkout_autoflow(
        txn_type=TxnType.E_COMMERCE,
        amount="19.5",
        currency_code="KWD",
        customer_id=CUSTOMER,
        customer_email="customer@example.com",
        customer_first_name="Example",
        billing_address={"line1": "1 Gulf Road", "city": "Kuwait City", "country": "KW"},
        order_no=f"order-{RUN}-1",
        extra={"cart": "c-1"},
        include_sdk_setup_preload=False,
    )
    record("checkout_autoflow", create, auto)
    session_id = auto["response"]["session_id"]

    record("Session.retrieve", f"GET {one}", ottu.session.retrieve(session_id=session_id))
    record("Session.refresh", f"GET {one}", ottu.session.refresh() or {})
    record(
        "Session.update",
        f"PATCH {one}",
        ottu.session.update(amount="21", customer_phone="+96550000000", expiration_time="0 12:00:00"),
    )
    record(
        "Session.update(attachment)",
        f"PATCH {one}",
        ottu.session.update(customer_last_name="Doe", attachment=pdf_file("invoice.pdf")),
    )
    attachment_url = ottu.session.attachment
    with httpx.Client(timeout=30) as client:
        download = client.get(attachment_url, headers={"Authorization": f"Api-Key {API_KEY}"})
        anonymous = client.get(attachment_url)
    steps.append(
        {
            "name": "attachment download",
            "download_status": download.status_code,
            "download_starts_with_pdf": download.content.startswith(b"%PDF"),
            "anonymous_status": anonymous.status_code,
        }
    )
    paid = pay(session_id, CVV, VISA)
    steps.append({"name": "customer paid", "state": paid["state"]})
    record("Session.psq", "POST /b/pbl/v2/inquiry/", ottu.session.psq(session_id=session_id))
    record(
        "Session.update(paid)",
        f"PATCH {one}",
        ottu.session.update(amount="1"),
    )
    refund = record("Session.refund", "POST /b/pbl/v2/operation/", ottu.session.refund(session_id=session_id, amount="5", tracking_key=f"refund-{RUN}"))
    steps[-1]["signature_verified"] = signature_ok(refund["response"])
    again = record("Session.refund(same Tracking-Key)", "POST /b/pbl/v2/operation/", ottu.session.refund(session_id=session_id, amount="5", tracking_key=f"refund-{RUN}"))
    steps[-1]["same_reference"] = again["response"].get("reference_number") == refund["response"].get("reference_number")

    # --- create with an attachment (multipart), payment_request --------------------------------
    with_file = ottu.checkout(
        txn_type=TxnType.PAYMENT_REQUEST,
        amount="3.250",
        currency_code="KWD",
        pg_codes=[CVV, NOCVV],
        customer_id=CUSTOMER,
        generate_qr_code=True,
        attachment=pdf_file("terms.pdf"),
    )
    record("Session.create(attachment)", create, with_file)

    # --- authorize → capture, authorize → void ------------------------------------------------
    auth = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="10", currency_code="KWD", pg_codes=[AUTH], customer_id=CUSTOMER)
    record("Session.create(authorize)", create, auth)
    pay(auth["response"]["session_id"], AUTH, AMEX, cvv="1234", save_card=False)
    cap = record("Session.capture", "POST /b/pbl/v2/operation/", ottu.session.capture(session_id=auth["response"]["session_id"], amount="6", tracking_key=f"capture-{RUN}"))
    steps[-1]["signature_verified"] = signature_ok(cap["response"])
    auth2 = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="4", currency_code="KWD", pg_codes=[AUTH], customer_id=CUSTOMER)
    record("Session.create(authorize 2)", create, auth2)
    pay(auth2["response"]["session_id"], AUTH, AMEX, cvv="1234", save_card=False)
    void = record("Session.void", "POST /b/pbl/v2/operation/", ottu.session.void(session_id=auth2["response"]["session_id"], tracking_key=f"void-{RUN}"))
    steps[-1]["signature_verified"] = signature_ok(void["response"])

    # --- cancel, expire, delete, ops by order_no -----------------------------------------------
    for op in ("cancel", "expire", "delete"):
        created = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="2", currency_code="KWD", pg_codes=[CVV], order_no=f"order-{RUN}-{op}")
        record(f"Session.create({op})", create, created)
        sid = created["response"]["session_id"]
        if op == "cancel":
            record("Session.cancel", "POST /b/pbl/v2/operation/", ottu.session.cancel(session_id=sid))
        elif op == "expire":
            record("Session.expire(order_no)", "POST /b/pbl/v2/operation/", ottu.session.expire(order_id=f"order-{RUN}-expire", session_id=""))
        else:
            record("Session.delete", "POST /b/pbl/v2/operation/", ottu.session.delete(session_id=sid))
            record("Session.retrieve(deleted)", f"GET {one}", ottu.session.retrieve(session_id=sid))
    record("Session.ops(unknown state)", "POST /b/pbl/v2/operation/", ottu.session.ops(operation="capture", session_id=session_id).as_dict())

    # --- agreements: auto_debit_autoflow, auto_debit, cards ------------------------------------
    agreement = {"id": f"agr-{RUN}", "type": "recurring", "frequency": "monthly", "amount_variability": "variable", "cycle_interval_days": 1, "total_cycles": 12, "expiry_date": "2039-12-31"}
    first = ottu.checkout(
        txn_type=TxnType.E_COMMERCE, amount="5", currency_code="KWD", pg_codes=[NOCVV],
        customer_id=CUSTOMER, payment_type="auto_debit", agreement={"id": f"agr-{RUN}", "type": "recurring", "frequency": "monthly"},
    )
    record("Session.create(auto_debit, first)", create, first)
    card_a = pay(first["response"]["session_id"], NOCVV, MASTERCARD)["token"]["token"]

    record("Card.list", "POST /b/pbl/v2/card/", ottu.cards.list())
    record("Card.get_cards(agreement_id)", "POST /b/pbl/v2/card/", ottu.cards.get_cards(agreement_id=agreement["id"]))
    got = ottu.cards.get(agreement_id=agreement["id"])
    steps.append({"name": "Card.get(agreement_id)", "token": (got or {}).get("token"), "expected": card_a})

    class MerchantSession(Session):
        """An integrator's Session: the agreement's card comes from tokenpay's card list."""

        def get_token_from_db(self, agreement, customer_id) -> str:
            return self.ottu.cards.get(customer_id=customer_id, agreement_id=agreement["id"])["token"]

    ottu2 = new_ottu()
    ottu2.session_cls = MerchantSession
    flow = ottu2.auto_debit_autoflow(
        txn_type=TxnType.E_COMMERCE, amount="7.5", currency_code="KWD", customer_id=CUSTOMER,
        agreement={"id": agreement["id"], "type": "recurring", "frequency": "monthly"},
    )
    record("auto_debit_autoflow(token from get_token_from_db)", "POST /b/pbl/v2/auto-debit/", flow)
    steps[-1]["signature_verified"] = signature_ok(flow.get("response") or {})

    flow2 = ottu.auto_debit_autoflow(
        txn_type=TxnType.E_COMMERCE, amount="7.5", currency_code="KWD", customer_id=CUSTOMER,
        agreement={"id": agreement["id"], "type": "recurring", "frequency": "monthly"}, pg_codes=[NOCVV], token=card_a,
    )
    record("auto_debit_autoflow(token, pg_codes)", "POST /b/pbl/v2/auto-debit/", flow2)

    # the two-step path, at both of Ottu's paths
    two = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="1.5", currency_code="KWD", pg_codes=[NOCVV], customer_id=CUSTOMER, payment_type="auto_debit", agreement={"id": agreement["id"]})
    record("Session.create(auto_debit)", create, two)
    charged = record("Ottu.auto_debit", "POST /b/pbl/v2/auto-debit/", ottu.auto_debit(token=card_a, session_id=two["response"]["session_id"]))
    steps[-1]["signature_verified"] = signature_ok(charged["response"])
    three = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="1.5", currency_code="KWD", pg_codes=[NOCVV], customer_id=CUSTOMER, payment_type="auto_debit", agreement={"id": agreement["id"]})
    record("Session.create(auto_debit, 3)", create, three)
    record(
        "raw POST /b/pbl/v2/payment/auto-debit/",
        "POST /b/pbl/v2/payment/auto-debit/",
        ottu.raw("POST", "/b/pbl/v2/payment/auto-debit/", json={"session_id": three["response"]["session_id"], "token": card_a}).as_dict(),
    )

    # a card of another agreement is not charged under this one
    other = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="2", currency_code="KWD", pg_codes=[NOCVV], customer_id=CUSTOMER, payment_type="auto_debit", agreement={"id": f"agr-other-{RUN}"})
    record("Session.create(other agreement)", create, other)
    card_b = pay(other["response"]["session_id"], NOCVV, VISA)["token"]["token"]
    four = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="1", currency_code="KWD", pg_codes=[NOCVV], customer_id=CUSTOMER, payment_type="auto_debit", agreement={"id": agreement["id"]})
    record("Session.create(auto_debit, 4)", create, four)
    record("Ottu.auto_debit(card of another agreement)", "POST /b/pbl/v2/auto-debit/", ottu.auto_debit(token=card_b, session_id=four["response"]["session_id"]))
    plain = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="1", currency_code="KWD", pg_codes=[NOCVV], customer_id=CUSTOMER)
    record("Session.create(one_off)", create, plain)
    record("Ottu.auto_debit(one_off payment)", "POST /b/pbl/v2/auto-debit/", ottu.auto_debit(token=card_a, session_id=plain["response"]["session_id"]))

    # the agreement's card is locked until another replaces it there
    record("Card.delete(linked)", "DELETE /b/pbl/v2/card/{token}/", ottu.cards.delete(token=card_a))
    pay(four["response"]["session_id"], NOCVV, VISA)  # the customer pays this cycle with card B
    steps.append({"name": "Card.get(agreement_id) after replacement", "token": (ottu.cards.get(agreement_id=agreement["id"]) or {}).get("token"), "expected": card_b})
    record("Card.delete(released)", "DELETE /b/pbl/v2/card/{token}/", ottu.cards.delete(token=card_a))

    # --- bodies as forms, Ottu-only services, raw -----------------------------------------------
    record(
        "raw form-urlencoded card list",
        "POST /b/pbl/v2/card/",
        ottu.raw("POST", "/b/pbl/v2/card/", data={"type": "sandbox", "customer_id": CUSTOMER, "agreement_id": agreement["id"]}).as_dict(),
    )
    record(
        "raw form-urlencoded create",
        create,
        ottu.raw(
            "POST", create.split(" ")[1],
            data={"type": "e_commerce", "amount": "1.25", "currency_code": "KWD", "pg_codes": [CVV, NOCVV], "customer_id": CUSTOMER, "billing_address[line1]": "1 Gulf Road", "billing_address[city]": "Kuwait City", "billing_address[country]": "KW", "extra": json.dumps({"from": "form"})},
        ).as_dict(),
    )
    full = ottu.checkout(txn_type=TxnType.E_COMMERCE, amount="2", currency_code="KWD", pg_codes=[CVV])
    record("Session.create(for PUT)", create, full)
    record(
        "raw PUT full update",
        f"PUT {one}",
        ottu.raw(
            "PUT", f"/b/checkout/v1/pymt-txn/{full['response']['session_id']}/",
            json={"type": "payment_request", "amount": "2.5", "currency_code": "KWD", "pg_codes": [CVV, NOCVV]},
        ).as_dict(),
    )
    with open(pdf_file("receipt.pdf"), "rb") as f:
        record(
            "raw upload-attachment",
            "POST /b/checkout/v1/upload-attachment/",
            ottu.raw(
                "POST", "/b/checkout/v1/upload-attachment/",
                data={"session_id": full["response"]["session_id"]}, files={"file": ("receipt.pdf", f.read(), "application/pdf")},
            ).as_dict(),
        )
    record(
        "raw upload-attachment(exe)",
        "POST /b/checkout/v1/upload-attachment/",
        ottu.raw("POST", "/b/checkout/v1/upload-attachment/", files={"file": ("invoice.pdf", b"MZ\x90\x00binary", "application/pdf")}).as_dict(),
    )
    record("raw cash payment", "POST /b/pbl/v2/payment/cash/", ottu.raw("POST", "/b/pbl/v2/payment/cash/", json={"session_id": session_id}).as_dict())

    with open(sys.argv[1], "w") as f:
        json.dump({"customer": CUSTOMER, "steps": steps}, f, indent=1, default=str)


if __name__ == "__main__":
    main()
