from odoo import _, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

# Changing any of these would make Odoo rebuild the entry from the payment's header and merge the
# per-invoice receivable lines and the fee lines of a pay page payment into one line.
PAGE_PAYMENT_LOCKED_FIELDS = (
    "amount", "date", "partner_id", "currency_id", "journal_id",
    "payment_type", "partner_type", "destination_account_id",
)


class AccountPayment(models.Model):
    _inherit = "account.payment"

    # ------------------------------------------------------------
    # Payments made on the public pay page
    # ------------------------------------------------------------

    def _invoice_pay_page_transaction(self):
        """The pay page transaction this payment books (the source one for refunds and captures)."""
        self.ensure_one()
        transaction = self.payment_transaction_id
        if transaction.invoice_pay_link_id:
            return transaction
        if transaction.source_transaction_id.invoice_pay_link_id:
            return transaction.source_transaction_id
        return transaction.browse()

    def _invoice_pay_page_payments(self):
        return self.filtered(lambda payment: payment.sudo()._invoice_pay_page_transaction())

    def _invoice_pay_locked_message(self):
        self.ensure_one()
        transaction = self.sudo()._invoice_pay_page_transaction()
        count = len(transaction.invoice_pay_allocation_ids) or len(transaction.invoice_ids)
        has_fee = bool(transaction.invoice_pay_fee or self.sudo().payment_transaction_id.invoice_pay_fee)
        if count > 1:
            if has_fee:
                return _("Made on the pay page over %(count)s invoices and a fee: cancel it and register it again.",
                         count=count)
            return _("Made on the pay page over %(count)s invoices: cancel it and register it again.", count=count)
        if has_fee:
            return _("Made on the pay page with a fee: cancel it and register it again.")
        return _("Made on the pay page: cancel it and register it again.")

    def _invoice_pay_changes_locked_field(self, vals):
        """Whether ``vals`` gives one of the locked fields another value than the payment has."""
        self.ensure_one()
        for name in PAGE_PAYMENT_LOCKED_FIELDS:
            if name not in vals:
                continue
            field = self._fields[name]
            new_value = field.convert_to_cache(vals[name], self)
            old_value = field.convert_to_cache(self[name], self)
            if name == "amount":
                if float_compare(new_value or 0.0, old_value or 0.0,
                                 precision_rounding=self.currency_id.rounding or 0.01):
                    return True
            elif new_value != old_value:
                return True
        return False

    def write(self, vals):
        """Refuse the changes that would merge the lines of a pay page payment's entry.

        The entry has one receivable line per invoice, each reconciled with its invoice,
        and the fee's income and tax lines; Odoo rebuilds an entry from the payment's
        header when these fields change. Writing the values the payment already has
        (Odoo's own synchronisations do) is allowed.
        """
        if any(name in vals for name in PAGE_PAYMENT_LOCKED_FIELDS):
            for payment in self._invoice_pay_page_payments():
                if payment._invoice_pay_changes_locked_field(vals):
                    raise UserError(payment._invoice_pay_locked_message())
        result = super().write(vals)
        if "state" in vals and not self.env.context.get("invoice_pay_booking"):
            # Cancelled from its journal entry, say: the allocations show what is left.
            self._invoice_pay_refresh_allocations()
        return result

    def _synchronize_to_moves(self, changed_fields):
        """Override of `account`: leave the lines of pay page entries as they are.

        Odoo expects one counterpart line per payment (``_seek_for_lines``) and writes
        it back from the header: on a page payment over several invoices that raises
        "Expected singleton", and would merge the fee lines. The fields that would
        change the lines are refused in :meth:`write`; the others (memo, reference)
        do not touch the lines.
        """
        page_payments = self._invoice_pay_page_payments()
        if "partner_bank_id" in changed_fields:
            for payment in page_payments.filtered(lambda payment: payment.move_id.state == "draft"):
                payment.move_id.with_context(skip_invoice_sync=True).partner_bank_id = payment.partner_bank_id
        return super(AccountPayment, self - page_payments)._synchronize_to_moves(changed_fields)

    def action_draft(self):
        """Override of `account`: a cancelled pay page payment stays cancelled.

        Confirmed again, Odoo would rebuild its entry from the header: one receivable
        line, no fee, nothing reconciled. It is registered again instead.
        """
        for payment in self._invoice_pay_page_payments():
            if payment.state == "canceled" or not payment.move_id:
                raise UserError(payment._invoice_pay_locked_message())
        result = super().action_draft()
        self._invoice_pay_refresh_allocations()
        return result

    def unlink(self):
        """Override of `account`: the page transaction's allocations no longer count a deleted payment."""
        page_transactions = self.env["payment.transaction"].sudo().union(*(
            payment.sudo().payment_transaction_id._invoice_pay_page_transaction()
            for payment in self._invoice_pay_page_payments()
        ))
        result = super().unlink()
        for transaction in page_transactions.exists():
            transaction._invoice_pay_update_allocations()
        return result

    def copy_data(self, default=None):
        """Override of `account`: a copy of a pay page payment is an ordinary manual payment."""
        vals_list = super().copy_data(default=default)
        for payment, vals in zip(self, vals_list, strict=True):
            if payment._invoice_pay_page_payments() and "payment_transaction_id" not in (default or {}):
                vals["payment_transaction_id"] = False
        return vals_list

    def action_cancel(self):
        """Override of `account`: cancelling unreconciles; the page's allocations show it."""
        result = super().action_cancel()
        self._invoice_pay_refresh_allocations()
        return result

    def _invoice_pay_refresh_allocations(self):
        """Recompute what each invoice of the page payments still receives from them.

        Read by the back office: after a cancellation nothing is applied any more, and
        the remaining due is the invoice's amount due again. A capture's payment
        counts for the page transaction it captures; a refund changes no allocation.
        """
        for payment in self._invoice_pay_page_payments().sudo():
            page_transaction = payment.payment_transaction_id._invoice_pay_page_transaction()
            if page_transaction:
                page_transaction._invoice_pay_update_allocations()
