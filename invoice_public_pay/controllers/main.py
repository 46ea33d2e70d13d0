import contextlib
import functools
import threading
from datetime import timedelta

import psycopg2
from werkzeug.exceptions import TooManyRequests, abort

from odoo import _, fields, http
from odoo.exceptions import ConcurrencyError, ValidationError
from odoo.http import request
from odoo.tools import SQL, consteq, format_date, mute_logger

from odoo.addons.payment.controllers import portal as payment_portal

from ..models.invoice_pay_link import PAYABLE_MOVE_TYPES, ROWS_PAGE_SIZE
from ..pay_core.tokens import is_well_formed_token, mask_pay_link_tokens
from ..render_limit import PDF_RETRY_AFTER_SECONDS, try_take_link_render_lock, try_take_pdf_render_slot
from ..stripe_helpers import stripe_minor_amount

INVOICE_PAY_ROUTE = "/invoice-pay/<string:token>"
# The unique index Odoo gives payment.transaction.reference (`_reference_uniq`).
REFERENCE_CONSTRAINT = "payment_transaction_reference_uniq"
# The payment summary lists this many invoices; beyond, one line ("214 invoices, $ 48,210.55").
SUMMARY_LINES_MAX = 5
# Invoices listed when the customer opens a collapsed summary.
SUMMARY_DETAILS_MAX = 100
# Card lookups with the payment provider per pay link, per two guess windows (15 minutes each).
CARD_READS_LIMIT = 30
# Questions about invoices per pay link, per two guess windows (15 minutes each).
QUESTIONS_LIMIT = 10
# Credit applications per pay link, per two guess windows (each a journal entry and notes).
CREDIT_APPLICATIONS_LIMIT = 10
# A Stripe page payment is charged within this time of its creation, or started again.
STRIPE_CONFIRM_WITHIN = timedelta(hours=1)
# Providers whose card lookups are requests to their API.
REMOTE_CARD_READERS = frozenset({"stripe"})
# One transaction per Stripe ConfirmationToken (`_invoice_pay_ctoken_unique`).
CONFIRMATION_TOKEN_CONSTRAINT = "payment_transaction_invoice_pay_ctoken_unique"
# Public pages: no login, read with GET only, rendered in the website/portal frame.
PAGE_ROUTE = {"type": "http", "auth": "public", "methods": ["GET"], "website": True, "sitemap": False}
# Public forms: the same, posted with Odoo's CSRF token (checked by Odoo).
FORM_ROUTE = {**PAGE_ROUTE, "methods": ["POST"]}
# Frontend routes too (website=True): they answer in the page's language, which Odoo
# keeps in the frontend_lang cookie.
JSON_ROUTE = {"type": "jsonrpc", "auth": "public", "methods": ["POST"], "website": True}
# Sent with every answer of the public routes: pages, error pages, PDFs and JSON.
PUBLIC_PAGE_HEADERS = {
    # The token is in the page's URL: never send it to another site.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
    # No framing by other sites (clickjacking), as Odoo's portal pages.
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
}


def json_rate_limited(route_method):
    """Answer HTTP 429 (with a JSON-RPC error) when the client is blocked for guessing links.

    Every answer of the JSON route also gets the public pages' headers.
    """

    @functools.wraps(route_method)
    def wrapper(self, *args, **kwargs):
        # Odoo adds these to the JSON answer it builds from the route's result.
        for name, value in PUBLIC_PAGE_HEADERS.items():
            request.future_response.headers.set(name, value)
        try:
            return route_method(self, *args, **kwargs)
        except TooManyRequests as error:
            # abort() with a response bypasses the JSON-RPC error handler, which would answer 200.
            abort(request.make_json_response({
                "jsonrpc": "2.0",
                "id": None,
                "error": {
                    "code": 429,
                    "message": "Too Many Requests",
                    "data": {"name": "werkzeug.exceptions.TooManyRequests", "message": error.description},
                },
            }, headers=list(PUBLIC_PAGE_HEADERS.items()), status=429))

    return wrapper


def page_rate_limited(route_method):
    """Answer the page's own HTTP 429 page when the client is blocked for guessing links."""

    @functools.wraps(route_method)
    def wrapper(self, *args, **kwargs):
        try:
            return route_method(self, *args, **kwargs)
        except TooManyRequests as error:
            return self._render_public(
                "invoice_public_pay.invoice_pay_too_many", {"message": error.description}, status=429,
            )

    return wrapper


class InvoicePayController(payment_portal.PaymentPortal):
    """Public pages of the invoice pay link.

    Thin: each route finds the link, reads its parameters, calls the link's
    model methods and renders. The link token is the only credential; no route
    trusts a figure computed by the browser.
    """

    # ------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------

    @staticmethod
    def _secure(response):
        """The response with the headers of every public answer."""
        response.headers.update(PUBLIC_PAGE_HEADERS)
        return response

    def _render_public(self, template, values, status=200):
        return self._secure(request.render(template, values, status=status))

    def _render_invalid_link(self, missing_document=False, token=None):
        """One answer for unknown, disabled and replaced tokens alike.

        With ``token``, the page offers to request a new link for it: a token of the
        right shape may have been a link, anything else never was one.
        """
        return self._render_public("invoice_public_pay.invoice_pay_invalid_link", {
            **self._business_values(),
            "missing_document": missing_document,
            "request_link_url": f"/invoice-pay/{token}/request-link" if is_well_formed_token(token) else None,
        }, status=404)

    @staticmethod
    def _business_values():
        """The business whose contact details the pages of links that do not work show.

        The company serving the request, the same whatever the token: the page never
        tells whose link a token was.
        """
        return {"business": request.env.company.sudo()}

    @staticmethod
    def _record_visit(link):
        """Log "opened" for a real visit: HEAD and OPTIONS (link scanners, prefetchers) are not one."""
        if request.httprequest.method == "GET":
            link._log_opened()

    @staticmethod
    def _client_key():
        # With --proxy-mode, Odoo has already replaced the address by the forwarded one.
        return request.httprequest.remote_addr or "unknown"

    def _find_link(self, token):
        """The enabled link of ``token``; unknown tokens count against the client's address.

        A client that made too many failed lookups gets 429 for unknown tokens
        until its window passes, so that guessing cannot go on. A valid link is
        always served: many customers may share an address (office, carrier NAT),
        and one of them guessing must not deny the others their page. A 256-bit
        token cannot be enumerated, so serving valid links teaches a guesser nothing.
        """
        # Odoo keeps the raw URL on the thread for its stack dumps (SIGQUIT, time limits).
        threading.current_thread().url = mask_pay_link_tokens(request.httprequest.url)
        link = request.env["invoice.pay.link"]._find_by_token(token)
        if link:
            return link
        Counter = request.env["invoice.pay.guess.counter"].sudo()
        client_key = self._client_key()
        if Counter._is_blocked(client_key):
            raise TooManyRequests(_("Too many invalid payment links were tried from your network. Please try again later."))
        Counter._record_failure(client_key)
        return link

    @staticmethod
    def _may_read_cards(link, provider):
        """Whether the page may ask ``provider`` about a card: it takes payments for the link's invoices."""
        return bool(provider) and provider.state != "disabled" and bool(request.env["account.move"].sudo().search_count(
            [*link._get_open_documents_domain(PAYABLE_MOVE_TYPES), ("company_id", "=", provider.company_id.id)], limit=1,
        ))

    @staticmethod
    def _count_card_read(link, provider):
        """Count one card lookup with ``provider``'s API for ``link``; HTTP 429 beyond the limit.

        Each lookup is a request to the provider's API on the visitor's demand: a flood
        on one link must not use up the business's API rate limit. Providers that read
        cards without a request (the demo provider) are not counted.
        """
        if provider.code not in REMOTE_CARD_READERS:
            return
        Counter = request.env["invoice.pay.guess.counter"].sudo()
        key = f"card-read:{link.id}"
        if Counter._is_blocked(key, limit=CARD_READS_LIMIT):
            raise TooManyRequests(_("Your card was checked too many times. Please wait a few minutes and try again."))
        Counter._record_failure(key)

    def _get_link_or_raise(self, token):
        """For JSON routes: the link, or a clear error the page shows."""
        link = self._find_link(token)
        if not link:
            raise ValidationError(_(
                "This payment link is not valid any more. Please contact the business that sent it."
            ))
        return link

    @staticmethod
    def _visitor_is_customer_user(link):
        """Whether the visitor is logged in as a user of the link's customer.

        Only such visitors may use or save payment tokens: anyone holding the link
        could otherwise charge the customer's saved cards.
        """
        user = request.env.user
        return not user._is_public() and user.partner_id.commercial_partner_id == link.partner_id

    def _payment_partner(self, link):
        if self._visitor_is_customer_user(link):
            return request.env.user.partner_id
        return link.partner_id

    def _compatible_payment_options(self, link, checkout):
        """Providers, methods and tokens Odoo finds compatible for this payment (sudo)."""
        partner = self._payment_partner(link)
        report = {}
        providers_sudo = request.env["payment.provider"].sudo()._get_compatible_providers(
            checkout.company.id, partner.id, float(checkout.amount_total),
            currency_id=checkout.currency.id, report=report,
        )
        methods_sudo = request.env["payment.method"].sudo()._get_compatible_payment_methods(
            providers_sudo.ids, partner.id, currency_id=checkout.currency.id, report=report,
        )
        tokens_sudo = request.env["payment.token"].sudo()
        if self._visitor_is_customer_user(link):
            tokens_sudo = tokens_sudo._get_available_tokens(providers_sudo.ids, partner.id)
        return providers_sudo, methods_sudo, tokens_sudo, report

    # ------------------------------------------------------------
    # Pages
    # ------------------------------------------------------------

    @http.route(INVOICE_PAY_ROUTE, **PAGE_ROUTE)
    @page_rate_limited
    def invoice_pay_landing(self, token, **kwargs):
        link = self._find_link(token)
        if not link:
            return self._render_invalid_link(token=token)
        self._record_visit(link)
        return self._render_public("invoice_public_pay.invoice_pay_landing", link._get_landing_values())

    @http.route(f"{INVOICE_PAY_ROUTE}/invoices", **PAGE_ROUTE)
    @page_rate_limited
    def invoice_pay_invoices(self, token, tx=None, **kwargs):
        link = self._find_link(token)
        if not link:
            return self._render_invalid_link(token=token)
        self._record_visit(link)
        values = link._get_invoice_list_values()
        values["payment_result"] = link._get_payment_result(self._cast_as_int(tx))
        return self._render_public("invoice_public_pay.invoice_pay_invoices", values)

    @http.route(f"{INVOICE_PAY_ROUTE}/request-link", **FORM_ROUTE)
    @page_rate_limited
    def invoice_pay_request_link(self, token, **kwargs):
        """The "Request a new link" button of the page of a link that does not work.

        One answer and the same work, whatever the token: unknown, disabled, replaced, even
        enabled, the request is only queued (``invoice.pay.link.request``), so that neither
        the answer nor its time tells whether the token was a link. The scheduled action
        then tells the salesperson of a link that existed, at most once a day. Unknown,
        disabled and replaced tokens count against the client's address as on the page:
        a flood gets the 429 page.
        """
        self._find_link(token)
        request.env["invoice.pay.link.request"]._enqueue(token)
        return self._render_public("invoice_public_pay.invoice_pay_link_requested", self._business_values())

    @http.route(f"{INVOICE_PAY_ROUTE}/invoice/<int:invoice_id>/pdf", **PAGE_ROUTE)
    @page_rate_limited
    def invoice_pay_invoice_pdf(self, token, invoice_id, download=False, **kwargs):
        link = self._find_link(token)
        invoice = link and link._get_printable_invoice(invoice_id)
        if not invoice:
            return self._render_invalid_link(missing_document=True)

        # The document Odoo stored when the invoice was sent, as Odoo's portal serves it;
        # else the one this page printed of the invoice as it is now.
        stored = invoice.invoice_pdf_report_id or link._stored_invoice_pdf(invoice)
        return self._serve_pdf(link, invoice, stored, lambda: link._render_invoice_pdf(invoice), download)

    @http.route(f"{INVOICE_PAY_ROUTE}/receipt/<int:transaction_id>", **PAGE_ROUTE)
    @page_rate_limited
    def invoice_pay_receipt(self, token, transaction_id, download=False, **kwargs):
        link = self._find_link(token)
        transaction = link and link._get_receipt_transaction(transaction_id)
        if not transaction:
            return self._render_invalid_link(missing_document=True)
        return self._serve_pdf(
            link, transaction, transaction._invoice_pay_stored_receipt(), transaction._invoice_pay_render_receipt,
            download,
        )

    def _serve_pdf(self, link, record, stored, render, download):
        """The PDF of ``record``: ``stored`` (an attachment) if any, else ``render()`` under the render limit.

        Beyond the limit, or while the same link renders another PDF, the busy page
        (HTTP 503): see ``render_limit``.
        """
        if stored:
            return self._send_pdf(record, stored.raw, download)
        if not (try_take_link_render_lock(request.env, link.id) and try_take_pdf_render_slot(request.env)):
            response = self._render_public("invoice_public_pay.invoice_pay_busy", {}, status=503)
            response.headers["Retry-After"] = str(PDF_RETRY_AFTER_SECONDS)
            return response
        return self._send_pdf(record, render(), download)

    def _send_pdf(self, record, content, download):
        # In test mode, Odoo renders reports as HTML.
        report_type = "pdf" if content.startswith(b"%PDF") else "html"
        headers = self._get_http_headers(record, report_type, content, bool(download))
        return self._secure(request.make_response(content, headers=list(headers.items())))

    # ------------------------------------------------------------
    # JSON routes of the page
    # ------------------------------------------------------------

    @http.route(f"{INVOICE_PAY_ROUTE}/quote", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_quote(self, token, allocations=None, payment_method_id=None, provider_id=None, token_id=None,
                          card_reference=None, confirmation_token=None, select_all=None, pay_again=None,
                          **kwargs):
        """Price the customer's choice: invoice amounts, fee and total, from the database.

        ``select_all``: ``{"group", "except"}``, every open invoice of the group in full
        but those listed (see ``invoice.pay.link._invoice_pay_prepare_checkout``).

        ``card_reference`` is what the provider's form gives to look the card up
        (a surcharge depends on it); for Stripe it is ``confirmation_token``, a
        ConfirmationToken id. The provider, not the browser, says what the card is.
        """
        link = self._get_link_or_raise(token)
        payment_method, provider = self._read_payment_option(payment_method_id, provider_id)
        Transaction = request.env["payment.transaction"].sudo()
        if token_id:
            payment_token = self._read_payment_token(link, token_id)
            payment_method, provider = payment_token.payment_method_id, payment_token.provider_id
            self._count_card_read(link, provider)
            card = Transaction._invoice_pay_token_card_details(payment_token)
        elif self._may_read_cards(link, provider):
            if confirmation_token or card_reference:
                self._count_card_read(link, provider)
            card = Transaction._invoice_pay_card_details(
                provider, confirmation_token or card_reference, payment_method=payment_method,
            )
        else:
            card = Transaction._invoice_pay_card_details(None, None)
        checkout = link._invoice_pay_prepare_checkout(
            allocations, payment_method=payment_method, provider=provider, card=card, select_all=select_all,
            pay_again=pay_again,
        )
        return {**checkout.to_json(), **self._provider_amounts(provider, checkout)}

    @staticmethod
    def _provider_amounts(provider, checkout):
        """The total as the provider's form must be given it (Stripe: its own minor units)."""
        if provider and provider.code == "stripe":
            return {"stripe_minor_amount": stripe_minor_amount(float(checkout.amount_total), checkout.currency)}
        return {}

    @http.route(f"{INVOICE_PAY_ROUTE}/rows", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_rows(self, token, group=None, offset=0, limit=ROWS_PAGE_SIZE, search="", sort="due_date",
                         **kwargs):
        """One page of a group's invoices: searched, filtered (``filter``), sorted, with the group's totals.

        ``rows`` are the invoices as data, ``html`` the same rows as the page draws
        them; ``count`` is how many invoices match, ``totals`` cover the whole group.
        """
        link = self._get_link_or_raise(token)
        found = link._invoice_pay_rows(
            group, offset=offset, limit=limit, search=search, row_filter=kwargs.get("filter") or "", sort=sort,
        )
        group_values = found["group"]
        html = request.env["ir.qweb"]._render("invoice_public_pay.invoice_pay_rows", {
            **link._get_rows_render_values(found["invoices"]),
            "group": group_values,
            "invoices": found["invoices"],
        })
        return {
            "rows": [link._row_json(invoice) for invoice in found["invoices"]],
            "html": html,
            "count": found["count"],
            "more": found["more"],
            "totals": link._group_totals_json(group_values),
        }

    @http.route(f"{INVOICE_PAY_ROUTE}/spread", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_spread(self, token, amount=None, group=None, **kwargs):
        """Spread one amount over a group's invoices, oldest due date first."""
        link = self._get_link_or_raise(token)
        return {"allocations": link._invoice_pay_spread_amount(amount, str(group or ""))}

    @http.route(f"{INVOICE_PAY_ROUTE}/apply-credits", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_apply_credits(self, token, credits=None, **kwargs):
        """Apply the customer's open credits to the invoices and amounts they chose, at once.

        ``credits``: ``[{"credit_line_id", "invoice_id", "amount"}]``; refused as a whole
        with a message, nothing written, when one pair cannot be applied.
        """
        link = self._get_link_or_raise(token)
        Counter = request.env["invoice.pay.guess.counter"].sudo()
        key = f"credits:{link.id}"
        if Counter._is_blocked(key, limit=CREDIT_APPLICATIONS_LIMIT):
            raise TooManyRequests(_("Too many credits were applied. Please wait a few minutes and try again."))
        entry = link._invoice_pay_apply_credits(credits)
        Counter._record_failure(key)
        return {"entry": entry.name}

    @http.route(f"{INVOICE_PAY_ROUTE}/question", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_question(self, token, invoice_id=None, message=None, **kwargs):
        """Post the customer's question about one invoice on its chatter; HTTP 429 beyond the limit."""
        link = self._get_link_or_raise(token)
        Counter = request.env["invoice.pay.guess.counter"].sudo()
        key = f"question:{link.id}"
        if Counter._is_blocked(key, limit=QUESTIONS_LIMIT):
            raise TooManyRequests(_("Too many questions were sent. Please wait a few minutes and try again."))
        sent_on = link._invoice_pay_ask_question(invoice_id, message)
        Counter._record_failure(key)
        return {"sent_on": format_date(request.env, sent_on)}

    @http.route(f"{INVOICE_PAY_ROUTE}/payment-form", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_payment_form(self, token, allocations=None, select_all=None, pay_again=None, **kwargs):
        """Odoo's payment form for the chosen invoices, with the real total."""
        link = self._get_link_or_raise(token)
        checkout = link._invoice_pay_prepare_checkout(allocations, select_all=select_all, pay_again=pay_again)
        providers_sudo, methods_sudo, tokens_sudo, report = self._compatible_payment_options(link, checkout)
        is_customer_user = self._visitor_is_customer_user(link)
        form_values = {
            # The reference is made with the transaction: batch numbers are not wasted on quotes.
            "reference_prefix": False,
            "amount": float(checkout.amount_total),
            "currency": checkout.currency,
            "partner_id": self._payment_partner(link).id,
            "providers_sudo": providers_sudo,
            "payment_methods_sudo": methods_sudo,
            "tokens_sudo": tokens_sudo,
            "availability_report": report,
            "show_tokenize_input_mapping": (
                self._compute_show_tokenize_input_mapping(providers_sudo) if is_customer_user
                else dict.fromkeys(providers_sudo.ids, False)
            ),
            "transaction_route": f"/invoice-pay/{token}/transaction",
            "landing_route": f"/invoice-pay/{token}/invoices",
            "access_token": False,
        }
        fee_badges = self._fee_badges(link, checkout, providers_sudo, methods_sudo)
        html = request.env["ir.qweb"]._render("invoice_public_pay.invoice_pay_checkout", {
            **form_values, "checkout": checkout,
            # Beyond a few invoices the summary is collapsed, and lists the first ones.
            "summary_lines_max": SUMMARY_LINES_MAX, "summary_details_max": SUMMARY_DETAILS_MAX,
        })
        return {**checkout.to_json(), "html": html, "fee_badges": fee_badges}

    @staticmethod
    def _fee_badges(link, checkout, providers_sudo, methods_sudo):
        """Each offered method's fee in a few words, by ``"<provider id>-<method id>"``."""
        FeeRule = request.env["invoice.pay.fee.rule"]
        policy = checkout.company._invoice_pay_surcharge_policy(link.partner_id, checkout.invoices)
        return {
            f"{provider.id}-{method.id}": FeeRule._find_rule(checkout.company, provider, method)._fee_badge(
                checkout.currency, policy,
            )
            for provider in providers_sudo
            for method in provider.payment_method_ids & methods_sudo
        }

    @http.route(f"{INVOICE_PAY_ROUTE}/transaction", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_transaction(self, token, allocations=None, fee_signature=None, **kwargs):
        """Create the payment transaction of the chosen invoices and amounts.

        ``note``: the customer's remittance note (plain text, at most 200 characters).

        Everything is recomputed here: the ``amount`` the browser sends is ignored,
        the provider and method must be among those offered, saved cards are only
        for users of the customer, and a fee the customer was not shown is refused.
        """
        link = self._get_link_or_raise(token)
        card_reference = kwargs.pop("card_reference", None)
        confirmation_token = kwargs.pop("confirmation_token", None)
        select_all = kwargs.pop("select_all", None)
        pay_again = kwargs.pop("pay_again", None)
        selection_signature = kwargs.pop("selection_signature", None)
        note = link._invoice_pay_clean_note(kwargs.pop("note", None))
        self._validate_transaction_kwargs(kwargs, additional_allowed_keys=("access_token",))
        if kwargs.get("is_validation"):
            raise ValidationError(_("This page only takes payments."))
        flow = kwargs.get("flow")
        if flow not in ("redirect", "direct", "token"):
            raise ValidationError(_("The payment request could not be read. Please reload the page and try again."))
        payment_token = self._read_payment_token(link, kwargs.get("token_id")) if flow == "token" else None
        payment_method, provider = self._read_payment_option(kwargs.get("payment_method_id"), kwargs.get("provider_id"))
        if payment_token:
            payment_method, provider = payment_token.payment_method_id, payment_token.provider_id
        if not provider or provider.state == "disabled":
            # Before any card is looked up with the provider: it does not take payments at all.
            raise ValidationError(_("This payment method is not available for this payment. Please choose another one."))
        Transaction = request.env["payment.transaction"].sudo()
        # Stripe's form is never confirmed with what it holds: the card entry must have
        # been read and priced (a ConfirmationToken), and the server confirms with it.
        card_bound = provider.code == "stripe" and not payment_token
        if card_bound and (flow != "direct" or not confirmation_token):
            raise ValidationError(_("Please enter your card details and press Continue."))
        if (payment_token or confirmation_token or card_reference) and not self._may_read_cards(link, provider):
            raise ValidationError(_("This payment method is not available for this payment. Please choose another one."))
        if payment_token or confirmation_token or card_reference:
            self._count_card_read(link, provider)
        if payment_token:
            card = Transaction._invoice_pay_token_card_details(payment_token)
        else:
            card = Transaction._invoice_pay_card_details(
                provider, confirmation_token if card_bound else card_reference, payment_method=payment_method,
            )
        checkout = link._invoice_pay_prepare_checkout(
            allocations, payment_method=payment_method, provider=provider, card=card, select_all=select_all,
            pay_again=pay_again,
        )
        providers_sudo, methods_sudo, tokens_sudo, _report = self._compatible_payment_options(link, checkout)
        if not provider or provider not in providers_sudo:
            raise ValidationError(_("This payment method is not available for this payment. Please choose another one."))
        if flow == "token" and (not payment_token or payment_token not in tokens_sudo):
            raise ValidationError(_("Saved payment methods can only be used when you are logged in."))
        if flow != "token" and (not payment_method or payment_method not in methods_sudo):
            raise ValidationError(_("This payment method is not available for this payment. Please choose another one."))
        if select_all is not None:
            link._check_selection_unchanged(checkout, selection_signature)
        link._check_fee_unchanged(checkout, fee_signature, card_bound=card_bound)
        is_customer_user = self._visitor_is_customer_user(link)
        with self._retry_on_reference_collision():
            tx_sudo = self._create_transaction(
                provider_id=provider.id,
                payment_method_id=payment_method.id,
                token_id=payment_token.id if payment_token else None,
                amount=float(checkout.amount_total),
                currency_id=checkout.currency.id,
                partner_id=self._payment_partner(link).id,
                flow=flow,
                tokenization_requested=bool(kwargs.get("tokenization_requested")) and is_customer_user,
                landing_route=f"/invoice-pay/{token}/invoices",
                reference_prefix=link._get_reference_prefix(checkout),
                custom_create_values={
                    **link._get_transaction_values(checkout),
                    "invoice_pay_stripe_confirmation_token": card.reference if card_bound else False,
                    "invoice_pay_note": note,
                },
            )
        tx_sudo.landing_route = f"/invoice-pay/{token}/invoices?tx={tx_sudo.id}"
        return tx_sudo._get_processing_values()

    @http.route(f"{INVOICE_PAY_ROUTE}/stripe-confirm", **JSON_ROUTE)
    @json_rate_limited
    def invoice_pay_stripe_confirm(self, token, reference=None, access_token=None, **kwargs):
        """Charge a Stripe page payment, once its transaction is committed (see ``/transaction``).

        Only the browser that created the transaction can (its ``access_token``), within
        an hour. Called again for the same transaction (Stripe's answer was lost), it looks
        Stripe's payment up or makes the same request with the same idempotency key:
        Stripe charges once.
        """
        link = self._get_link_or_raise(token)
        transaction = request.env["payment.transaction"].sudo().search([
            ("reference", "=", reference if isinstance(reference, str) else ""),
            ("invoice_pay_link_id", "=", link.id),
            ("source_transaction_id", "=", False),
        ], limit=1)
        if (
            not transaction
            or not transaction._invoice_pay_is_stripe_confirmed_here()
            or not isinstance(access_token, str)
            or not consteq(access_token, transaction._invoice_pay_access_token())
        ):
            raise ValidationError(_("This payment could not be found. Please reload the page."))
        if transaction.state == "draft" and transaction.create_date < fields.Datetime.now() - STRIPE_CONFIRM_WITHIN:
            raise ValidationError(_("This payment was not completed in time. Please start again."))
        self._count_card_read(link, transaction.provider_id)
        try:
            # One request at a time charges a transaction: a parallel one waits for nothing.
            with request.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                request.env.execute_query(SQL(
                    "SELECT id FROM payment_transaction WHERE id = %s FOR NO KEY UPDATE NOWAIT", transaction.id,
                ))
        except psycopg2.errors.LockNotAvailable:
            return {"status": "processing"}
        transaction.invalidate_recordset()
        if transaction.state != "draft":
            # Already answered (a second click, a replayed request): nothing is sent again.
            failed = transaction.state in ("error", "cancel")
            return {
                "status": "error" if failed else transaction.state,
                "error": (transaction.state_message or _("This payment was not completed.")) if failed else "",
            }
        return transaction._invoice_pay_stripe_confirm()

    @staticmethod
    @contextlib.contextmanager
    def _retry_on_reference_collision():
        """Two customers paying the same invoice at the same instant compute the same
        transaction reference; the second insert hits the unique index. Raising Odoo's
        ``ConcurrencyError`` makes Odoo retry the request (logged at INFO), and the
        retry sees the first reference and picks the next suffix. A psycopg2 error
        made by hand has no ``pgcode``: Odoo's retry loop cannot read it."""
        try:
            with request.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                yield
        except psycopg2.errors.UniqueViolation as error:
            if error.diag.constraint_name == CONFIRMATION_TOKEN_CONSTRAINT:
                # The same card entry sent twice at once: the other request pays with it.
                raise ValidationError(
                    request.env["payment.transaction"]._invoice_pay_card_unreadable_message()
                ) from error
            # Only the reference collision is worth a retry: another unique violation
            # would happen again, and the saved-card charge must never run twice.
            if error.diag.constraint_name != REFERENCE_CONSTRAINT:
                raise
            raise ConcurrencyError(_("Another payment took this reference at the same instant.")) from error

    def _read_payment_token(self, link, token_id):
        """The saved payment method the visitor chose: one of their own, only for users of the customer.

        Another customer's card, an unknown id and a visitor not logged in get the
        same answer: nothing tells whether the id exists or whose card it is.
        """
        token_id = self._cast_as_int(token_id)
        payment_token = request.env["payment.token"].sudo().browse(token_id).exists() if token_id else None
        if (
            not payment_token
            or not self._visitor_is_customer_user(link)
            or not payment_token.active
            or payment_token.partner_id != self._payment_partner(link)
        ):
            raise ValidationError(_("Saved payment methods can only be used when you are logged in."))
        return payment_token

    @staticmethod
    def _read_payment_option(payment_method_id, provider_id):
        """Browse the payment method and provider named by the page, ignoring garbage."""
        env = request.env
        method_id = payment_portal.PaymentPortal._cast_as_int(payment_method_id)
        provider_id = payment_portal.PaymentPortal._cast_as_int(provider_id)
        payment_method = env["payment.method"].sudo().browse(method_id).exists() if method_id else None
        provider = env["payment.provider"].sudo().browse(provider_id).exists() if provider_id else None
        return payment_method or None, provider or None
