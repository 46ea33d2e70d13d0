import hashlib
import logging
from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import ConcurrencyError, ValidationError
from odoo.fields import Command
from odoo.tools import SQL, consteq, format_amount, format_date, mute_logger, plaintext2html
from odoo.tools.misc import formatLang, hmac
from odoo.tools.sql import escape_psql

from odoo.addons.payment.utils import singularize_reference_prefix

from ..pay_core.allocation import AllocationError, OpenInvoice, spread_amount, validate_allocations
from ..pay_core.credits import CreditApplicationError, OpenCredit, applied_total, plan_credit_application
from ..pay_core.money import to_decimal
from ..pay_core.tokens import generate_token, is_well_formed_token
from ..stored_pdfs import find_stored_pdf, store_pdf
from .invoice_pay_checkout import InvoicePayCheckout

_logger = logging.getLogger(__name__)

INVOICE_PAY_ROUTE = "/invoice-pay"
#: Description prefix of the invoice PDFs a link printed: "<mark><invoice id> <checksum>".
INVOICE_PDF_MARK = "invoice_public_pay invoice PDF "
PAYABLE_MOVE_TYPES = ("out_invoice", "out_receipt")
#: States of a page transaction whose allocations still reserve part of their invoices.
PROCESSING_STATES = ("pending", "authorized")
#: Longest remittance note a customer may add to a payment.
NOTE_MAX_LENGTH = 200
#: Longest question a customer may ask about an invoice.
QUESTION_MAX_LENGTH = 1000
#: Rows of a group the page draws at first, and per "Load more".
ROWS_PAGE_SIZE = 50
#: Most rows one request of ``/rows`` may ask for, and the furthest it may start.
ROWS_LIMIT_MAX = 200
ROWS_OFFSET_MAX = 1_000_000
#: Longest search text of the invoice list.
ROWS_SEARCH_MAX_LENGTH = 100
#: Orders of the invoice list: oldest due first (the order payments are spread in), largest due first.
ROWS_ORDERS = {
    "due_date": "invoice_date_due, invoice_date, id",
    "amount": "amount_residual desc, invoice_date_due, id",
}
ROWS_FILTERS = ("overdue", "due_this_month", "partly_paid")
#: Fields of an invoice the list shows, fetched with the rows in one query.
ROW_FIELDS = [
    "name", "ref", "payment_reference", "invoice_date", "invoice_date_due", "amount_total", "amount_residual",
    "company_id", "currency_id", "payment_state", "move_type", "partner_id",
]
#: Latest page payments the invoice list shows under "Payments made".
PAYMENTS_MADE_SHOWN = 10
#: Most invoices one payment may cover; beyond, the customer pays in parts.
MAX_INVOICES_PER_PAYMENT = 5000
#: A customer's salesperson hears of requests for a new link at most once per link in this time.
LINK_REQUEST_INTERVAL = timedelta(hours=24)


class InvoicePayLink(models.Model):
    """The secret link of one commercial partner to the public invoice pay page.

    Kept apart from ``res.partner`` so that the token is never readable through
    the partner (portal users read their own partner), only by invoicing users.
    """

    _name = "invoice.pay.link"
    _description = "Public Invoice Pay Link"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        readonly=True,
    )
    token = fields.Char(required=True, copy=False, readonly=True)
    enabled = fields.Boolean(default=True, readonly=True)
    last_opened_date = fields.Datetime(readonly=True, copy=False)
    last_requested_date = fields.Datetime(
        string="Last New Link Request", readonly=True, copy=False,
        help="When the customer last asked for a new link from the page of a disabled or replaced link.",
    )

    _partner_unique = models.Constraint(
        "UNIQUE(partner_id)",
        "A customer has only one public invoice pay link.",
    )
    _token_unique = models.Constraint(
        "UNIQUE(token)",
        "Each public invoice pay link has its own token.",
    )

    @api.model
    def _find_by_token(self, token):
        """Return the enabled link holding ``token`` (sudo), or an empty recordset.

        Disabled, replaced and unknown tokens all give the same empty answer so
        that a caller cannot tell them apart.
        """
        if not is_well_formed_token(token):
            return self.browse()
        return self.sudo().search([("token", "=", token), ("enabled", "=", True)], limit=1)

    def _get_url(self):
        self.ensure_one()
        return f"{self.partner_id.get_base_url()}{INVOICE_PAY_ROUTE}/{self.token}"

    @api.model
    def _ensure_for_partners(self, commercial_partners):
        """Create the missing links of ``commercial_partners``; return all their links (sudo).

        Two transactions may create the link of the same customer at once (two
        invoices posted together): the loser of the unique index raises Odoo's
        ``ConcurrencyError``, and Odoo retries it with a fresh snapshot.
        """
        links = self.sudo().search([("partner_id", "in", commercial_partners.ids)])
        missing = commercial_partners - links.partner_id
        if missing:
            try:
                with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                    links |= self.sudo().create(
                        [{"partner_id": partner.id, "token": generate_token()} for partner in missing]
                    )
            except pg_errors.UniqueViolation as error:
                _logger.info("Pay link created concurrently for one of %s; retrying", missing.ids)
                raise ConcurrencyError(_("A pay link was created concurrently for one of these customers.")) from error
        return links

    def _regenerate_token(self):
        """Replace the token; the replaced one is kept as a digest (see ``invoice.pay.link.retired.token``)."""
        self.env["invoice.pay.link.retired.token"]._retire(self)
        for link in self:
            link.sudo().token = generate_token()

    @api.model
    def _find_by_digests(self, digests):
        """The links whose current or replaced token has one of ``digests`` (SHA-256, hexadecimal).

        For the requests of a new link (``invoice.pay.link.request``): unlike
        :meth:`_find_by_token`, it finds disabled links and replaced tokens too. Tokens
        replaced before version 19.0.1.4.0 were not kept: they are unknown.

        :return: ``{digest: (link (sudo), replaced)}`` for the digests found, ``replaced``
            telling a replaced token from the link's current one
        """
        digests = list(set(digests))
        if not digests:
            return {}
        self.flush_model(["token"])
        # The current tokens are hashed by PostgreSQL, all in one query: no digest of them is kept.
        current_digest = SQL("encode(sha256(convert_to(token, 'UTF8')), 'hex')")
        rows = self.env.execute_query(SQL(
            "SELECT %s, id FROM invoice_pay_link WHERE %s = ANY(%s)", current_digest, current_digest, digests,
        ))
        found = {digest: (self.sudo().browse(link_id), False) for digest, link_id in rows}
        retired = self.env["invoice.pay.link.retired.token"]._find_links(set(digests) - found.keys())
        found.update({digest: (link, True) for digest, link in retired.items()})
        return found

    def _handle_link_request(self, replaced, requested_date):
        """Tell the salesperson that the customer asked, at ``requested_date``, for a new link.

        A To Do activity on the customer and ``link_requested`` in the link's history, at
        most once per link in :data:`LINK_REQUEST_INTERVAL`. Nothing for the current token
        of an enabled link (it works). Called by the scheduled action that empties the
        queue of requests (``invoice.pay.link.request``), never in the visitor's request.

        :param replaced: whether the request came with a replaced token of the link
        :return: whether the salesperson was told
        """
        self.ensure_one()
        if self.enabled and not replaced:
            return False
        if self.last_requested_date and self.last_requested_date > requested_date - LINK_REQUEST_INTERVAL:
            return False
        self.sudo().last_requested_date = requested_date
        self._notify_link_requested(replaced, requested_date)
        return True

    def _notify_link_requested(self, replaced, requested_date):
        """The salesperson's To Do on the customer, and the event in the link's history."""
        self.ensure_one()
        partner = self.partner_id
        assignee = self._link_request_assignee()
        # In the assignee's language, not the visitor's.
        env = self.with_context(lang=assignee.lang).env
        if replaced:
            note = env._("%s opened a pay link that was replaced by a newer one and asks for a new link.", partner.name)
        else:
            note = env._("%s opened a pay link that is disabled and asks for a new link.", partner.name)
        # As the superuser, as Odoo's scheduled actions do: the assignee is told by email.
        partner.with_user(SUPERUSER_ID).with_context(lang=assignee.lang).activity_schedule(
            "mail.mail_activity_data_todo",
            summary=env._("Send a new pay link"),
            note=plaintext2html(note),
            user_id=assignee.id,
        )
        # Made by the visitor, not by the scheduled action's user.
        self.env["invoice.pay.link.activity"]._log_events(
            partner, "link_requested", company=self._get_page_company(), date=requested_date, user_id=False,
            note=env._("Replaced link") if replaced else env._("Disabled link"),
        )

    def _link_request_assignee(self):
        """Who hears of a request for a new link: the customer's salesperson, else who last
        disabled or replaced the link, else the administrator, else the first Settings user."""
        self.ensure_one()
        Users = self.env["res.users"].sudo()
        last_change = self.env["invoice.pay.link.activity"].sudo().search(
            [("partner_id", "=", self.partner_id.id), ("event", "in", ("disabled", "revoked"))], limit=1,
        )
        administrator = self.env.ref("base.user_admin", raise_if_not_found=False) or Users
        candidates = self.partner_id.user_id | last_change.user_id | administrator.sudo()
        return candidates.filtered(lambda user: user.active and not user.share)[:1] or Users.search(
            [("share", "=", False), ("all_group_ids", "in", self.env.ref("base.group_system").ids)], order="id", limit=1,
        )

    def _get_page_company(self, balances=()):
        """The company whose name and logo head the public page.

        The one company the customer owes money to, else the customer's own
        company, else the company serving the page.
        """
        self.ensure_one()
        companies = {balance["company"] for balance in balances}
        if len(companies) == 1:
            return companies.pop()
        return self.partner_id.company_id or self.env.company

    def _get_landing_values(self):
        """Values of the landing page: who, and how much is open per currency."""
        self.ensure_one()
        partner = self.partner_id
        invoice_balances = partner._invoice_pay_open_balances("out_invoice")
        return {
            "pay_link": self,
            "partner": partner,
            "company": self._get_page_company(invoice_balances),
            "invoice_balances": invoice_balances,
            "credit_balances": partner._invoice_pay_open_balances("out_refund"),
            "credits_can_be_applied": bool(self.env["account.move.line"].sudo().search_count(
                self._get_open_credits_domain(), limit=1,
            )),
            "show_company": len({balance["company"] for balance in invoice_balances}) > 1,
            "invoices_url": f"{INVOICE_PAY_ROUTE}/{self.token}/invoices",
        }

    # ------------------------------------------------------------
    # Invoices shown on the page
    # ------------------------------------------------------------

    def _get_open_documents_domain(self, move_types):
        self.ensure_one()
        return self.partner_id._invoice_pay_open_moves_domain(move_types)

    def _get_open_credit_notes(self):
        self.ensure_one()
        return self.env["account.move"].sudo().search_fetch(
            self._get_open_documents_domain(("out_refund",)),
            ["name", "invoice_date", "amount_total", "amount_residual", "company_id", "currency_id"],
            order="invoice_date, id",
        )

    def _invoice_pay_groups(self):
        """The payment groups of the customer's open invoices with their totals, in one query.

        One per company and currency (a payment never crosses either), in a stable
        order; the totals cover every open invoice of the group, drawn or not:
        ``count`` and ``amount_due`` (Decimal), and ``payable_count`` and
        ``payable_amount`` without the invoices on hold.
        """
        self.ensure_one()
        figures = self.env["account.move"].sudo()._read_group(
            self._get_open_documents_domain(PAYABLE_MOVE_TYPES),
            ["company_id", "currency_id", "payment_state"],
            ["__count", "amount_residual:sum"],
        )
        groups = {}
        for company, currency, payment_state, count, amount in figures:
            group = groups.setdefault((company, currency), {
                "key": f"{company.id}-{currency.id}",
                "company": company,
                "currency": currency,
                "count": 0,
                "amount_due": Decimal(0),
                "payable_count": 0,
                "payable_amount": Decimal(0),
            })
            # The database adds exact numerics: one rounding to the currency gives them back.
            amount = to_decimal(amount, currency.decimal_places)
            group["count"] += count
            group["amount_due"] += amount
            if payment_state != "blocked":
                group["payable_count"] += count
                group["payable_amount"] += amount
        self._invoice_pay_subtract_processing(groups)
        return [
            group for (company, currency), group in sorted(
                groups.items(), key=lambda item: (item[0][0].sequence, item[0][0].id, item[0][1].name)
            )
        ]

    def _invoice_pay_subtract_processing(self, groups):
        """Take what processing page payments will pay out of the groups' payable figures.

        An invoice wholly covered by one leaves the payable count. Two queries at most,
        whatever the number of invoices.
        """
        reserved = self._invoice_pay_reserved_amounts()
        if not reserved:
            return
        invoices = self.env["account.move"].sudo().search_fetch(
            [*self._get_open_documents_domain(PAYABLE_MOVE_TYPES), ("id", "in", list(reserved))],
            ["amount_residual", "company_id", "currency_id", "payment_state"],
        )
        for invoice in invoices:
            group = groups.get((invoice.company_id, invoice.currency_id))
            if not group or invoice.payment_state == "blocked":
                continue
            due = to_decimal(invoice.amount_residual, invoice.currency_id.decimal_places)
            group["payable_amount"] -= min(reserved[invoice.id], due)
            if reserved[invoice.id] >= due:
                group["payable_count"] -= 1

    def _invoice_pay_group(self, group_key):
        """The payment group ``group_key`` ("<company id>-<currency id>") of the customer's open invoices."""
        self.ensure_one()
        group = isinstance(group_key, str) and next(
            (group for group in self._invoice_pay_groups() if group["key"] == group_key), None,
        )
        if not group:
            raise ValidationError(_("These invoices cannot be paid any more. Please reload the page."))
        return group

    def _invoice_pay_group_domain(self, group):
        return [
            *self._get_open_documents_domain(PAYABLE_MOVE_TYPES),
            ("company_id", "=", group["company"].id),
            ("currency_id", "=", group["currency"].id),
        ]

    def _invoice_pay_rows(self, group_key, offset=0, limit=ROWS_PAGE_SIZE, search="", row_filter="", sort="due_date"):
        """One page of a group's invoices as the list draws them: searched, filtered and sorted.

        :param search: part of an invoice's number or of its reference
        :param row_filter: ``""`` or one of :data:`ROWS_FILTERS`
        :param sort: one of :data:`ROWS_ORDERS`
        :return: dict with ``group`` (see :meth:`_invoice_pay_groups`), ``invoices`` (sudo,
                 at most ``limit``), ``count`` (the invoices that match) and ``more``
        :raise ValidationError: a parameter the page would never send; nothing is read
        """
        self.ensure_one()
        unreadable = _("The list could not be read. Please reload the page.")
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in (offset, limit)):
            raise ValidationError(unreadable)
        if not 0 <= offset <= ROWS_OFFSET_MAX or not 0 < limit <= ROWS_LIMIT_MAX:
            raise ValidationError(unreadable)
        if not all(isinstance(value, str) for value in (search, row_filter, sort)):
            raise ValidationError(unreadable)
        if row_filter not in ("", *ROWS_FILTERS) or sort not in ROWS_ORDERS:
            raise ValidationError(unreadable)
        # As typed, without what no reference holds (control characters, NUL, lone surrogates).
        search = "".join(char if char.isprintable() else " " for char in search).strip()
        if len(search) > ROWS_SEARCH_MAX_LENGTH:
            raise ValidationError(_(
                "This search is too long: please use at most %s characters.", ROWS_SEARCH_MAX_LENGTH,
            ))
        group = self._invoice_pay_group(group_key)
        domain = self._invoice_pay_group_domain(group)
        if search:
            # Literally: "%", "_" and "\\" are characters of references, not patterns.
            pattern = escape_psql(search)
            domain += ["|", "|", ("name", "ilike", pattern), ("ref", "ilike", pattern),
                       ("payment_reference", "ilike", pattern)]
        domain += self._invoice_pay_row_filter_domain(row_filter)
        Move = self.env["account.move"].sudo()
        invoices = Move.search_fetch(domain, ROW_FIELDS, offset=offset, limit=limit, order=ROWS_ORDERS[sort])
        if offset or len(invoices) == limit:
            count = Move.search_count(domain)
        else:
            count = len(invoices)
        return {"group": group, "invoices": invoices, "count": count, "more": offset + len(invoices) < count}

    def _invoice_pay_row_filter_domain(self, row_filter):
        today = fields.Date.context_today(self)
        if row_filter == "overdue":
            return [("invoice_date_due", "<", today)]
        if row_filter == "due_this_month":
            month_start = today.replace(day=1)
            return [("invoice_date_due", ">=", month_start),
                    ("invoice_date_due", "<", month_start + relativedelta(months=1))]
        if row_filter == "partly_paid":
            return [("payment_state", "=", "partial")]
        return []

    def _get_rows_render_values(self, invoices):
        """What the row template needs besides the invoices: one query whatever their number."""
        self.ensure_one()
        return {
            "questions_sent": self._get_questions_sent(invoices),
            # What a processing payment will pay of each row: shown, not offered again.
            "processing": self._invoice_pay_reserved_amounts(invoices),
            "processing_label": lambda amount, currency: self.env._(
                "Payment processing: %s", currency.format(float(amount)),
            ),
            "due_now": lambda invoice, processing: max(
                to_decimal(invoice.amount_residual, invoice.currency_id.decimal_places) - processing, Decimal(0),
            ),
            "today": fields.Date.context_today(self),
            "base_path": f"/invoice-pay/{self.token}",
            # Plain formatting: the field widgets cost a few milliseconds per row.
            "format_date": lambda date: format_date(self.env, date),
        }

    @api.model
    def _row_json(self, invoice):
        """One invoice of the list as JSON: amounts as exact decimal strings."""
        places = invoice.currency_id.decimal_places
        return {
            "invoice_id": invoice.id,
            "name": invoice.name,
            "ref": invoice.ref or "",
            "invoice_date": fields.Date.to_string(invoice.invoice_date),
            "due_date": fields.Date.to_string(invoice.invoice_date_due),
            "amount_total": str(to_decimal(invoice.amount_total, places)),
            "amount_due": str(to_decimal(invoice.amount_residual, places)),
            "blocked": invoice.payment_state == "blocked",
        }

    @api.model
    def _group_totals_json(self, group):
        currency = group["currency"]
        return {
            "count": group["count"],
            "amount_due": str(group["amount_due"]),
            "payable_count": group["payable_count"],
            "payable_amount": str(group["payable_amount"]),
            "formatted": {
                "amount_due": currency.format(float(group["amount_due"])),
                "payable_amount": currency.format(float(group["payable_amount"])),
            },
        }

    @api.model
    def _to_open_invoice(self, invoice, held=Decimal(0)):
        """``invoice`` as the core takes it; ``held``: what processing payments hold of it, not payable."""
        amount_due = to_decimal(invoice.amount_residual, invoice.currency_id.decimal_places)
        return OpenInvoice(
            invoice_id=invoice.id,
            amount_due=max(amount_due - held, Decimal(0)) if held else amount_due,
            company_id=invoice.company_id.id,
            currency_id=invoice.currency_id.id,
            due_date=invoice.invoice_date_due,
            invoice_date=invoice.invoice_date,
            blocked=invoice.payment_state == "blocked",
        )

    # ------------------------------------------------------------
    # Checkout: the server's own figures for a payment request
    # ------------------------------------------------------------

    def _invoice_pay_prepare_checkout(self, raw_allocations, payment_method=None, provider=None, card=None,
                                      select_all=None, pay_again=None):
        """Validate the customer's choice against the database and price it.

        :param raw_allocations: the ``allocations`` received from the browser
        :param payment_method: the ``payment.method`` chosen, if any (for the fee)
        :param provider: the ``payment.provider`` chosen, if any (for the fee)
        :param card: the :class:`pay_core.fees.CardDetails` the provider reported, if any
        :param select_all: ``{"group": <group key>, "except": [invoice ids]}``: every payable
            open invoice of the group paid in full but those listed; an amount of
            ``raw_allocations`` overrides it for its invoice
        :param pay_again: ids of invoices the customer confirmed paying although a payment
            of theirs is processing (the page asks): up to their whole amount due
        :return: an :class:`InvoicePayCheckout`
        :raise ValidationError: with a message for the customer; nothing is written
        """
        self.ensure_one()
        if select_all is not None:
            raw_allocations = self._expand_select_all(raw_allocations, select_all)
        invoices = self._get_requested_invoices(raw_allocations)
        invoices_by_id = {invoice.id: invoice for invoice in invoices}
        # A processing payment (a bank transfer waits for days) holds its share: what is
        # left is payable, as the page offers it, unless the customer confirmed paying again.
        again = self._read_pay_again(pay_again)
        reserved = self._invoice_pay_reserved_amounts(invoices) if invoices else {}
        reserved = {invoice_id: amount for invoice_id, amount in reserved.items() if invoice_id not in again}
        open_invoices = {
            invoice.id: self._to_open_invoice(invoice, reserved.get(invoice.id, Decimal(0))) for invoice in invoices
        }
        decimal_places = self._checkout_decimal_places(raw_allocations, invoices_by_id)
        try:
            allocations = validate_allocations(
                raw_allocations, open_invoices, decimal_places, max_entries=MAX_INVOICES_PER_PAYMENT,
            )
        except AllocationError as error:
            raise ValidationError(self._allocation_error_message(error, invoices_by_id, reserved=reserved)) from error
        lines = [(invoices_by_id[allocation.invoice_id], allocation.amount) for allocation in allocations]
        return self._price_checkout(lines, payment_method, provider, card)

    @api.model
    def _read_pay_again(self, pay_again):
        """The invoice ids of ``pay_again`` (a list of ids, or nothing) as a set."""
        if pay_again in (None, False):
            return set()
        if (
            not isinstance(pay_again, list)
            or len(pay_again) > MAX_INVOICES_PER_PAYMENT
            or not all(isinstance(value, int) and not isinstance(value, bool) for value in pay_again)
        ):
            raise ValidationError(_("The payment request could not be read. Please reload the page and try again."))
        return set(pay_again)

    def _get_requested_invoices(self, raw_allocations):
        """The open invoices (sudo) named by ``raw_allocations``, in one query with what is checked."""
        requested = self._requested_ids(raw_allocations, "invoice_id")
        if not requested or len(requested) > MAX_INVOICES_PER_PAYMENT:
            # Too many is refused by the validation, before any invoice is read.
            return self.env["account.move"]
        return self.env["account.move"].sudo().search_fetch(
            [*self._get_open_documents_domain(PAYABLE_MOVE_TYPES), ("id", "in", requested)], ROW_FIELDS,
        )

    def _expand_select_all(self, raw_allocations, select_all):
        """``raw_allocations`` with every other payable invoice of the group in full, but the exceptions.

        One query for the group's invoices, whatever their number; the count is
        checked by :func:`validate_allocations` (``MAX_INVOICES_PER_PAYMENT``).
        """
        unreadable = _("The payment request could not be read. Please reload the page and try again.")
        excepted = isinstance(select_all, dict) and select_all.get("except")
        if (
            not isinstance(select_all, dict)
            or set(select_all) != {"group", "except"}
            or not isinstance(excepted, list)
            or not all(isinstance(value, int) and not isinstance(value, bool) for value in excepted)
        ):
            raise ValidationError(unreadable)
        if raw_allocations is None:
            raw_allocations = []
        if not isinstance(raw_allocations, list):
            raise ValidationError(unreadable)
        group = self._invoice_pay_group(select_all["group"])
        skipped = set(excepted) | set(self._requested_ids(raw_allocations, "invoice_id"))
        places = group["currency"].decimal_places
        invoices = self.env["account.move"].sudo().search_fetch(
            [*self._invoice_pay_group_domain(group), ("payment_state", "!=", "blocked")],
            ["amount_residual"], order=ROWS_ORDERS["due_date"],
        )
        # What a processing payment of the customer will pay is not offered again.
        reserved = self._invoice_pay_reserved_amounts()
        amounts = (
            (invoice.id, to_decimal(invoice.amount_residual, places) - reserved.get(invoice.id, 0))
            for invoice in invoices if invoice.id not in skipped
        )
        return raw_allocations + [
            {"invoice_id": invoice_id, "amount": str(amount)} for invoice_id, amount in amounts if amount > 0
        ]

    def _invoice_pay_spread_amount(self, raw_amount, group_key):
        """Spread one amount over a group's invoices, oldest due date first.

        :return: list of ``{"invoice_id", "amount"}`` the page fills in
        """
        self.ensure_one()
        group = self._invoice_pay_group(group_key)
        invoices = self.env["account.move"].sudo().search_fetch(
            self._invoice_pay_group_domain(group), ROW_FIELDS, order=ROWS_ORDERS["due_date"],
        )
        # What processing payments hold is not spread over again (as the page offers it).
        reserved = self._invoice_pay_reserved_amounts(invoices) if invoices else {}
        open_invoices = [
            open_invoice for invoice in invoices
            if (open_invoice := self._to_open_invoice(invoice, reserved.get(invoice.id, Decimal(0)))).amount_due > 0
        ]
        try:
            allocations = spread_amount(raw_amount, open_invoices, group["currency"].decimal_places)
        except AllocationError as error:
            raise ValidationError(self._allocation_error_message(error, {}, group["currency"])) from error
        return [{"invoice_id": allocation.invoice_id, "amount": str(allocation.amount)}
                for allocation in allocations]

    @api.model
    def _checkout_decimal_places(self, raw_allocations, invoices_by_id):
        """Precision to parse amounts with: the currency of the first known invoice requested."""
        if isinstance(raw_allocations, list):
            for entry in raw_allocations:
                invoice_id = entry.get("invoice_id") if isinstance(entry, dict) else None
                if isinstance(invoice_id, int) and invoice_id in invoices_by_id:
                    return invoices_by_id[invoice_id].currency_id.decimal_places
        return 2

    def _price_checkout(self, lines, payment_method=None, provider=None, card=None):
        """Add the fee of the payment method, if any, to the chosen amounts.

        Only card methods have a card: a surcharge needs one the provider reported as credit.
        """
        invoice = lines[0][0]
        amount = sum((amount for _invoice, amount in lines), Decimal(0))
        rule = self.env["invoice.pay.fee.rule"]._find_rule(invoice.company_id, provider, payment_method)
        if not (payment_method and payment_method._invoice_pay_is_card()):
            card = None
        invoices = self.env["account.move"].union(*(line_invoice for line_invoice, _amount in lines))
        policy = invoice.company_id._invoice_pay_surcharge_policy(self.partner_id, invoices)
        fee = rule._compute_fee(amount, invoice.currency_id, card=card, policy=policy)
        checkout = InvoicePayCheckout(self, lines, fee, rule or None)
        checkout.payment_method = payment_method
        checkout.card = card
        checkout.surcharge_policy = policy
        return checkout

    def _fee_signature(self, checkout):
        """Seal of the fee shown to the customer, checked again when the transaction is made."""
        card_reference = checkout.card.reference if checkout.card else ""
        message = f"{self.token}|{checkout.currency.id}|{checkout.amount_invoices}|{checkout.fee}|{card_reference}"
        return hmac(self.env(su=True), "invoice_public_pay.fee", message)

    def _selection_signature(self, checkout):
        """Seal of the invoices and amounts shown to the customer: which invoices, and their total."""
        invoices = hashlib.sha256(",".join(str(invoice.id) for invoice, _amount in checkout.lines).encode())
        message = f"{self.token}|{checkout.currency.id}|{checkout.amount_invoices}|{invoices.hexdigest()}"
        return hmac(self.env(su=True), "invoice_public_pay.selection", message)

    def _check_selection_unchanged(self, checkout, selection_signature):
        """Refuse invoices the customer was not shown ("select all": those of the group when paying).

        An invoice added, paid or put on hold since the customer saw the total changes them.
        """
        if not (isinstance(selection_signature, str)
                and consteq(selection_signature, self._selection_signature(checkout))):
            raise ValidationError(_(
                "The invoices to pay changed since you chose them: %(count)s invoices now come to "
                "%(total)s. Please review and pay again.",
                count=formatLang(self.env, len(checkout.lines), digits=0),
                total=checkout.currency.format(float(checkout.amount_total)),
            ))

    def _check_fee_unchanged(self, checkout, fee_signature, card_bound=False):
        """Refuse to charge a fee the customer was not shown (the rule changed since the quote).

        ``card_bound``: the payment goes with the card entry that was priced (a Stripe
        ConfirmationToken); another one is refused even when its fee is the same.
        """
        sealed = isinstance(fee_signature, str) and consteq(fee_signature, self._fee_signature(checkout))
        if (checkout.fee or card_bound) and not sealed:
            raise ValidationError(_(
                "The fee changed, please review: the fee is now %(fee)s and the total %(total)s.",
                fee=checkout.currency.format(float(checkout.fee)),
                total=checkout.currency.format(float(checkout.amount_total)),
            ))

    def _allocation_error_message(self, error, invoices_by_id, currency=None, reserved=None):
        """Turn a core allocation error into a message the customer understands.

        :param reserved: what processing payments hold of each invoice (Decimal by invoice id)
        """
        invoice = invoices_by_id.get(error.invoice_id)
        name = invoice.name if invoice else ""
        if error.code == "unknown_invoice":
            return self._unknown_invoice_message(error.invoice_id)
        if error.code == "invalid_amount":
            currency = invoice.currency_id if invoice else currency
            return self._amount_error_message(error.amount_code, name, currency)
        if error.code == "exceeds_due":
            held = invoice and (reserved or {}).get(invoice.id)
            if held:
                left = max(to_decimal(invoice.amount_residual, invoice.currency_id.decimal_places) - held, Decimal(0))
                return _(
                    "The amount for invoice %(invoice)s is more than what is left to pay (%(left)s): a payment of "
                    "%(processing)s for it is being processed.",
                    invoice=name, left=invoice.currency_id.format(float(left)),
                    processing=invoice.currency_id.format(float(held)),
                )
            if invoice:
                return _(
                    "The amount for invoice %(invoice)s is more than its amount due (%(amount_due)s).",
                    invoice=name, amount_due=invoice.currency_id.format(invoice.amount_residual),
                )
            return _("The amount is more than the total due on these invoices.")
        messages = {
            "malformed": _("The payment request could not be read. Please reload the page and try again."),
            "empty": _("Select at least one invoice to pay."),
            "too_many": _(
                "One payment covers at most %s invoices. Please pay in parts.",
                formatLang(self.env, MAX_INVOICES_PER_PAYMENT, digits=0),
            ),
            "duplicate": _("An invoice appears twice in the payment. Please reload the page and try again."),
            "blocked": _("Invoice %s is on hold and cannot be paid online. Please contact us.", name),
            "mixed_company": _("Invoices of different companies must be paid separately."),
            "mixed_currency": _("Invoices in different currencies must be paid separately."),
        }
        return messages[error.code]

    @api.model
    def _amount_error_message(self, amount_code, invoice_name, currency):
        digits = currency.decimal_places if currency else 2
        if amount_code == "not_positive":
            return _("The amount for invoice %s must be more than zero.", invoice_name) if invoice_name \
                else _("The amount must be more than zero.")
        if amount_code == "too_precise":
            return _(
                "The amount for invoice %(invoice)s has more than %(digits)s decimals.",
                invoice=invoice_name, digits=digits,
            ) if invoice_name else _("The amount has more than %s decimals.", digits)
        return _("The amount for invoice %s is not a valid number.", invoice_name) if invoice_name \
            else _("The amount is not a valid number.")

    def _unknown_invoice_message(self, invoice_id):
        """Say why an invoice cannot be paid, without revealing other customers' documents."""
        invoice = self.env["account.move"].sudo().browse(invoice_id).exists() if isinstance(invoice_id, int) else None
        if not invoice or invoice.commercial_partner_id != self.partner_id:
            return _("This invoice cannot be found. Please reload the page.")
        if invoice.state != "posted":
            return _("Invoice %s is not open for payment.", invoice.display_name)
        if invoice.move_type not in PAYABLE_MOVE_TYPES:
            return _("%s is not a customer invoice and cannot be paid here.", invoice.display_name)
        return _("Invoice %s is already paid.", invoice.name)

    # ------------------------------------------------------------
    # Activity: "opened", at most once per customer per hour
    # ------------------------------------------------------------

    def _log_opened(self):
        """Log ``opened`` unless it was logged for this customer in the past hour.

        The timestamp lives on the link row: two workers opening the page at the
        same moment both update that row, PostgreSQL refuses the second update
        (serialization failure) and Odoo retries that request, which then sees
        the first one's timestamp. No duplicate, no lock held across requests.
        """
        self.ensure_one()
        now = fields.Datetime.now()
        last = self.sudo().last_opened_date
        if last and (now - last).total_seconds() < 3600:
            return False
        self.sudo().last_opened_date = now
        self.flush_recordset(["last_opened_date"])
        company = self.env["account.move"].sudo().search(
            self._get_open_documents_domain(PAYABLE_MOVE_TYPES), limit=1
        ).company_id or self._get_page_company()
        self.env["invoice.pay.link.activity"]._log_events(self.partner_id, "opened", company=company)
        return True

    # ------------------------------------------------------------
    # Page values and documents reachable through the link
    # ------------------------------------------------------------

    def _get_invoice_list_values(self):
        """Values of the invoice list page: payable groups with their first rows, and open credits.

        Each group draws its ``ROWS_PAGE_SIZE`` oldest due invoices; the page reaches
        the others through ``/rows``. The queries do not grow with the number of invoices.
        """
        self.ensure_one()
        groups = self._invoice_pay_groups()
        Move = self.env["account.move"].sudo()
        for group in groups:
            group["invoices"] = Move.search_fetch(
                self._invoice_pay_group_domain(group), ROW_FIELDS, limit=ROWS_PAGE_SIZE, order=ROWS_ORDERS["due_date"],
            )
            group["count_label"] = self.partner_id._invoice_pay_count_label("out_invoice", group["count"])
        drawn = Move.union(*(group["invoices"] for group in groups))
        return {
            "pay_link": self,
            "partner": self.partner_id,
            "company": self._get_page_company(groups),
            "groups": groups,
            "rows_page_size": ROWS_PAGE_SIZE,
            # Credit notes of companies that let customers apply credits are among ``credits``.
            "credit_notes": self._get_open_credit_notes().filtered(
                lambda credit_note: not credit_note.company_id.invoice_pay_allow_credits
            ),
            "credits": self._get_credit_values(groups),
            "payments_made": self._get_payments_made(),
            "result_count_label": lambda count: self.env._("%s invoices", formatLang(self.env, count, digits=0)),
            "receipt_email_label": lambda email: self.env._("Your receipt is emailed to %s.", email),
            "shown_label": lambda shown, count: self.env._(
                "Showing %(shown)s of %(count)s",
                shown=formatLang(self.env, shown, digits=0), count=formatLang(self.env, count, digits=0),
            ),
            **self._get_rows_render_values(drawn),
        }

    def _get_printable_invoice(self, invoice_id):
        """The customer's posted invoice or credit note ``invoice_id`` (sudo), else nothing."""
        self.ensure_one()
        invoice = self.env["account.move"].sudo().browse(invoice_id).exists()
        if (
            invoice
            and invoice.commercial_partner_id == self.partner_id
            and invoice.state == "posted"
            and invoice.move_type in (*PAYABLE_MOVE_TYPES, "out_refund")
        ):
            return invoice
        return None

    def _invoice_pdf_fingerprint(self, invoice):
        """A checksum of what the printed ``invoice`` shows now (its last change, language, layout)."""
        report = self.env.ref("account.account_invoices").sudo()
        shown = (invoice.id, str(invoice.write_date), invoice.partner_id.lang, report.id, str(report.write_date))
        return hashlib.sha256(repr(shown).encode()).hexdigest()

    def _stored_invoice_pdf(self, invoice):
        """The PDF this link printed of ``invoice`` as it is now (sudo), if any.

        Kept on the link (no chatter) rather than on the invoice, where it would
        look like a document someone attached.
        """
        self.ensure_one()
        return find_stored_pdf(self, f"{INVOICE_PDF_MARK}{invoice.id} ", self._invoice_pdf_fingerprint(invoice))

    def _render_invoice_pdf(self, invoice):
        """Print ``invoice`` and keep the PDF for the next requests, replacing older copies; return it.

        A link holder requesting the same invoice again gets the stored copy: no
        second render.
        """
        self.ensure_one()
        report = self.env["ir.actions.report"].sudo().with_company(invoice.company_id)
        content = report._render_qweb_pdf("account.account_invoices", invoice.ids, data={"report_type": "pdf"})[0]
        return store_pdf(
            self, f"{INVOICE_PDF_MARK}{invoice.id} ", self._invoice_pdf_fingerprint(invoice),
            f"{invoice._get_report_base_filename()}.pdf".replace("/", "-"), content,
        )

    def _get_customer_transaction(self, transaction_id):
        self.ensure_one()
        transaction = self.env["payment.transaction"].sudo().browse(transaction_id).exists()
        if transaction and transaction.invoice_pay_link_id.partner_id == self.partner_id:
            return transaction
        return None

    def _get_receipt_transaction(self, transaction_id):
        """The customer's own done and booked transaction ``transaction_id`` (sudo), else nothing.

        No receipt before the payment is booked (a big one is booked by a cron): it would
        show nothing applied.
        """
        transaction = self._get_customer_transaction(transaction_id)
        if not transaction or transaction.state != "done" or transaction._invoice_pay_booking_pending():
            return None
        return transaction

    def _get_receipt_report(self, transaction):
        """The receipt layout to print ``transaction`` with: the company's setting."""
        return transaction._invoice_pay_get_receipt_report()

    def _get_payment_result(self, transaction_id):
        """What the page tells the customer coming back from paying (``?tx=``), if anything.

        ``state`` is the transaction's, except ``processing`` for a payment the provider
        confirmed that is not booked on the invoices yet (a big one is booked by a cron),
        ``transfer`` for a wire transfer waiting for the money and ``transfer_expired``
        for one not received in time.
        """
        transaction = transaction_id and self._get_customer_transaction(transaction_id)
        if not transaction:
            return None
        state = transaction.state
        if state == "done" and not transaction.is_post_processed:
            state = "processing"
        transfer = state == "pending" and transaction._invoice_pay_is_wire_transfer()
        if transfer:
            state = "transfer_expired" if transaction.invoice_pay_transfer_expired else "transfer"
        partner = transaction.partner_id
        return {
            "transaction": transaction,
            "state": state,
            # A wire transfer: the provider's instructions (bank accounts) and what to quote.
            "transfer_instructions": transaction.provider_id.pending_msg if transfer else None,
            "communication": transaction._get_communication() if transfer else None,
            "lines": [(allocation.invoice_id.name, allocation.amount)
                      for allocation in transaction.invoice_pay_allocation_ids],
            "receipt_email": partner.email or partner.commercial_partner_id.email or "",
            "receipt_url": f"/invoice-pay/{self.token}/receipt/{transaction.id}",
        }

    def _get_payments_made(self, limit=PAYMENTS_MADE_SHOWN):
        """The customer's latest page payments, done or processing (sudo), newest first, in one query."""
        self.ensure_one()
        return self.env["payment.transaction"].sudo().search_fetch([
            ("invoice_pay_link_id", "=", self.id),
            ("source_transaction_id", "=", False),
            ("operation", "!=", "validation"),
            ("state", "in", ("done", "pending", "authorized")),
            "|", ("state", "=", "done"), ("invoice_pay_transfer_expired", "=", False),
        ], ["reference", "amount", "currency_id", "state", "last_state_change", "is_post_processed"],
            order="last_state_change desc, id desc", limit=limit)

    def _get_reference_prefix(self, checkout):
        """Transaction reference: the invoice's number, or ``PAY-<date and time>`` for several.

        What the customer quotes (a bank transfer's communication, a question about a
        payment) names no invoice it does not cover. No sequence is taken: concurrent
        payments would queue on it. Odoo makes the reference unique by adding a suffix.
        """
        if len(checkout.lines) == 1:
            return checkout.lines[0][0].name
        return singularize_reference_prefix(prefix="PAY")

    @api.model
    def _invoice_pay_clean_note(self, raw_note):
        """The customer's remittance note as plain text on one line, or ``False``.

        Kept as typed (never read as HTML: every place showing it escapes it), without
        control characters; refused beyond ``NOTE_MAX_LENGTH`` characters.
        """
        if raw_note in (None, False, ""):
            return False
        if not isinstance(raw_note, str):
            raise ValidationError(_("The note could not be read. Please reload the page and try again."))
        note = " ".join("".join(char if char.isprintable() else " " for char in raw_note).split())
        if len(note) > NOTE_MAX_LENGTH:
            raise ValidationError(_(
                "The note is %(length)s characters long; please keep it to %(limit)s characters.",
                length=len(note), limit=NOTE_MAX_LENGTH,
            ))
        return note or False

    def _get_transaction_values(self, checkout):
        """Create values linking a new transaction to this link and the chosen amounts."""
        self.ensure_one()
        return {
            "invoice_ids": [Command.set(checkout.invoices.ids)],
            "invoice_pay_link_id": self.id,
            "invoice_pay_fee": float(checkout.fee),
            "invoice_pay_fee_rule_id": checkout.fee_rule.id if checkout.fee_rule else False,
            **({
                "invoice_pay_card_funding": checkout.card.funding,
                "invoice_pay_card_country": checkout.card.country.upper() or False,
                "invoice_pay_card_brand": checkout.card.brand or False,
                "invoice_pay_card_wallet": checkout.card.wallet,
            } if checkout.card else {}),
            "invoice_pay_allocation_ids": [
                Command.create({"sequence": sequence, "invoice_id": invoice.id, "amount": float(amount)})
                for sequence, (invoice, amount) in enumerate(checkout.lines)
            ],
        }

    # ------------------------------------------------------------
    # Credits in the customer's favour, applied by the customer
    # ------------------------------------------------------------

    def _get_open_credits_domain(self):
        """Open receivable lines in the customer's favour, of companies that let customers apply them.

        Posted credit notes and customer payments not matched yet.
        """
        self.ensure_one()
        return [
            ("partner_id.commercial_partner_id", "=", self.partner_id.id),
            ("account_type", "=", "asset_receivable"),
            ("parent_state", "=", "posted"),
            ("reconciled", "=", False),
            ("amount_residual_currency", "<", 0),
            ("company_id.invoice_pay_allow_credits", "=", True),
            # A credit note put on hold (disputed, set aside) is not the customer's to use.
            ("move_id.payment_state", "!=", "blocked"),
            "|", ("move_id.move_type", "=", "out_refund"), ("move_id.origin_payment_id", "!=", False),
        ]

    def _get_open_credits(self, extra_domain=()):
        """The open credit lines (sudo), oldest first, fetched in one query with what the page shows."""
        self.ensure_one()
        return self.env["account.move.line"].sudo().search_fetch(
            [*self._get_open_credits_domain(), *extra_domain],
            ["move_id", "move_name", "date", "amount_residual_currency", "company_id", "currency_id", "account_id"],
            order="date, id",
        )

    def _get_credit_values(self, groups):
        """What the page shows of each open credit: its amount and the invoices it may go to.

        The invoices offered are those the page draws first in the credit's group
        (the oldest due), not on hold.
        """
        groups = {group["key"]: group for group in groups}
        values = []
        for line in self._get_open_credits():
            group = groups.get(f"{line.company_id.id}-{line.currency_id.id}")
            values.append({
                "line": line,
                "name": line.move_name,
                "date": line.date,
                "currency": line.currency_id,
                "amount_open": -line.amount_residual_currency,
                "group_key": group["key"] if group else "",
                "invoices": group["invoices"].filtered(lambda invoice: invoice.payment_state != "blocked")
                if group else self.env["account.move"],
            })
        return values

    @api.model
    def _to_open_credit(self, line):
        return OpenCredit(
            credit_line_id=line.id,
            amount_open=to_decimal(-line.amount_residual_currency, line.currency_id.decimal_places),
            company_id=line.company_id.id,
            currency_id=line.currency_id.id,
        )

    def _invoice_pay_reserved_amounts(self, invoices=None):
        """What this link's processing page payments reserve of each of ``invoices`` (Decimal by invoice id).

        A payment pending or authorized, or done and not booked yet, will take its
        allocations: a credit must not take them first, and the page does not offer
        them again. ``invoices`` ``None``: every invoice such a payment covers (one query).
        """
        self.ensure_one()
        allocations = self.env["invoice.pay.allocation"].sudo().search_fetch([
            *([("invoice_id", "in", invoices.ids)] if invoices is not None else []),
            ("transaction_id.invoice_pay_link_id", "=", self.id),
            "|", "&", ("transaction_id.state", "in", PROCESSING_STATES),
            # A wire transfer not received in time holds its invoices no more.
            ("transaction_id.invoice_pay_transfer_expired", "=", False),
            "&", ("transaction_id.state", "=", "done"), ("transaction_id.is_post_processed", "=", False),
        ], ["invoice_id", "amount", "amount_applied"])
        reserved = {}
        for allocation in allocations:
            places = allocation.invoice_id.currency_id.decimal_places
            left = max(to_decimal(allocation.amount - allocation.amount_applied, places), Decimal(0))
            reserved[allocation.invoice_id.id] = reserved.get(allocation.invoice_id.id, Decimal(0)) + left
        return reserved

    @api.model
    def _requested_ids(self, raw_pairs, key):
        if not isinstance(raw_pairs, list):
            return []
        return [
            entry[key] for entry in raw_pairs
            if isinstance(entry, dict) and isinstance(entry.get(key), int) and not isinstance(entry.get(key), bool)
        ]

    def _invoice_pay_lock_credit_application(self, credit_lines, invoices):
        """Lock the credit lines and the invoices' receivable lines until the end of the transaction.

        Two tabs applying the same credit: the second waits here; once the first has
        committed, PostgreSQL raises a serialization failure and Odoo retries the
        request, which then sees what is left of the credit.
        """
        term_lines = invoices.line_ids.filtered(lambda line: line.display_type == "payment_term")
        lines = credit_lines | term_lines
        if lines:
            with mute_logger("odoo.sql_db"):
                self.env.execute_query(SQL(
                    "SELECT id FROM account_move_line WHERE id IN %s ORDER BY id FOR NO KEY UPDATE", tuple(lines.ids)
                ))
            lines.invalidate_recordset(["amount_residual", "amount_residual_currency", "reconciled"])
            invoices.invalidate_recordset(["amount_residual", "payment_state"])
        return credit_lines.filtered(lambda line: not line.reconciled), term_lines.filtered(
            lambda line: not line.reconciled
        )

    def _invoice_pay_apply_credits(self, raw_pairs):
        """Apply the customer's open credits to their invoices, exactly, at once.

        :param raw_pairs: the ``credits`` received from the page:
            ``[{"credit_line_id": int, "invoice_id": int, "amount": number or string}]``
        :return: the posted journal entry (sudo)
        :raise ValidationError: with a message for the customer; nothing is written
        """
        self.ensure_one()
        credit_lines = self._get_open_credits([("id", "in", self._requested_ids(raw_pairs, "credit_line_id"))])
        invoices = self.env["account.move"].sudo().search_fetch([
            *self._get_open_documents_domain(PAYABLE_MOVE_TYPES),
            ("id", "in", self._requested_ids(raw_pairs, "invoice_id")),
        ], ["name", "amount_residual", "company_id", "currency_id", "payment_state", "invoice_date_due",
            "invoice_date"])
        credit_lines, term_lines = self._invoice_pay_lock_credit_application(credit_lines, invoices)
        invoices = term_lines.move_id
        reserved = self._invoice_pay_reserved_amounts(invoices)
        open_invoices = {
            invoice.id: self._to_open_invoice(invoice, reserved.get(invoice.id, Decimal(0))) for invoice in invoices
        }
        open_credits = {line.id: self._to_open_credit(line) for line in credit_lines}
        decimal_places = {line.currency_id.id: line.currency_id.decimal_places for line in credit_lines}
        try:
            applications = plan_credit_application(raw_pairs, open_credits, open_invoices, decimal_places)
        except CreditApplicationError as error:
            raise ValidationError(self._credit_error_message(error, credit_lines, invoices, reserved)) from error
        entry = self._invoice_pay_book_credits(applications, credit_lines, term_lines)
        self._invoice_pay_log_credits(entry, applications, credit_lines, invoices)
        return entry

    def _invoice_pay_credit_journal(self, company):
        journal = self.env["account.journal"].sudo().search(
            [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "general")], limit=1,
        )
        if not journal:
            raise ValidationError(_("Credits cannot be applied online at the moment. Please contact us."))
        return journal

    def _invoice_pay_book_credits(self, applications, credit_lines, term_lines):
        """One entry with a pair of receivable lines per application, each reconciled with its own side.

        Odoo's reconciliation matches the smaller remaining amount: the line against the
        credit takes exactly the amount applied from it, the line against the invoice
        exactly the amount applied to it.
        """
        credit_by_id = {line.id: line for line in credit_lines}
        lines_by_invoice = term_lines.grouped("move_id")
        invoices_by_id = {invoice.id: invoice for invoice in term_lines.move_id}
        first_credit = credit_by_id[applications[0].credit_line_id]
        company, currency = first_credit.company_id, first_credit.currency_id
        date = fields.Date.context_today(self)
        line_values = []
        for application in applications:
            credit_line = credit_by_id[application.credit_line_id]
            invoice = invoices_by_id[application.invoice_id]
            amount = float(application.amount)
            balance = currency._convert(amount, company.currency_id, company, date)
            label = _("%(credit)s applied to %(invoice)s", credit=credit_line.move_name, invoice=invoice.name)
            common = {"name": label, "partner_id": self.partner_id.id, "currency_id": currency.id}
            line_values += [
                {**common, "account_id": credit_line.account_id.id, "amount_currency": amount, "balance": balance},
                {**common, "account_id": lines_by_invoice[invoice][:1].account_id.id,
                 "amount_currency": -amount, "balance": -balance},
            ]
        entry = self.env["account.move"].sudo().with_company(company).create({
            "move_type": "entry",
            "journal_id": self._invoice_pay_credit_journal(company).id,
            "date": date,
            "company_id": company.id,
            "ref": _("Credits applied by the customer on the pay page"),
            "line_ids": [Command.create(values) for values in line_values],
        })
        entry.action_post()
        entry_lines = entry.line_ids.sorted("id")
        to_credit, to_invoice = {}, {}
        for application, debit, credit in zip(applications, entry_lines[0::2], entry_lines[1::2], strict=True):
            to_credit[application.credit_line_id] = to_credit.get(application.credit_line_id, debit.browse()) | debit
            to_invoice[application.invoice_id] = to_invoice.get(application.invoice_id, credit.browse()) | credit
        plan = [credit_by_id[credit_id] | lines for credit_id, lines in to_credit.items()] + [
            lines_by_invoice[invoices_by_id[invoice_id]].filtered(
                lambda line, account=lines.account_id: line.account_id == account
            ) | lines
            for invoice_id, lines in to_invoice.items()
        ]
        # In the entry's company: exchange differences are booked in its journal and dates.
        self.env["account.move.line"].sudo().with_company(company)._reconcile_plan(plan)
        return entry

    def _invoice_pay_log_credits(self, entry, applications, credit_lines, invoices):
        """Note the application on the invoices and the credits, as the customer; log it on the link."""
        credit_by_id = {line.id: line for line in credit_lines}
        invoices_by_id = {invoice.id: invoice for invoice in invoices}
        currency = credit_lines[:1].currency_id
        bodies = {}
        for application in applications:
            credit_move = credit_by_id[application.credit_line_id].move_id
            invoice = invoices_by_id[application.invoice_id]
            amount = format_amount(self.env, float(application.amount), currency)
            bodies.setdefault(invoice.id, []).append(_(
                "The customer applied %(amount)s of %(credit)s to this invoice on the pay page (%(entry)s).",
                amount=amount, credit=credit_move.name, entry=entry.name,
            ))
            bodies.setdefault(credit_move.id, []).append(_(
                "The customer applied %(amount)s of this credit to %(invoice)s on the pay page (%(entry)s).",
                amount=amount, invoice=invoice.name, entry=entry.name,
            ))
        moves = self.env["account.move"].sudo().browse(bodies)
        moves._message_log_batch(
            bodies={move_id: Markup("<br/>").join(texts) for move_id, texts in bodies.items()},
            author_id=self.partner_id.id,
        )
        total = applied_total(applications)
        self.env["invoice.pay.link.activity"]._log_events(
            self.partner_id, "credit_applied", company=entry.company_id,
            amount=float(total), currency_id=currency.id, note=entry.name,
        )

    def _credit_error_message(self, error, credit_lines, invoices, reserved):
        """Turn a core credit application error into a message the customer understands."""
        invoice = invoices.browse(error.invoice_id) & invoices if isinstance(error.invoice_id, int) else invoices.browse()
        credit = credit_lines.browse(error.credit_line_id) & credit_lines \
            if isinstance(error.credit_line_id, int) else credit_lines.browse()
        if error.code == "unknown_credit":
            return _("This credit is not available any more: it may have been used meanwhile. Please reload the page.")
        if error.code == "unknown_invoice":
            return self._unknown_invoice_message(error.invoice_id)
        if error.code == "invalid_amount":
            return self._amount_error_message(error.amount_code, invoice.name or "", credit.currency_id)
        if error.code == "exceeds_credit":
            return _(
                "The amounts chosen for %(credit)s are more than its open amount (%(amount)s).",
                credit=credit.move_name, amount=credit.currency_id.format(-credit.amount_residual_currency),
            )
        if error.code == "exceeds_due":
            available = invoice.amount_residual - float(reserved.get(invoice.id, 0))
            if reserved.get(invoice.id):
                return _(
                    "Part of invoice %(invoice)s is being paid by a payment in progress: at most %(amount)s "
                    "can be applied to it now.",
                    invoice=invoice.name, amount=invoice.currency_id.format(max(available, 0.0)),
                )
            return _(
                "The amount for invoice %(invoice)s is more than its amount due (%(amount_due)s).",
                invoice=invoice.name, amount_due=invoice.currency_id.format(invoice.amount_residual),
            )
        messages = {
            "malformed": _("The request could not be read. Please reload the page and try again."),
            "empty": _("Choose at least one invoice and an amount to apply."),
            "too_many": _("Too many invoices at once. Please apply the credit in several steps."),
            "duplicate": _("An invoice appears twice for the same credit. Please reload the page and try again."),
            "blocked": _("Invoice %s is on hold and cannot be paid online. Please contact us.", invoice.name),
            "mixed_company": _("A credit can only be applied to invoices of the same company and currency."),
            "mixed_currency": _("A credit can only be applied to invoices of the same company and currency."),
        }
        return messages[error.code]

    # ------------------------------------------------------------
    # Questions about an invoice
    # ------------------------------------------------------------

    def _get_questions_sent(self, invoices):
        """When the customer last asked about each of ``invoices`` (date by invoice id), in one query."""
        self.ensure_one()
        groups = self.env["invoice.pay.link.activity"].sudo()._read_group(
            [("partner_id", "=", self.partner_id.id), ("event", "=", "question"), ("invoice_id", "in", invoices.ids)],
            ["invoice_id"], ["date:max"],
        )
        return {invoice.id: fields.Date.context_today(self, date) for invoice, date in groups}

    def _invoice_pay_ask_question(self, invoice_id, raw_message):
        """Post the customer's question on the invoice's chatter, as the customer, for its salesperson.

        :return: the date the question was sent, in the customer's time zone
        :raise ValidationError: unknown invoice, empty or too long message; nothing is written
        """
        self.ensure_one()
        valid_id = isinstance(invoice_id, int) and not isinstance(invoice_id, bool)
        invoice = self._get_printable_invoice(invoice_id if valid_id else 0)
        if not invoice or invoice.move_type not in PAYABLE_MOVE_TYPES:
            raise ValidationError(_("This invoice cannot be found. Please reload the page."))
        message = raw_message.strip() if isinstance(raw_message, str) else ""
        if not message:
            raise ValidationError(_("Please write your question."))
        if len(message) > QUESTION_MAX_LENGTH:
            raise ValidationError(_(
                "Your question is %(length)s characters long; please keep it to %(limit)s characters.",
                length=len(message), limit=QUESTION_MAX_LENGTH,
            ))
        invoice.message_post(
            body=plaintext2html(message),
            author_id=self.partner_id.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        salesperson = self._question_assignee(invoice)
        invoice.with_context(mail_activity_quick_update=True).activity_schedule(
            "mail.mail_activity_data_todo",
            summary=_("Question from the customer on the pay page"),
            note=plaintext2html(message),
            user_id=salesperson.id,
        )
        activity = self.env["invoice.pay.link.activity"]._log_events(
            self.partner_id, "question", company=invoice.company_id, invoice_id=invoice.id, note=invoice.name,
        )
        return fields.Date.context_today(self, activity.date)

    def _question_assignee(self, invoice):
        """Who answers a question about ``invoice``: its salesperson, else the customer's, else its author."""
        candidates = invoice.invoice_user_id | self.partner_id.user_id | invoice.create_uid
        return candidates.filtered(lambda user: user.active and not user.share)[:1] or self.env.ref("base.user_admin")
