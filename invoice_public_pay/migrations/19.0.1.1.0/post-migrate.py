"""19.0.1.1.0: settlement lines for the pay page transactions made before them.

Refunds, receipts and captures now read what a transaction settled (its fee
snapshot, what each invoice got, what stayed unapplied) from settlement lines.
For transactions made with 19.0.1.0.0 they are rebuilt here from what was booked:
the journal items of their payments, their allocations and their unapplied
amount. Nothing existing is changed.

The payment confirmation email reads the same settlement, and the pay link email
says "1 invoice" rather than "1 invoices". Both templates are loaded with
noupdate (companies may reword them): a template nobody edited since it was
installed gets the new expressions; an edited one is left as it is.
"""

import logging

from psycopg2.extras import Json

from odoo import SUPERUSER_ID, api
from odoo.fields import Command

_logger = logging.getLogger(__name__)

PAY_LINK_BODY_CHANGES = (
    (
        """(<t t-out="balance['count']">3</t> invoices)""",
        """<t t-if="balance['count'] == 1">(1 invoice)</t>"""
        """<t t-else="">(<t t-out="balance['count']">3</t> invoices)</t>""",
    ),
)

CONFIRMATION_BODY_CHANGES = (
    (
        '<div style="margin: 0px; padding: 0px; font-size: 13px;">',
        '<div style="margin: 0px; padding: 0px; font-size: 13px;">'
        '<t t-set="summary" t-value="object._invoice_pay_receipt_summary()"/>',
    ),
    ('t-foreach="object.invoice_pay_allocation_ids"', 't-foreach="summary.invoice_lines"'),
    ("allocation.invoice_id.name", "allocation.invoice.name"),
    ("allocation.amount_applied", "allocation.amount"),
    ("allocation.invoice_residual_after", "allocation.residual_after"),
    ('t-if="object.invoice_pay_fee"', 't-if="summary.fee"'),
    ("format_amount(object.invoice_pay_fee,", "format_amount(summary.fee,"),
    ('t-if="object.invoice_pay_unapplied_amount"', 't-if="summary.unapplied"'),
    ("format_amount(object.invoice_pay_unapplied_amount,", "format_amount(summary.unapplied,"),
    ("format_amount(object.amount,", "format_amount(summary.total,"),
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    _set_fee_kinds(env)
    Transaction = env["payment.transaction"].with_context(active_test=False)
    page_transactions = Transaction.search([
        ("invoice_pay_link_id", "!=", False), ("invoice_pay_settlement_line_ids", "=", False),
    ])
    booked = page_transactions.filtered("payment_id")
    for transaction in booked:
        _settle_booked_payment(env, transaction)
    # Not booked yet (draft, pending, authorized): the fee as the rule says now, as on creation.
    (page_transactions - booked).filtered(
        lambda tx: tx.invoice_pay_fee > 0 and tx.invoice_pay_fee_rule_id
    )._invoice_pay_snapshot_fee()
    refunds = Transaction.search([
        ("operation", "=", "refund"), ("payment_id", "!=", False),
        ("source_transaction_id.invoice_pay_link_id", "!=", False),
        ("invoice_pay_settlement_line_ids", "=", False),
    ])
    for refund in refunds.sorted("id"):
        _settle_booked_refund(env, refund)
    for xmlid, changes in (
        ("invoice_public_pay.mail_template_invoice_pay_confirmation", CONFIRMATION_BODY_CHANGES),
        ("invoice_public_pay.mail_template_invoice_pay_link", PAY_LINK_BODY_CHANGES),
    ):
        _update_unedited_template(env, xmlid, changes)
    _logger.info(
        "invoice_public_pay: settlement lines rebuilt for %s payments and %s refunds", len(booked), len(refunds)
    )


def _set_fee_kinds(env):
    """Fee rules of 19.0.1.0.0 get the kind their shape is.

    A percentage on card methods is a credit card surcharge (rules mixing card and
    other methods too: charging no fee on the others is the safe reading; the rule
    asks to be split at its next edit); a percentage on other methods only, a
    service fee; a fixed amount alone, a flat fee; a fixed amount with a minimum or
    maximum that changes it, a service fee (it charges what it charged). Written in
    SQL: a rule above today's cap is kept as it is (the cap still applies when it
    is charged) rather than refused, and logged.
    """
    rules = env["invoice.pay.fee.rule"].with_context(active_test=False).search([])
    for rule in rules:
        if not rule.percentage and not rule.min_fee and not rule.max_fee:
            kind = "flat"
        elif not rule.percentage and not any(method._invoice_pay_is_card() for method in rule.payment_method_ids):
            kind = "service"
        elif not rule.percentage:
            kind = "flat"
            _logger.warning(
                "invoice_public_pay: fee rule %s (%s) had a minimum or maximum on a fixed card fee; it is now a "
                "flat fee of %s", rule.id, rule.name, rule.fixed_amount,
            )
        elif any(method._invoice_pay_is_card() for method in rule.payment_method_ids):
            kind = "surcharge"
        else:
            kind = "service"
        if kind == "surcharge" and (
            rule.percentage > rule.company_id.invoice_pay_surcharge_cap
            or not all(method._invoice_pay_is_card() for method in rule.payment_method_ids)
        ):
            _logger.warning(
                "invoice_public_pay: fee rule %s (%s) is now a credit card surcharge that its next edit must "
                "bring within the card rules (card methods only, at most the company's cap)", rule.id, rule.name,
            )
        env.cr.execute("UPDATE invoice_pay_fee_rule SET fee_kind = %s WHERE id = %s", [kind, rule.id])
    rules.invalidate_recordset(["fee_kind"])


def _fee_items(transaction):
    """Journal items of a payment that are neither its bank side nor the customer's account."""
    move_lines = transaction.payment_id.move_id.line_ids
    liquidity, receivable, others = transaction.payment_id._seek_for_lines()
    return (move_lines - liquidity - receivable).filtered(
        lambda line: line.account_id.account_type not in ("asset_receivable", "liability_payable")
    ) & others


def _refund_repartition(repartition_line):
    """The refund repartition line matching an invoice repartition line of the same tax."""
    tax = repartition_line.tax_id
    invoice_lines = tax.invoice_repartition_line_ids.filtered(lambda line: line.repartition_type == "tax")
    refund_lines = tax.refund_repartition_line_ids.filtered(lambda line: line.repartition_type == "tax")
    for invoice_line, refund_line in zip(invoice_lines, refund_lines, strict=False):
        if invoice_line == repartition_line:
            return refund_line
    return refund_lines[:1]


def _settle_booked_payment(env, transaction):
    rule = transaction.invoice_pay_fee_rule_id
    values = []
    for item in _fee_items(transaction) if transaction.invoice_pay_fee else []:
        repartition = item.tax_repartition_line_id
        refund_repartition = _refund_repartition(repartition) if repartition else repartition
        if repartition:
            refund_tags = refund_repartition.tag_ids
        else:
            refund_tags = rule.tax_ids.refund_repartition_line_ids.filtered(
                lambda line: line.repartition_type == "base"
            ).tag_ids
        values.append({
            "kind": "fee",
            "name": item.name,
            "amount": -item.amount_currency,
            "account_id": item.account_id.id,
            "refund_account_id": (refund_repartition.account_id or item.account_id).id if repartition else False,
            "fee_kind": rule.fee_kind or "flat",
            "fee_percentage": rule.percentage,
            "fee_fixed_amount": rule.fixed_amount,
            "tax_id": repartition.tax_id.id,
            "tax_repartition_line_id": repartition.id,
            "refund_tax_repartition_line_id": refund_repartition.id,
            "tax_tag_ids": [Command.set(item.tax_tag_ids.ids)],
            "refund_tax_tag_ids": [Command.set(refund_tags.ids)],
        })
    receivable = transaction.partner_id.commercial_partner_id.with_company(
        transaction.company_id
    ).property_account_receivable_id
    for allocation in transaction.invoice_pay_allocation_ids.filtered("amount_applied"):
        values.append({
            "kind": "invoice",
            "invoice_id": allocation.invoice_id.id,
            "name": allocation.invoice_id.name,
            "amount": allocation.amount_applied,
            "invoice_residual_after": allocation.invoice_residual_after,
            "account_id": allocation.invoice_id.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )[:1].account_id.id,
        })
    if transaction.invoice_pay_unapplied_amount:
        values.append({
            "kind": "unapplied",
            "name": env._("Unapplied"),
            "amount": transaction.invoice_pay_unapplied_amount,
            "account_id": receivable.id,
        })
    env["invoice.pay.settlement.line"].create([
        {**line_values, "transaction_id": transaction.id, "sequence": sequence}
        for sequence, line_values in enumerate(values)
    ])


def _refunded_fee_line(fee_lines, item):
    """The fee line of the refunded payment that a refund's fee item gave back.

    19.0.1.0.0 booked a refund's fee on the rule's accounts of the refund day, so
    accounts may differ: match by role (the income, or the same tax, else any tax).
    """
    tax = item.tax_repartition_line_id.tax_id
    income = fee_lines.filtered(lambda line: not line.tax_id)
    taxes = fee_lines - income
    if not item.tax_repartition_line_id:
        return income[:1] or fee_lines[:1]
    return taxes.filtered(lambda line: line.tax_id == tax)[:1] or taxes[:1] or fee_lines[:1]


def _settle_booked_refund(env, refund):
    refunded_fee_lines = refund.source_transaction_id._invoice_pay_fee_lines()
    values = []
    for item in _fee_items(refund):
        fee_line = _refunded_fee_line(refunded_fee_lines, item)
        values.append({
            **(fee_line._copy_fee_values(item.amount_currency) if fee_line else {"kind": "fee", "name": item.name}),
            "amount": item.amount_currency,
            "account_id": item.account_id.id,
        })
    rest = -refund.amount - sum(value["amount"] for value in values)
    if rest > 0:
        values.append({
            "kind": "unapplied",
            "name": env._("Refunded"),
            "amount": rest,
            "account_id": refund.partner_id.commercial_partner_id.with_company(
                refund.company_id
            ).property_account_receivable_id.id,
        })
    env["invoice.pay.settlement.line"].create([
        {**line_values, "transaction_id": refund.id, "sequence": sequence}
        for sequence, line_values in enumerate(values)
    ])


def _update_unedited_template(env, xmlid, changes):
    """Apply ``changes`` (old, new) to the body of an email template nobody edited since install."""
    template = env.ref(xmlid, raise_if_not_found=False)
    if not template or template.write_date > template.create_date:
        return
    env.cr.execute("SELECT body_html FROM mail_template WHERE id = %s", [template.id])
    bodies = env.cr.fetchone()[0] or {}
    for lang, body in bodies.items():
        if not all(old in body for old, _new in changes):
            return  # not the body this version installed: leave it alone
        for old, new in changes:
            body = body.replace(old, new)
        bodies[lang] = body
    env.cr.execute("UPDATE mail_template SET body_html = %s WHERE id = %s", [Json(bodies), template.id])
    template.invalidate_recordset(["body_html"])
