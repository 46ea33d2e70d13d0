from odoo import api, fields, models
from odoo.tools import SQL

#: Days after the first "sent" in which opening and paying count for the cohort.
RESULT_WINDOW_DAYS = 60
#: Aggregates the pivot cannot take from an average or a sum: computed over the group's rows.
GROUP_AGGREGATES = {
    # Median of the customers' days to pay (customers who paid only).
    ("days_to_first_payment", "median"): lambda table: SQL(
        "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s)", SQL.identifier(table, "days_to_first_payment"),
    ),
    # Partial payments out of all the group's payments, not an average of the customers' shares.
    ("partial_payment_share", "share"): lambda table: SQL(
        "100.0 * SUM(%s) / NULLIF(SUM(%s), 0)",
        SQL.identifier(table, "partial_payment_count"), SQL.identifier(table, "payment_count"),
    ),
}


class InvoicePayLinkReport(models.Model):
    """What the pay links collect: one row per customer and company, in the cohort of its first "sent".

    A read-only view over the link activity (as Odoo's ``account.invoice.report``):
    whether the customer opened the page and paid through it within 60 days of
    the first time the link was sent, what that collected (fees apart, in the
    company's currency, as booked), how many days the first payment took, and how
    many payments left an invoice partly paid. Rates are averages of 0 and 100 over
    customers; the median and the share of partial payments are computed over the
    group (``_read_group_select``).
    """

    _name = "invoice.pay.link.report"
    _description = "Pay Link Results"
    _auto = False
    _rec_name = "partner_id"
    _order = "cohort_date desc, partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    cohort_date = fields.Date(string="Cohort", readonly=True, help="Month the link was first sent.")
    first_sent_date = fields.Datetime(string="First Sent", readonly=True)
    sent_count = fields.Integer(string="Links Sent", readonly=True, aggregator="sum")
    opened_count = fields.Integer(string="Opened (60 days)", readonly=True, aggregator="sum")
    paid_count = fields.Integer(string="Paid (60 days)", readonly=True, aggregator="sum")
    opened_rate = fields.Float(string="Open Rate (%)", digits=(16, 1), readonly=True, aggregator="avg")
    paid_rate = fields.Float(string="Pay Rate (%)", digits=(16, 1), readonly=True, aggregator="avg")
    amount_collected = fields.Monetary(
        string="Collected (60 days)", currency_field="currency_id", readonly=True, aggregator="sum",
        help="Paid through the page within 60 days of the first sent, fees apart, in the company's currency.",
    )
    days_to_first_payment = fields.Float(
        string="Median Days to Pay", digits=(16, 1), readonly=True, aggregator="median",
        help="Days from the first sent to the first payment through the page, for customers who paid within 60 days.",
    )
    payment_count = fields.Integer(string="Payments (60 days)", readonly=True, aggregator="sum")
    partial_payment_count = fields.Integer(string="Partial Payments", readonly=True, aggregator="sum")
    partial_payment_share = fields.Float(
        string="Partial Payments (%)", digits=(16, 1), readonly=True, aggregator="share",
        help="Payments leaving at least one invoice partly due, out of all payments through the page.",
    )

    def _read_group_select(self, aggregate_spec, query):
        """Override of `base`: the median and the share of partial payments over the group's rows."""
        fname, _property, func = aggregate_spec.partition(":")
        if (fname, func) in GROUP_AGGREGATES:
            self._read_group_select(f"{fname}:max", query)  # the field's access check
            return GROUP_AGGREGATES[(fname, func)](self._table)
        return super()._read_group_select(aggregate_spec, query)

    @api.model
    def _query(self):
        window = SQL("INTERVAL %s", f"{RESULT_WINDOW_DAYS} days")
        return SQL(
            """
            WITH first_sent AS (
                SELECT DISTINCT ON (partner_id, company_id) id, partner_id, company_id, date AS sent_date
                  FROM invoice_pay_link_activity
                 WHERE event = 'sent'
                 ORDER BY partner_id, company_id, date, id
            ), window_events AS (
                SELECT first_sent.id AS row_id, activity.event, activity.date, activity.transaction_id
                  FROM first_sent
                  JOIN invoice_pay_link_activity activity
                    ON activity.partner_id = first_sent.partner_id
                   AND activity.company_id = first_sent.company_id
                   AND activity.date >= first_sent.sent_date
                   AND activity.date <= first_sent.sent_date + %(window)s
                   AND activity.event IN ('opened', 'payment_made')
            ), payments AS (
                SELECT window_events.row_id, window_events.date,
                       COALESCE(payment.amount_company_currency_signed, tx.amount)
                         * (tx.amount - COALESCE(tx.invoice_pay_fee, 0)) / NULLIF(tx.amount, 0) AS collected,
                       EXISTS (
                           SELECT 1 FROM invoice_pay_settlement_line settlement
                            WHERE settlement.transaction_id = tx.id
                              AND settlement.kind = 'invoice'
                              AND settlement.invoice_residual_after > 0
                       ) AS partial
                  FROM window_events
                  JOIN payment_transaction tx ON tx.id = window_events.transaction_id
                  LEFT JOIN account_payment payment ON payment.id = tx.payment_id
                 WHERE window_events.event = 'payment_made'
            ), results AS (
                SELECT first_sent.id,
                       BOOL_OR(window_events.event = 'opened') AS opened,
                       (SELECT COUNT(*) FROM payments WHERE payments.row_id = first_sent.id) AS payment_count,
                       (SELECT COUNT(*) FROM payments WHERE payments.row_id = first_sent.id AND payments.partial)
                           AS partial_payment_count,
                       (SELECT SUM(payments.collected) FROM payments WHERE payments.row_id = first_sent.id)
                           AS collected,
                       (SELECT MIN(payments.date) FROM payments WHERE payments.row_id = first_sent.id)
                           AS first_payment_date
                  FROM first_sent
                  LEFT JOIN window_events ON window_events.row_id = first_sent.id
                 GROUP BY first_sent.id
            )
            SELECT first_sent.id,
                   first_sent.partner_id,
                   first_sent.company_id,
                   company.currency_id,
                   DATE_TRUNC('month', first_sent.sent_date)::date AS cohort_date,
                   first_sent.sent_date AS first_sent_date,
                   1 AS sent_count,
                   CASE WHEN results.opened THEN 1 ELSE 0 END AS opened_count,
                   CASE WHEN results.payment_count > 0 THEN 1 ELSE 0 END AS paid_count,
                   CASE WHEN results.opened THEN 100.0 ELSE 0.0 END AS opened_rate,
                   CASE WHEN results.payment_count > 0 THEN 100.0 ELSE 0.0 END AS paid_rate,
                   COALESCE(results.collected, 0) AS amount_collected,
                   EXTRACT(EPOCH FROM results.first_payment_date - first_sent.sent_date) / 86400.0
                       AS days_to_first_payment,
                   results.payment_count,
                   results.partial_payment_count,
                   100.0 * results.partial_payment_count / NULLIF(results.payment_count, 0) AS partial_payment_share
              FROM first_sent
              JOIN results ON results.id = first_sent.id
              JOIN res_company company ON company.id = first_sent.company_id
            """,
            window=window,
        )

    def init(self):
        self.env.cr.execute(SQL(
            "CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query(),
        ))
