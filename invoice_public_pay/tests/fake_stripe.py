"""A small fake of Stripe's API on 127.0.0.1 for the Odoo tests.

It answers the endpoints the addon (through the official ``stripe`` SDK) and Odoo's
``payment_stripe`` (through ``requests``) call, with bodies shaped like the objects of
Stripe's API reference, and records every request (method, path, headers, form
parameters) for the tests to assert on.

What it proves: the requests we send (amounts in minor units, the ConfirmationToken,
the API version, idempotency keys) and what we and ``payment_stripe`` do with Stripe's
documented answers. What it cannot prove: that Stripe accepts these requests; that is
the job of the opt-in test-mode run (``scripts/stripe-test-mode.sh``).
"""

import itertools
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

#: Outcomes a ConfirmationToken can be given for the payment confirmed with it.
OUTCOMES = ("succeeded", "requires_action", "declined")
MAX_BODY_BYTES = 64 * 1024


def _error(status, error_type, message, code=None, **extra):
    return status, {"error": {"type": error_type, "message": message, "code": code, **extra}}


class FakeStripe:
    """The fake API: its objects, its request log, and the HTTP server serving them."""

    def __init__(self):
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.requests = []
        self.confirmation_tokens = {}
        self.payment_intents = {}
        self.payment_methods = {}
        self._outcomes = {}
        self._idempotent_answers = {}
        self._answers_to_lose = 0
        self._server = None
        self._thread = None

    # ------------------------------------------------------------------
    # Server
    # ------------------------------------------------------------------

    @property
    def url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                fake._handle(self)

            def do_POST(self):  # noqa: N802
                fake._handle(self)

            def log_message(self, *args):  # quiet: the test log is Odoo's
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-stripe", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)

    def _handle(self, handler):
        split = urlsplit(handler.path)
        length = min(int(handler.headers.get("Content-Length") or 0), MAX_BODY_BYTES)
        body = handler.rfile.read(length).decode() if length else ""
        params = dict(parse_qsl(body or split.query, keep_blank_values=True))
        record = {
            "method": handler.command,
            "path": split.path,
            "headers": {name.lower(): value for name, value in handler.headers.items()},
            "params": params,
        }
        with self._lock:
            self.requests.append(record)
            key = record["headers"].get("idempotency-key")
            if handler.command == "POST" and key and (split.path, key) in self._idempotent_answers:
                first_params, status, answer = self._idempotent_answers[(split.path, key)]
                if first_params != params:
                    # As Stripe: a key is bound to the parameters of its first request.
                    status, answer = _error(400, "idempotency_error", "Keys for idempotent requests can only "
                                            "be used with the same parameters they were first used with.")
            else:
                status, answer = self._route(handler.command, split.path, params)
                if handler.command == "POST" and key:
                    self._idempotent_answers[(split.path, key)] = (params, status, answer)
            if self._answers_to_lose and handler.command == "POST":
                # Carried out, but answered with an error, which Stripe keeps under the
                # request's idempotency key as it does any answer: a replay gets it again.
                self._answers_to_lose -= 1
                status, answer = _error(500, "api_error", "An unknown error occurred.")
                if key:
                    self._idempotent_answers[(split.path, key)] = (params, status, answer)
        payload = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.send_header("Request-Id", f"req_{next(self._ids)}")
        handler.end_headers()
        handler.wfile.write(payload)

    # ------------------------------------------------------------------
    # Objects the tests set up
    # ------------------------------------------------------------------

    def _new_id(self, prefix):
        return f"{prefix}_fake{next(self._ids):08d}"

    @staticmethod
    def _card(funding, country, brand, wallet):
        return {
            "brand": brand, "country": country, "funding": funding, "last4": "4242",
            "exp_month": 12, "exp_year": 2030, "display_brand": brand,
            "wallet": {"type": wallet, wallet: {}} if wallet else None,
        }

    def add_confirmation_token(self, funding="credit", country="US", brand="visa", wallet=None,
                               outcome="succeeded", expired=False, payment_method_type="card", token_id=None):
        """A ConfirmationToken as Stripe.js would create it for a card; ``outcome``: what confirming it does."""
        assert outcome in OUTCOMES
        token_id = token_id or self._new_id("ctoken")
        now = int(time.time())
        preview = {"type": payment_method_type, "billing_details": {"name": None, "email": None}}
        if payment_method_type == "card":
            preview["card"] = self._card(funding, country, brand, wallet)
        self.confirmation_tokens[token_id] = {
            "id": token_id,
            "object": "confirmation_token",
            "created": now,
            "expires_at": now - 60 if expired else now + 12 * 3600,
            "livemode": False,
            "mandate_data": None,
            "payment_intent": None,
            "payment_method_preview": preview,
            "return_url": None,
            "setup_future_usage": None,
            "setup_intent": None,
            "shipping": None,
            "use_stripe_sdk": True,
        }
        self._outcomes[token_id] = outcome
        return token_id

    def add_payment_method(self, funding="credit", country="US", brand="visa", customer=None):
        """A saved card's PaymentMethod."""
        method_id = self._new_id("pm")
        self.payment_methods[method_id] = {
            "id": method_id, "object": "payment_method", "type": "card", "livemode": False,
            "customer": customer, "card": self._card(funding, country, brand, None),
            "billing_details": {"name": None, "email": None},
        }
        return method_id

    def finish_next_action(self, intent_id, status="succeeded"):
        """The customer completes (or fails) the 3-D Secure challenge of a PaymentIntent."""
        intent = self.payment_intents[intent_id]
        intent["status"] = status
        intent["next_action"] = None
        if status == "requires_payment_method":
            intent["last_payment_error"] = {"type": "card_error", "message": "Authentication failed."}

    def lose_answers(self, count):
        """The next ``count`` POST requests are carried out but answered with an HTTP 500 (kept, as Stripe does)."""
        self._answers_to_lose = count

    def reset(self):
        """Forget everything (each test's database starts afresh, and its references repeat)."""
        with self._lock:
            self.requests.clear()
            self._idempotent_answers.clear()
            self.confirmation_tokens.clear()
            self.payment_intents.clear()
            self.payment_methods.clear()
            self._outcomes.clear()
            self._answers_to_lose = 0

    def calls(self, method, path_pattern):
        """The recorded requests matching ``method`` and the regular expression ``path_pattern``."""
        return [r for r in self.requests if r["method"] == method and re.fullmatch(path_pattern, r["path"])]

    # ------------------------------------------------------------------
    # Endpoints
    # ------------------------------------------------------------------

    def _route(self, method, path, params):
        if not path.startswith("/v1/"):
            return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")
        parts = path[len("/v1/"):].split("/")
        if method == "GET" and parts == ["payment_intents", "search"]:
            return self._search_intents(params)
        handlers = {
            ("GET", "confirmation_tokens", 2): lambda: self._get("confirmation_tokens", parts[1]),
            ("GET", "payment_methods", 2): lambda: self._get("payment_methods", parts[1]),
            ("GET", "payment_intents", 2): lambda: self._get_intent(parts[1], params),
            ("POST", "payment_intents", 1): lambda: self._create_intent(params),
            ("POST", "payment_intents", 3): lambda: self._update_intent(parts[1], parts[2]),
            ("POST", "customers", 1): lambda: (200, {"id": self._new_id("cus"), "object": "customer", **{
                key: params.get(key) for key in ("name", "email", "description")
            }}),
            ("POST", "refunds", 1): lambda: self._refund(params),
        }
        handler = handlers.get((method, parts[0], len(parts)))
        if not handler:
            return _error(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")
        return handler()

    def _get(self, collection, object_id):
        found = getattr(self, collection).get(object_id)
        if not found:
            kind = collection[:-1].replace("_", "")
            return _error(404, "invalid_request_error", f"No such {kind}: '{object_id}'",
                          code="resource_missing", param="id")
        return 200, found

    @staticmethod
    def _expand(params):
        return {value for key, value in params.items() if key.startswith("expand[")}

    def _intent_answer(self, intent, params):
        answer = dict(intent)
        expand = self._expand(params)
        if "payment_method" in expand and intent.get("payment_method"):
            answer["payment_method"] = self.payment_methods.get(intent["payment_method"], intent["payment_method"])
        if "latest_charge" in expand and intent.get("latest_charge"):
            method = self.payment_methods.get(intent["payment_method"]) or {}
            answer["latest_charge"] = {
                "id": intent["latest_charge"], "object": "charge", "amount": intent["amount"],
                "payment_method_details": {"type": "card", "card": dict(method.get("card") or {}, mandate=None)},
            }
        return answer

    def _get_intent(self, intent_id, params):
        if intent_id not in self.payment_intents:
            return self._get("payment_intents", intent_id)
        return 200, self._intent_answer(self.payment_intents[intent_id], params)

    def _search_intents(self, params):
        """Stripe's search, for the one query the addon makes: ``metadata['odoo_reference']:'<reference>'``."""
        match = re.fullmatch(r"metadata\['odoo_reference'\]:'((?:[^'\\]|\\.)*)'", params.get("query", ""))
        if not match:
            return _error(400, "invalid_request_error", "Invalid search query.", param="query")
        reference = re.sub(r"\\(.)", r"\1", match.group(1))
        found = [self._intent_answer(intent, {"expand[0]": "payment_method", "expand[1]": "latest_charge"})
                 for intent in self.payment_intents.values()
                 if intent["metadata"].get("odoo_reference") == reference]
        return 200, {"object": "search_result", "data": found, "has_more": False, "next_page": None}

    def _create_intent(self, params):
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            return _error(400, "invalid_request_error", "Missing required param: amount.", param="amount")
        intent_id = self._new_id("pi")
        manual = params.get("capture_method") == "manual"
        intent = {
            "id": intent_id, "object": "payment_intent", "amount": amount, "amount_received": 0,
            "currency": params.get("currency"), "description": params.get("description"),
            "capture_method": params.get("capture_method", "automatic"),
            "client_secret": f"{intent_id}_secret_fake", "customer": params.get("customer"),
            "last_payment_error": None, "next_action": None, "payment_method": None, "latest_charge": None,
            "status": "requires_payment_method", "livemode": False,
            "metadata": {key[len("metadata["):-1]: value for key, value in params.items()
                         if key.startswith("metadata[")},
        }
        token_id = params.get("confirmation_token")
        if token_id:
            token = self.confirmation_tokens.get(token_id)
            if not token:
                return _error(400, "invalid_request_error", f"No such confirmationtoken: '{token_id}'",
                              code="resource_missing", param="confirmation_token")
            if token["payment_intent"] or token["setup_intent"] or token["expires_at"] <= time.time():
                return _error(400, "invalid_request_error", "This ConfirmationToken cannot be used any more.",
                              code="confirmation_token_expired", param="confirmation_token")
            card = token["payment_method_preview"].get("card") or {}
            method_id = self.add_payment_method(card.get("funding", "credit"), card.get("country", "US"),
                                                card.get("brand", "visa"), customer=params.get("customer"))
            token["payment_intent"] = intent_id
            intent["payment_method"] = method_id
            outcome = self._outcomes[token_id]
            if outcome == "declined":
                intent["last_payment_error"] = {"type": "card_error", "code": "card_declined",
                                                "message": "Your card was declined."}
                self.payment_intents[intent_id] = intent
                return _error(402, "card_error", "Your card was declined.", code="card_declined",
                              decline_code="generic_decline", payment_intent=intent)
            if outcome == "requires_action":
                intent["status"] = "requires_action"
                intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
            else:
                intent["status"] = "requires_capture" if manual else "succeeded"
                intent["amount_received"] = 0 if manual else amount
                intent["latest_charge"] = self._new_id("ch")
        elif params.get("confirm") in ("true", "True") and params.get("payment_method"):
            # payment_stripe's saved-card charge (off_session).
            intent["payment_method"] = params["payment_method"]
            intent["status"] = "requires_capture" if manual else "succeeded"
        self.payment_intents[intent_id] = intent
        return 200, self._intent_answer(intent, params)

    def _update_intent(self, intent_id, action):
        intent = self.payment_intents.get(intent_id)
        if not intent:
            return self._get("payment_intents", intent_id)
        if action == "capture":
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
        elif action == "cancel":
            intent["status"] = "canceled"
        else:
            return _error(404, "invalid_request_error", f"Unrecognized request URL (POST: {action}).")
        return 200, dict(intent)

    def _refund(self, params):
        intent = self.payment_intents.get(params.get("payment_intent"))
        if not intent:
            return _error(400, "invalid_request_error", "No such payment_intent.", code="resource_missing")
        return 200, {
            "id": self._new_id("re"), "object": "refund", "amount": int(params.get("amount") or intent["amount"]),
            "currency": intent["currency"], "payment_intent": intent["id"], "status": "succeeded",
            "charge": self._new_id("ch"),
        }
