import hashlib
import logging
from decimal import Decimal

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import ConcurrencyError, ValidationError
from odoo.fields import Command
from odoo.tools import consteq, format_date, mute_logger
from odoo.tools.misc import hmac

from ..pay_core.allocation import AllocationError, OpenInvoice, spread_amount, validate_allocations
from ..pay_core.money import to_decimal
from ..pay_core.tokens import generate_token, is_well_formed_token
from ..stored_pdfs import find_stored_pdf, store_pdf
from .invoice_pay_checkout import InvoicePayCheckout

_logger = logging.getLogger(__name__)

INVOICE_PAY_ROUTE = "/invoice-pay"
#: Description prefix of the invoice PDFs a link printed: "<mark><invoice id> <checksum>".
INVOICE_PDF_MARK = "invoice_public_pay invoice PDF "
PAYABLE_MOVE_TYPES = ("out_invoice", "out_receipt")


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
        for link in self:
            link.sudo().token = generate_token()

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
            "show_company": len({balance["company"] for balance in invoice_balances}) > 1,
            "invoices_url": f"{INVOICE_PAY_ROUTE}/{self.token}/invoices",
        }

    # ------------------------------------------------------------
    # Invoices shown on the page
    # ------------------------------------------------------------

    def _get_open_documents_domain(self, move_types):
        self.ensure_one()
        return self.partner_id._invoice_pay_open_moves_domain(move_types)

    def _get_open_invoices(self):
        """Posted customer invoices of the customer and its contacts with an amount due (sudo).

        Fetched in one query with every field the page shows.
        """
        self.ensure_one()
        return self.env["account.move"].sudo().search_fetch(
            self._get_open_documents_domain(PAYABLE_MOVE_TYPES),
            ["name", "invoice_date", "invoice_date_due", "amount_total", "amount_residual",
             "company_id", "currency_id", "payment_state", "move_type", "partner_id"],
            order="invoice_date_due, invoice_date, id",
        )

    def _get_open_credit_notes(self):
        self.ensure_one()
        return self.env["account.move"].sudo().search_fetch(
            self._get_open_documents_domain(("out_refund",)),
            ["name", "invoice_date", "amount_total", "amount_residual", "company_id", "currency_id"],
            order="invoice_date, id",
        )

    @api.model
    def _group_invoices(self, invoices):
        """Split invoices into payment groups: one per company and currency, in a stable order."""
        groups = {}
        for invoice in invoices:
            groups.setdefault((invoice.company_id, invoice.currency_id), []).append(invoice)
        return [
            {
                "key": f"{company.id}-{currency.id}",
                "company": company,
                "currency": currency,
                "invoices": self.env["account.move"].union(*group_invoices),
                "amount_residual": sum(invoice.amount_residual for invoice in group_invoices),
            }
            for (company, currency), group_invoices in sorted(
                groups.items(), key=lambda item: (item[0][0].sequence, item[0][0].id, item[0][1].name)
            )
        ]

    @api.model
    def _to_open_invoice(self, invoice):
        return OpenInvoice(
            invoice_id=invoice.id,
            amount_due=to_decimal(invoice.amount_residual, invoice.currency_id.decimal_places),
            company_id=invoice.company_id.id,
            currency_id=invoice.currency_id.id,
            due_date=invoice.invoice_date_due,
            invoice_date=invoice.invoice_date,
            blocked=invoice.payment_state == "blocked",
        )

    # ------------------------------------------------------------
    # Checkout: the server's own figures for a payment request
    # ------------------------------------------------------------

    def _invoice_pay_prepare_checkout(self, raw_allocations, payment_method=None, provider=None, card=None):
        """Validate the customer's choice against the database and price it.

        :param raw_allocations: the ``allocations`` received from the browser
        :param payment_method: the ``payment.method`` chosen, if any (for the fee)
        :param provider: the ``payment.provider`` chosen, if any (for the fee)
        :param card: the :class:`pay_core.fees.CardDetails` the provider reported, if any
        :return: an :class:`InvoicePayCheckout`
        :raise ValidationError: with a message for the customer; nothing is written
        """
        self.ensure_one()
        invoices = self._get_open_invoices()
        invoices_by_id = {invoice.id: invoice for invoice in invoices}
        open_invoices = {invoice.id: self._to_open_invoice(invoice) for invoice in invoices}
        decimal_places = self._checkout_decimal_places(raw_allocations, invoices_by_id)
        try:
            allocations = validate_allocations(raw_allocations, open_invoices, decimal_places)
        except AllocationError as error:
            raise ValidationError(self._allocation_error_message(error, invoices_by_id)) from error
        lines = [(invoices_by_id[allocation.invoice_id], allocation.amount) for allocation in allocations]
        return self._price_checkout(lines, payment_method, provider, card)

    def _invoice_pay_spread_amount(self, raw_amount, group_key):
        """Spread one amount over a group's invoices, oldest due date first.

        :return: list of ``{"invoice_id", "amount"}`` the page fills in
        """
        self.ensure_one()
        invoices = self._get_open_invoices()
        group = next((g for g in self._group_invoices(invoices) if g["key"] == group_key), None)
        if not group:
            raise ValidationError(_("These invoices cannot be paid any more. Please reload the page."))
        try:
            allocations = spread_amount(
                raw_amount,
                [self._to_open_invoice(invoice) for invoice in group["invoices"]],
                group["currency"].decimal_places,
            )
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

    def _check_fee_unchanged(self, checkout, fee_signature, card_bound=False):
        """Refuse to charge a fee the customer was not shown (the rule changed since the quote).

        ``card_bound``: the payment goes with the card entry that was priced (a Stripe
        ConfirmationToken); another one is refused even when its fee is the same.
        """
        if (checkout.fee or card_bound) and not (
            isinstance(fee_signature, str) and consteq(fee_signature, self._fee_signature(checkout))
        ):
            raise ValidationError(_(
                "The fee changed, please review: the fee is now %(fee)s and the total %(total)s.",
                fee=checkout.currency.format(float(checkout.fee)),
                total=checkout.currency.format(float(checkout.amount_total)),
            ))

    def _allocation_error_message(self, error, invoices_by_id, currency=None):
        """Turn a core allocation error into a message the customer understands."""
        invoice = invoices_by_id.get(error.invoice_id)
        name = invoice.name if invoice else ""
        if error.code == "unknown_invoice":
            return self._unknown_invoice_message(error.invoice_id)
        if error.code == "invalid_amount":
            currency = invoice.currency_id if invoice else currency
            return self._amount_error_message(error.amount_code, name, currency)
        if error.code == "exceeds_due":
            if invoice:
                return _(
                    "The amount for invoice %(invoice)s is more than its amount due (%(amount_due)s).",
                    invoice=name, amount_due=invoice.currency_id.format(invoice.amount_residual),
                )
            return _("The amount is more than the total due on these invoices.")
        messages = {
            "malformed": _("The payment request could not be read. Please reload the page and try again."),
            "empty": _("Select at least one invoice to pay."),
            "too_many": _("Too many invoices in one payment. Please pay them in several payments."),
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
        """Values of the invoice list page: payable groups and open credit notes."""
        self.ensure_one()
        invoices = self._get_open_invoices()
        today = fields.Date.context_today(self)
        return {
            "pay_link": self,
            "partner": self.partner_id,
            "company": self._get_page_company([{"company": company} for company in invoices.company_id]),
            "groups": self._group_invoices(invoices),
            "credit_notes": self._get_open_credit_notes(),
            "today": today,
            "base_path": f"/invoice-pay/{self.token}",
            # Plain formatting: the field widgets cost a few milliseconds per row.
            "format_date": lambda date: format_date(self.env, date),
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
        """The customer's own done transaction ``transaction_id`` (sudo), else nothing."""
        transaction = self._get_customer_transaction(transaction_id)
        return transaction if transaction and transaction.state == "done" else None

    def _get_receipt_report(self, transaction):
        """The receipt layout to print ``transaction`` with: the company's setting."""
        return transaction._invoice_pay_get_receipt_report()

    def _get_payment_result(self, transaction_id):
        """What the page tells the customer coming back from paying (``?tx=``), if anything."""
        transaction = transaction_id and self._get_customer_transaction(transaction_id)
        if not transaction:
            return None
        return {
            "transaction": transaction,
            "state": transaction.state,
            "receipt_url": f"/invoice-pay/{self.token}/receipt/{transaction.id}",
        }

    def _get_reference_prefix(self, checkout):
        """Transaction reference: the invoice's number, with the count of the others.

        No sequence is taken: concurrent payments would queue on it. Odoo makes the
        reference unique by adding a suffix.
        """
        first = checkout.lines[0][0]
        others = len(checkout.lines) - 1
        return f"{first.name}+{others}" if others else first.name

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
