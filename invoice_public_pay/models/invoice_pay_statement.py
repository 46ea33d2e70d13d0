"""The customer statement: open items aged as of a date, and the account's activity over a period.

Read from the books in three queries whatever the number of documents (open items,
opening balances, activity); amounts are in each document's currency, grouped per
company and currency. Building or printing a statement writes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date, formatLang

#: Days of the activity period when none is asked for (both ends included).
DEFAULT_PERIOD_DAYS = 90
#: The longest activity period a statement covers.
MAX_PERIOD_DAYS = 5 * 366
#: How far after today a statement date may be (aging a future date: a projection).
MAX_DAYS_AHEAD = 366
#: The earliest date a statement reads.
MIN_STATEMENT_DATE = date(1970, 1, 1)
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: Aging buckets: (key, the last day overdue it holds; None: no end).
AGING_BUCKETS = (("current", 0), ("1_30", 30), ("31_60", 60), ("61_90", 90), ("over_90", None))
INVOICE_MOVE_TYPES = ("out_invoice", "out_receipt")


@dataclass(frozen=True)
class StatementPeriod:
    """The dates of one statement: aging as of ``as_of``, activity from ``date_from`` to ``date_to``."""

    as_of: date
    date_from: date
    date_to: date


@dataclass
class StatementGroup:
    """What the statement shows for one company and currency."""

    company: models.BaseModel
    currency: models.BaseModel
    open_items: list = field(default_factory=list)
    open_credits: list = field(default_factory=list)
    aging: dict = field(default_factory=lambda: {key: 0.0 for key, _last_day in AGING_BUCKETS})
    open_total: float = 0.0
    opening_balance: float = 0.0
    activity: list = field(default_factory=list)
    closing_balance: float = 0.0
    invoiced: float = 0.0
    credited: float = 0.0


def aging_bucket(days_overdue):
    """The aging bucket of a document ``days_overdue`` days past its due date (0 or less: current)."""
    for key, last_day in AGING_BUCKETS:
        if last_day is None or days_overdue <= last_day:
            return key
    return AGING_BUCKETS[-1][0]


class InvoicePayStatement(models.AbstractModel):
    """Builds customer statements from the receivable journal items of the books."""

    _name = "invoice.pay.statement"
    _description = "Invoice Pay Customer Statement"

    # ------------------------------------------------------------
    # Dates asked for
    # ------------------------------------------------------------

    @api.model
    def _parse_period(self, date_from=None, date_to=None, as_of=None):
        """The statement's dates from the request's (untrusted) text values, defaults filled in.

        :raise UserError: with a message for the customer when a date is malformed,
            out of range, or the period is reversed or too long
        """
        today = fields.Date.context_today(self)
        as_of = self._parse_date(
            as_of, _("The statement date is not a valid date: write it as YYYY-MM-DD."),
        ) or today
        date_to = self._parse_date(
            date_to, _("The end date is not a valid date: write it as YYYY-MM-DD."),
        ) or as_of
        date_from = self._parse_date(
            date_from, _("The start date is not a valid date: write it as YYYY-MM-DD."),
        ) or date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        latest = today + timedelta(days=MAX_DAYS_AHEAD)
        for value in (as_of, date_from, date_to):
            if not MIN_STATEMENT_DATE <= value <= latest:
                raise UserError(_(
                    "Dates must be between %(earliest)s and %(latest)s.",
                    earliest=format_date(self.env, MIN_STATEMENT_DATE), latest=format_date(self.env, latest),
                ))
        if date_from > date_to:
            raise UserError(_("The start date must be on or before the end date."))
        if (date_to - date_from).days + 1 > MAX_PERIOD_DAYS:
            raise UserError(_("A statement covers at most %s days of activity.", MAX_PERIOD_DAYS))
        return StatementPeriod(as_of=as_of, date_from=date_from, date_to=date_to)

    @api.model
    def _parse_date(self, value, invalid_message):
        """``value`` (YYYY-MM-DD) as a date, None when empty; else UserError(``invalid_message``)."""
        if value in (None, False, ""):
            return None
        if not isinstance(value, str) or not DATE_PATTERN.match(value):
            raise UserError(invalid_message)
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise UserError(invalid_message) from error

    # ------------------------------------------------------------
    # Figures
    # ------------------------------------------------------------

    @api.model
    def _build(self, partner, period, companies):
        """The statement of ``partner``'s commercial entity for ``period``, in ``companies``.

        :return: list of :class:`StatementGroup`, one per company and currency with
            something to show, in a stable order
        """
        commercial_partner = partner.commercial_partner_id
        groups = {}

        def group_of(company_id, currency_id):
            key = (company_id, currency_id)
            if key not in groups:
                groups[key] = StatementGroup(
                    company=self.env["res.company"].browse(company_id),
                    currency=self.env["res.currency"].browse(currency_id),
                )
            return groups[key]

        for row in self._query_open_items(commercial_partner, period, companies):
            group = group_of(row["company_id"], row["currency_id"])
            if group.currency.is_zero(row["open_amount"]):
                continue
            due_date = row["date_maturity"] or row["date"]
            item = {**row, "due_date": due_date, "bucket": aging_bucket((period.as_of - due_date).days)}
            (group.open_items if row["open_amount"] > 0 else group.open_credits).append(item)
            group.aging[item["bucket"]] += row["open_amount"]
            group.open_total += row["open_amount"]
        for row in self._query_opening_balances(commercial_partner, period, companies):
            group_of(row["company_id"], row["currency_id"]).opening_balance = row["balance"]
        for row in self._query_activity(commercial_partner, period, companies):
            group = group_of(row["company_id"], row["currency_id"])
            if group.currency.is_zero(row["amount"]):
                continue
            group.activity.append(row)
            if row["amount"] > 0:
                group.invoiced += row["amount"]
            else:
                group.credited -= row["amount"]
        for group in groups.values():
            balance = group.opening_balance
            for row in group.activity:
                balance += row["amount"]
                row["balance"] = balance
            group.closing_balance = balance
            group.open_total = group.currency.round(group.open_total)
            group.aging = {key: group.currency.round(amount) for key, amount in group.aging.items()}
        shown = [
            group for group in groups.values()
            if group.open_items or group.open_credits or group.activity
            or not group.currency.is_zero(group.opening_balance)
        ]
        # Per company, its own currency first.
        return sorted(shown, key=lambda group: (
            group.company.sequence, group.company.id, group.currency != group.company.currency_id,
            group.currency.name,
        ))

    @api.model
    def _receivable_lines_sql(self, commercial_partner, companies):
        """Conditions on ``line`` (account.move.line) and ``move``: the customer's posted receivable items."""
        return SQL(
            """
            line.parent_state = 'posted'
            AND line.company_id IN %(company_ids)s
            AND line.partner_id IN (SELECT id FROM res_partner WHERE commercial_partner_id = %(partner_id)s)
            AND line.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
            """,
            company_ids=tuple(companies.ids) or (0,),
            partner_id=commercial_partner.id,
        )

    @api.model
    def _query_open_items(self, commercial_partner, period, companies):
        """Receivable items still open on ``period.as_of``: what they owe less what was matched by then.

        A matching counts from the later date of its two items (``max_date``), as
        Odoo's aged receivable reads it.
        """
        self.env.flush_all()
        return self.env.execute_query_dict(SQL(
            """
            SELECT line.id, line.move_id, move.name, move.move_type, line.date, line.date_maturity,
                   line.company_id, line.currency_id, line.amount_currency AS original_amount,
                   line.amount_currency
                     - COALESCE((SELECT SUM(partial.debit_amount_currency) FROM account_partial_reconcile partial
                                  WHERE partial.debit_move_id = line.id AND partial.max_date <= %(as_of)s), 0)
                     + COALESCE((SELECT SUM(partial.credit_amount_currency) FROM account_partial_reconcile partial
                                  WHERE partial.credit_move_id = line.id AND partial.max_date <= %(as_of)s), 0)
                     AS open_amount
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
             WHERE %(receivable)s
               AND line.date <= %(as_of)s
               AND (line.full_reconcile_id IS NULL OR EXISTS (
                        SELECT 1 FROM account_partial_reconcile partial
                         WHERE (partial.debit_move_id = line.id OR partial.credit_move_id = line.id)
                           AND partial.max_date > %(as_of)s))
             ORDER BY COALESCE(line.date_maturity, line.date), line.date, move.name, line.id
            """,
            receivable=self._receivable_lines_sql(commercial_partner, companies),
            as_of=period.as_of,
        ))

    @api.model
    def _exchange_moves_sql(self):
        """The exchange difference entries of the matchings: no document of the customer's."""
        return SQL("SELECT exchange_move_id FROM account_partial_reconcile WHERE exchange_move_id IS NOT NULL")

    @api.model
    def _query_opening_balances(self, commercial_partner, period, companies):
        """What the customer owed the day before the period, per company and currency."""
        return self.env.execute_query_dict(SQL(
            """
            SELECT line.company_id, line.currency_id, SUM(line.amount_currency) AS balance
              FROM account_move_line line
             WHERE %(receivable)s
               AND line.date < %(date_from)s
               AND line.move_id NOT IN (%(exchange_moves)s)
             GROUP BY line.company_id, line.currency_id
            """,
            receivable=self._receivable_lines_sql(commercial_partner, companies),
            date_from=period.date_from,
            exchange_moves=self._exchange_moves_sql(),
        ))

    @api.model
    def _query_activity(self, commercial_partner, period, companies):
        """Each document of the period, once per company and currency, in date order."""
        return self.env.execute_query_dict(SQL(
            """
            SELECT line.move_id, move.name, move.ref, move.move_type, move.date,
                   move.origin_payment_id IS NOT NULL AS is_payment, MIN(line.date_maturity) AS due_date,
                   line.company_id, line.currency_id, SUM(line.amount_currency) AS amount
              FROM account_move_line line
              JOIN account_move move ON move.id = line.move_id
             WHERE %(receivable)s
               AND line.date BETWEEN %(date_from)s AND %(date_to)s
               AND line.move_id NOT IN (%(exchange_moves)s)
             GROUP BY line.move_id, move.name, move.ref, move.move_type, move.date, move.origin_payment_id,
                      line.company_id, line.currency_id
             ORDER BY move.date, move.name, line.move_id
            """,
            receivable=self._receivable_lines_sql(commercial_partner, companies),
            date_from=period.date_from,
            date_to=period.date_to,
            exchange_moves=self._exchange_moves_sql(),
        ))

    # ------------------------------------------------------------
    # What the printed statement shows
    # ------------------------------------------------------------

    @api.model
    def _statement_filename(self, partner, period):
        """The statement's file name, in the environment's language."""
        name = _("Statement %(customer)s %(date)s", customer=partner.commercial_partner_id.name,
                 date=period.as_of.isoformat())
        return f"{name}.pdf".replace("/", "-")

    @api.model
    def _document_kind(self, row):
        """What a document is, in the customer's words."""
        if row["move_type"] in INVOICE_MOVE_TYPES:
            return _("Invoice")
        if row["move_type"] == "out_refund":
            return _("Credit Note")
        if row["is_payment"]:
            return _("Payment") if row["amount"] < 0 else _("Refund")
        return _("Adjustment")

    @api.model
    def _bucket_labels(self):
        return {
            "current": _("Current"),
            "1_30": _("1-30 days"),
            "31_60": _("31-60 days"),
            "61_90": _("61-90 days"),
            "over_90": _("Over 90 days"),
        }

    @api.model
    def _report_values(self, partner, period, companies):
        """Values of the statement report for ``partner``, every figure already formatted.

        The environment's language is the customer's: formatting here costs a fraction
        of the report's field widgets, which a 10,000-line statement needs.
        """
        groups = self._build(partner, period, companies)
        date_cache = {}

        def fmt_date(value):
            if not value:
                return ""
            if value not in date_cache:
                date_cache[value] = format_date(self.env, value)
            return date_cache[value]

        def fmt_amount(value, currency, symbol=False):
            return formatLang(self.env, value, currency_obj=currency if symbol else None,
                              digits=currency.decimal_places)

        bucket_labels = self._bucket_labels()
        shown_groups = []
        for group in groups:
            currency = group.currency

            def item_values(item, currency=currency):
                return {
                    "name": item["name"], "date": fmt_date(item["date"]), "due_date": fmt_date(item["due_date"]),
                    "original": fmt_amount(item["original_amount"], currency),
                    "open": fmt_amount(item["open_amount"], currency),
                    "bucket": bucket_labels[item["bucket"]],
                    "days_overdue": max((period.as_of - item["due_date"]).days, 0),
                }

            shown_groups.append({
                "company": group.company,
                "currency": currency,
                "open_items": [item_values(item) for item in group.open_items],
                "open_credits": [item_values(item) for item in group.open_credits],
                "aging": [(bucket_labels[key], fmt_amount(group.aging[key], currency, symbol=True))
                          for key, _last_day in AGING_BUCKETS],
                "open_total": fmt_amount(group.open_total, currency, symbol=True),
                "opening_balance": fmt_amount(group.opening_balance, currency, symbol=True),
                "closing_balance": fmt_amount(group.closing_balance, currency, symbol=True),
                "invoiced": fmt_amount(group.invoiced, currency, symbol=True),
                "credited": fmt_amount(group.credited, currency, symbol=True),
                "activity": [
                    {
                        "date": fmt_date(row["date"]), "name": row["name"], "ref": row["ref"] or "",
                        "kind": self._document_kind(row),
                        "charge": fmt_amount(row["amount"], currency) if row["amount"] > 0 else "",
                        "credit": fmt_amount(-row["amount"], currency) if row["amount"] < 0 else "",
                        "balance": fmt_amount(row["balance"], currency),
                    }
                    for row in group.activity
                ],
            })
        return {
            "partner": partner.commercial_partner_id,
            "groups": shown_groups,
            "open_items_title": _("Open items as of %s", fmt_date(period.as_of)),
            "activity_title": _("Activity from %(start)s to %(end)s", start=fmt_date(period.date_from),
                                end=fmt_date(period.date_to)),
            "as_of": fmt_date(period.as_of),
            "date_from": fmt_date(period.date_from),
            "date_to": fmt_date(period.date_to),
            "show_company": len({group["company"] for group in shown_groups}) > 1,
        }
