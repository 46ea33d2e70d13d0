import base64
import logging
from datetime import timedelta
from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tools import SQL, format_amount, mute_logger

from ..pay_core.fees import fee_refund_share
from ..pay_core.money import to_decimal

_logger = logging.getLogger(__name__)

ABANDONED_AFTER_DAYS = 2
STATE_EVENTS = {
    "pending": "payment_pending",
    "done": "payment_made",
    "cancel": "payment_failed",
    "error": "payment_failed",
}


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    invoice_pay_link_id = fields.Many2one(
        "invoice.pay.link", readonly=True, index="btree_not_null",
        ondelete="set null", copy=False,
    )
    invoice_pay_allocation_ids = fields.One2many(
        "invoice.pay.allocation", "transaction_id", string="Invoice Allocations", readonly=True,
    )
    invoice_pay_fee = fields.Monetary(
        string="Convenience Fee", currency_field="currency_id", readonly=True, copy=False,
    )
    invoice_pay_fee_rule_id = fields.Many2one(
        "invoice.pay.fee.rule", string="Fee Rule", readonly=True, copy=False, ondelete="restrict",
    )
    invoice_pay_abandoned = fields.Boolean(
        string="Abandoned", readonly=True, copy=False,
        help="Cancelled automatically: the customer left the pay page without paying.",
    )
    invoice_pay_confirmation_pending = fields.Boolean(
        readonly=True, copy=False, index="btree_not_null",
        help="The customer's confirmation email is waiting to be sent.",
    )
    invoice_pay_unapplied_amount = fields.Monetary(
        string="Unapplied Amount", currency_field="currency_id", readonly=True, copy=False,
        help="Part of the payment that could not be applied to the chosen invoices (paid in the "
        "meantime); it stays as an open credit on the customer's account.",
    )

    # ------------------------------------------------------------
    # Payment creation: exactly the amounts chosen per invoice
    # ------------------------------------------------------------

    def _create_payment(self, **extra_create_values):
        """Override of `account_payment` for public-page payments and their refunds.

        Odoo reconciles a transaction's invoices in its own order; the customer chose
        an amount per invoice, so the journal entry gets one receivable line per
        invoice, each reconciled with its own invoice, and the fee its own income line.
        """
        self.ensure_one()
        if self.operation == "refund" and self.source_transaction_id.invoice_pay_fee:
            write_offs, payment_env = self._invoice_pay_refund_fee_write_offs()
            return super(PaymentTransaction, self.with_env(payment_env))._create_payment(
                write_off_line_vals=write_offs, **extra_create_values
            )
        if not self.invoice_pay_allocation_ids or self.operation == "validation" or self.amount <= 0:
            return super()._create_payment(**extra_create_values)
        return self._invoice_pay_create_payment(**extra_create_values)

    def _invoice_pay_create_payment(self, **extra_create_values):
        currency = self.currency_id
        company = self.provider_id.company_id
        partner = self.partner_id.commercial_partner_id
        allocations = self.invoice_pay_allocation_ids
        term_lines = self._invoice_pay_lock_receivable_lines(allocations.invoice_id)
        lines_by_invoice = term_lines.grouped("move_id")

        applied = self._invoice_pay_applicable_amounts(allocations, lines_by_invoice)
        fee_parts = self._invoice_pay_fee_line_parts()
        total = to_decimal(self.amount, currency.decimal_places)
        unapplied = total - sum(applied.values(), Decimal(0)) - sum((part["amount"] for part in fee_parts), Decimal(0))

        parts = [
            {
                "allocation": allocation,
                "amount": amount,
                "name": allocation.invoice_id.name,
                "account": lines_by_invoice[allocation.invoice_id][:1].account_id,
            }
            for allocation, amount in applied.items() if amount > 0
        ] + fee_parts
        receivable = partner.with_company(company).property_account_receivable_id
        if unapplied > 0 or not parts or "allocation" not in parts[0]:
            counterpart = {"amount": unapplied, "account": receivable, "name": False}
        else:
            counterpart = parts.pop(0)
        self._invoice_pay_set_balances(parts + [counterpart], total, company)

        payment_method_line = self.provider_id.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == self.provider_id
        )
        payment = self._invoice_pay_payment_model(parts).create({
            "amount": float(total),
            "payment_type": "inbound",
            "currency_id": currency.id,
            "partner_id": partner.id,
            "partner_type": "customer",
            "journal_id": self.provider_id.journal_id.id,
            "company_id": company.id,
            "payment_method_line_id": payment_method_line.id,
            "payment_token_id": self.token_id.id,
            "payment_transaction_id": self.id,
            "memo": f"{self.reference} - {self.provider_reference or ''}",
            "destination_account_id": counterpart["account"].id,
            "write_off_line_vals": [self._invoice_pay_write_off_vals(part, partner) for part in parts],
            "invoice_ids": [Command.set(allocations.invoice_id.ids)],
            **extra_create_values,
        }).with_env(self.env)
        payment.action_post()
        self.payment_id = payment
        self._invoice_pay_reconcile(payment, parts, counterpart, lines_by_invoice)
        self.invoice_pay_unapplied_amount = float(max(unapplied, Decimal(0)))
        for allocation in allocations:
            allocation.write({
                "amount_applied": float(applied[allocation]),
                "invoice_residual_after": allocation.invoice_id.amount_residual,
            })
        if unapplied > 0:
            self._invoice_pay_log_unapplied(payment, unapplied)
        return payment

    def _invoice_pay_lock_receivable_lines(self, invoices):
        """Lock the open receivable lines of the invoices for the rest of the transaction.

        A payment being registered on the same invoice elsewhere (back office, a
        second tab) either waits for this one, or has already committed, in which
        case PostgreSQL raises a serialization failure and the post-processing is
        retried with the invoice's new amount due.
        """
        term_lines = invoices.line_ids.filtered(lambda line: line.display_type == "payment_term")
        if term_lines:
            # A serialization failure here is expected under concurrency and retried by
            # Odoo: not an error worth a log line.
            with mute_logger("odoo.sql_db"):
                self.env.execute_query(SQL(
                    "SELECT id FROM account_move_line WHERE id IN %s FOR NO KEY UPDATE", tuple(term_lines.ids)
                ))
            term_lines.invalidate_recordset(["amount_residual", "amount_residual_currency", "reconciled"])
        return term_lines.filtered(lambda line: not line.reconciled)

    def _invoice_pay_applicable_amounts(self, allocations, lines_by_invoice):
        """What can still go to each invoice: the amount chosen, capped at what is due now."""
        decimal_places = self.currency_id.decimal_places
        applied = {}
        for allocation in allocations:
            invoice = allocation.invoice_id
            due_now = Decimal(0)
            if invoice.state == "posted" and invoice.currency_id == self.currency_id:
                lines = lines_by_invoice.get(invoice, self.env["account.move.line"])
                due_now = to_decimal(sum(lines.mapped("amount_residual_currency")), decimal_places)
            chosen = to_decimal(allocation.amount, decimal_places)
            applied[allocation] = max(Decimal(0), min(chosen, due_now))
        return applied

    def _invoice_pay_fee_line_parts(self):
        """Journal item parts of the convenience fee: income, and taxes if the rule has any."""
        if not self.invoice_pay_fee:
            return []
        rule = self.invoice_pay_fee_rule_id.with_company(self.company_id)
        fee = to_decimal(self.invoice_pay_fee, self.currency_id.decimal_places)
        return rule._journal_item_parts(fee, self.currency_id)

    def _invoice_pay_refund_fee_write_offs(self):
        """Refund of a public-page payment: reverse the fee income in proportion.

        Odoo's refund is an outbound payment against the receivable only; here the
        share of the fee that is refunded (all of it on a full refund) comes back
        out of the fee income, and only the rest out of the customer's receivable.
        """
        source = self.source_transaction_id
        currency = self.currency_id
        decimal_places = currency.decimal_places
        refund_amount = to_decimal(-self.amount, decimal_places)
        already_reversed = -sum((source.child_transaction_ids - self).filtered(
            lambda child: child.operation == "refund" and child.payment_id
        ).mapped("invoice_pay_fee"))
        remaining_fee = to_decimal(source.invoice_pay_fee - already_reversed, decimal_places)
        refunded_before = -sum((source.child_transaction_ids - self).filtered(
            lambda child: child.operation == "refund" and child.payment_id
        ).mapped("amount"))
        if refunded_before + float(refund_amount) >= source.amount - currency.rounding / 2:
            fee_share = remaining_fee  # the last refund takes back the whole fee
        else:
            fee_share = min(
                fee_refund_share(
                    to_decimal(source.invoice_pay_fee, decimal_places), to_decimal(source.amount, decimal_places),
                    refund_amount, decimal_places,
                ),
                remaining_fee,
            )
        self.invoice_pay_fee = -float(fee_share)
        parts = source.invoice_pay_fee_rule_id.with_company(source.company_id)._journal_item_parts(
            fee_share, currency, sign=-1
        )
        company = self.provider_id.company_id
        date = fields.Date.context_today(self)
        write_offs = []
        for part in parts:
            balance = currency._convert(float(part["amount"]), company.currency_id, company, date)
            write_offs.append({
                "name": part["name"],
                "account_id": part["account"].id,
                "partner_id": self.partner_id.commercial_partner_id.id,
                "currency_id": currency.id,
                "amount_currency": -float(part["amount"]),
                "balance": -balance,
                **part.get("extra_vals", {}),
            })
        return write_offs, self._invoice_pay_payment_model(parts).env

    def _invoice_pay_payment_model(self, parts):
        """``account.payment``, told to keep our fee tax lines as they are when there are some.

        Odoo recomputes tax lines from taxed base lines; the fee's tax lines are
        computed here (the fee is tax included) and must not be recomputed.
        """
        Payment = self.env["account.payment"]
        if any("tax_repartition_line_id" in part.get("extra_vals", {}) for part in parts):
            Payment = Payment.with_context(skip_invoice_sync=True)
        return Payment

    def _invoice_pay_set_balances(self, parts, total, company):
        """Give each part its balance in company currency, summing exactly to the total's.

        Converting cumulative amounts keeps rounding differences from piling up.
        """
        currency = self.currency_id
        date = fields.Date.context_today(self)
        cumulative_amount = Decimal(0)
        previous_balance = 0.0
        for part in parts:
            cumulative_amount += part["amount"]
            balance = currency._convert(float(cumulative_amount), company.currency_id, company, date)
            part["balance"] = balance - previous_balance
            previous_balance = balance

    def _invoice_pay_write_off_vals(self, part, partner):
        return {
            "name": part["name"],
            "account_id": part["account"].id,
            "partner_id": partner.id,
            "currency_id": self.currency_id.id,
            "amount_currency": -float(part["amount"]),
            "balance": -part["balance"],
            **part.get("extra_vals", {}),
        }

    def _invoice_pay_reconcile(self, payment, write_off_parts, counterpart, lines_by_invoice):
        """Reconcile each invoice with the payment line made for it, in one batch."""
        _liquidity, receivable_lines, _others = payment._seek_for_lines()
        write_off_names = {part["name"] for part in write_off_parts}
        line_by_part = [
            (part, receivable_lines.filtered(lambda line, name=part["name"]: line.name == name)[:1])
            for part in write_off_parts if "allocation" in part
        ]
        if "allocation" in counterpart:
            line_by_part.append(
                (counterpart, receivable_lines.filtered(lambda line: line.name not in write_off_names)[:1])
            )
        plan = []
        for part, payment_line in line_by_part:
            invoice_lines = lines_by_invoice[part["allocation"].invoice_id].filtered(
                lambda line, account=payment_line.account_id: line.account_id == account
            )
            if payment_line and invoice_lines:
                plan.append(payment_line + invoice_lines)
        if plan:
            self.env["account.move.line"]._reconcile_plan(plan)

    def _invoice_pay_log_unapplied(self, payment, unapplied):
        partner = self.partner_id.commercial_partner_id
        amount = format_amount(self.env, float(unapplied), self.currency_id)
        _logger.info("Transaction %s: %s could not be applied to its invoices", self.reference, amount)
        partner.sudo().message_post(body=_(
            "Payment %(payment)s: %(amount)s could not be applied to the chosen invoices (already "
            "paid in the meantime). It remains as an open credit on the customer's account.",
            payment=payment.display_name, amount=amount,
        ))

    # ------------------------------------------------------------
    # Post-processing: history, confirmation, notifications
    # ------------------------------------------------------------

    def _log_message_on_linked_documents(self, message):
        """Override of `account_payment`: one batch of notes for all the invoices paid.

        A payment of the pay page may cover a hundred invoices; Odoo posts a message
        on each, one by one, at every state change.
        """
        self.ensure_one()
        if not self.invoice_pay_link_id or self.source_transaction_id:
            return super()._log_message_on_linked_documents(message)
        invoices = self._get_invoices_to_notify()
        if invoices:
            invoices._message_log_batch(
                bodies=dict.fromkeys(invoices.ids, message), author_id=self.env.user.partner_id.id,
            )
        return None

    def _post_process(self):
        """Override of `payment` to record the payment in the pay link history and tell people."""
        result = super()._post_process()
        for tx in self.filtered("invoice_pay_link_id"):
            tx._invoice_pay_after_state_change()
        return result

    def _invoice_pay_after_state_change(self):
        self.ensure_one()
        event = STATE_EVENTS.get(self.state)
        if not event or self.invoice_pay_abandoned:
            return
        Activity = self.env["invoice.pay.link.activity"].sudo()
        if Activity.search_count([("transaction_id", "=", self.id), ("event", "=", event)], limit=1):
            return
        Activity._log_events(
            self.partner_id, event, company=self.company_id,
            transaction_id=self.id, amount=self.amount, currency_id=self.currency_id.id,
        )
        if self.state == "done":
            self._invoice_pay_notify_done()

    def _invoice_pay_notify_done(self):
        """Log the payment and notify the salespeople; queue the customer's confirmation.

        The confirmation email carries the receipt PDF. Printing it here would keep
        the customer's request (and the invoices' locks) waiting for wkhtmltopdf,
        which loads its styles from this same server: a cron sends it instead.
        """
        partner = self.partner_id.commercial_partner_id
        if self.partner_id.email or partner.email:
            self.invoice_pay_confirmation_pending = True
            self.env.ref("invoice_public_pay.ir_cron_send_invoice_pay_confirmations")._trigger()
        salespeople = (partner.user_id | self.invoice_pay_allocation_ids.invoice_id.invoice_user_id).partner_id
        body = self.env["ir.qweb"]._render("invoice_public_pay.invoice_pay_payment_note", {"tx": self})
        partner.sudo().message_post(
            body=body,
            partner_ids=salespeople.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )

    @api.model
    def _cron_send_invoice_pay_confirmations(self, limit=50):
        """Email the confirmation, with the receipt, of payments done on the pay page."""
        template = self.env.ref("invoice_public_pay.mail_template_invoice_pay_confirmation", raise_if_not_found=False)
        transactions = self.sudo().search([("invoice_pay_confirmation_pending", "=", True)], limit=limit)
        for transaction in transactions:
            if template:
                template.send_mail(
                    transaction.id, email_layout_xmlid="mail.mail_notification_light",
                    email_values=transaction._invoice_pay_receipt_email_values(),
                )
            transaction.invoice_pay_confirmation_pending = False
        if len(transactions) == limit:
            self.env.ref("invoice_public_pay.ir_cron_send_invoice_pay_confirmations")._trigger()

    @api.autovacuum
    def _gc_invoice_pay_abandoned_transactions(self):
        """Cancel page transactions left in draft for two days: the customer never paid.

        Odoo leaves such drafts behind forever; here they are cancelled, not
        deleted, so that the history stays complete, and they change no invoice.
        """
        limit = fields.Datetime.now() - timedelta(days=ABANDONED_AFTER_DAYS)
        abandoned = self.sudo().search([
            ("invoice_pay_link_id", "!=", False),
            ("state", "=", "draft"),
            ("create_date", "<", limit),
        ])
        abandoned.invoice_pay_abandoned = True
        abandoned._set_canceled(state_message=_("Abandoned on the public pay page."))

    def _invoice_pay_fee_label(self):
        """Label of the convenience fee line on receipts and messages, in the customer's language."""
        self.ensure_one()
        rule = self.invoice_pay_fee_rule_id or self.source_transaction_id.invoice_pay_fee_rule_id
        if rule:
            return rule.with_context(lang=self.partner_id.lang or self.env.lang).name
        return _("Convenience fee")

    def _get_report_base_filename(self):
        """File name of printed receipts (used by the portal's report download)."""
        self.ensure_one()
        return _("Receipt %s", self.reference)

    # ------------------------------------------------------------
    # Printed receipts
    # ------------------------------------------------------------
    def _invoice_pay_get_receipt_report(self):
        """The receipt layout chosen in the settings of the transaction's company (sudo)."""
        self.ensure_one()
        return self.company_id._invoice_pay_get_receipt_report()

    def _invoice_pay_amount_in_words(self):
        """The total paid in words, in the customer's language.

        Odoo's ``res.currency.amount_to_text`` names the currency's units and falls
        back to English where ``num2words`` does not know the language.
        """
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        return self.currency_id.with_context(lang=lang).amount_to_text(self.amount)

    def action_invoice_pay_print_receipt(self):
        """Print the receipt in the layout the public page uses."""
        self.ensure_one()
        # Receipts have their own layout: no need to choose the company's document layout first.
        return self._invoice_pay_get_receipt_report().report_action(self, config=False)

    def _invoice_pay_receipt_email_values(self):
        """Email values attaching the receipt to the payment confirmation.

        A receipt that cannot be printed (no PDF engine, say) must not stop the
        confirmation itself: the email then goes without it.
        """
        self.ensure_one()
        report = self._invoice_pay_get_receipt_report()
        try:
            content, _report_format = report.with_company(self.company_id)._render_qweb_pdf(report, self.ids)
        except UserError:
            _logger.warning("Transaction %s: the receipt could not be printed for the confirmation email",
                            self.reference, exc_info=True)
            return {}
        return {"attachments": [(self._invoice_pay_receipt_filename(), base64.b64encode(content))]}

    def _invoice_pay_receipt_filename(self):
        customer_self = self.with_context(lang=self.partner_id.lang or self.env.lang)
        return f"{customer_self._get_report_base_filename()}.pdf".replace("/", "-")
