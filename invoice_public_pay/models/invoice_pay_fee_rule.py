from decimal import Decimal

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import formatLang

from ..pay_core.fees import FeeRule, compute_fee
from ..pay_core.money import to_decimal

FEE_ACCOUNT_NAME = "Convenience fees"


class InvoicePayFeeRule(models.Model):
    """A convenience fee charged on public-page payments made with some payment methods."""

    _name = "invoice.pay.fee.rule"
    _description = "Invoice Pay Convenience Fee Rule"
    _order = "company_id, sequence, id"

    name = fields.Char(
        string="Label", required=True, translate=True,
        default=lambda self: self.env._("Card convenience fee"),
        help="What the customer sees on the pay page, the receipt and the confirmation email.",
    )
    fee_kind = fields.Selection(
        [
            ("surcharge", "Credit card surcharge"),
            ("flat", "Flat convenience fee"),
            ("service", "Service fee (methods other than cards)"),
        ],
        string="Kind", required=True, default="flat",
        help="Credit card surcharge: a percentage (and optional fixed part) on card methods, charged only "
        "when the card is a credit card and never above the company's cap. Flat convenience fee: the same "
        "fixed amount whatever the method or card. Service fee: a percentage and/or fixed amount on "
        "methods that are not cards (bank debits, wallets' own accounts).",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    payment_method_ids = fields.Many2many(
        "payment.method", string="Payment Methods", required=True,
        domain="[('is_primary', '=', True)]",
        help="The fee applies when the customer pays with one of these methods (card brands count as their method).",
    )
    provider_ids = fields.Many2many(
        "payment.provider", string="Providers", domain="[('company_id', '=', company_id)]",
        help="Leave empty to apply the fee with every provider. A rule naming providers takes "
        "precedence over a rule for all providers.",
    )
    percentage = fields.Float(digits=(16, 4), help="3.0 means 3 % of the amount paid.")
    fixed_amount = fields.Monetary(currency_field="currency_id", help="Added to the percentage, in company currency.")
    min_fee = fields.Monetary(string="Minimum Fee", currency_field="currency_id")
    max_fee = fields.Monetary(string="Maximum Fee", currency_field="currency_id", help="0 means no maximum.")
    account_id = fields.Many2one(
        "account.account", string="Income Account", check_company=True,
        domain="[('account_type', 'in', ('income', 'income_other'))]",
        help="Where the fee is booked. Left empty, a 'Convenience fees' income account is created.",
    )
    tax_ids = fields.Many2many(
        "account.tax", string="Taxes", check_company=True, domain="[('type_tax_use', '=', 'sale')]",
        help="Taxes included in the fee the customer pays.",
    )

    _percentage_range = models.Constraint(
        "CHECK(percentage >= 0 AND percentage < 100)", "The percentage must be between 0 and 100.",
    )
    _amounts_positive = models.Constraint(
        "CHECK(fixed_amount >= 0 AND min_fee >= 0 AND max_fee >= 0)", "Fee amounts cannot be negative.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        rules.filtered(lambda rule: not rule.account_id)._set_default_fee_account()
        return rules

    def _set_default_fee_account(self):
        for company, rules in self.grouped("company_id").items():
            rules.account_id = self._get_or_create_fee_account(company)

    @api.model
    def _get_or_create_fee_account(self, company):
        """The company's 'Convenience fees' income account, created the first time."""
        Account = self.env["account.account"].sudo().with_company(company)
        account = Account.search([
            *Account._check_company_domain(company),
            ("name", "=", FEE_ACCOUNT_NAME),
            ("account_type", "=", "income_other"),
        ], limit=1)
        if account:
            return account
        income = company.income_account_id or Account.search([
            *Account._check_company_domain(company), ("account_type", "=", "income"),
        ], limit=1)
        return Account.create({
            "name": FEE_ACCOUNT_NAME,
            "code": Account._search_new_account_code(income.code or "7000"),
            "account_type": "income_other",
            "company_ids": [fields.Command.set(company.ids)],
        })

    @api.constrains("fee_kind", "company_id", "payment_method_ids", "percentage", "active")
    def _check_fee_kind(self):
        """Each kind only where card-network rules and the law allow it."""
        for rule in self.filtered("active"):
            # Archived methods count too: they may be enabled later under this rule.
            methods = rule.with_context(active_test=False).payment_method_ids
            card_methods = methods.filtered(lambda method: method._invoice_pay_is_card())
            other_methods = methods - card_methods
            if rule.fee_kind == "surcharge":
                if rule.company_id._invoice_pay_in_eea_uk():
                    raise ValidationError(_(
                        "%(company)s is located in the EEA or the UK, where surcharges on card payments are "
                        "banned: use a flat convenience fee instead.", company=rule.company_id.name,
                    ))
                if other_methods:
                    raise ValidationError(_(
                        "A credit card surcharge applies to card payment methods only, not to %(methods)s.",
                        methods=other_methods.mapped("name"),
                    ))
                if rule.percentage > rule.company_id.invoice_pay_surcharge_cap:
                    raise ValidationError(_(
                        "The surcharge of “%(rule)s” (%(percentage)s %%) is above the company's cap of "
                        "%(cap)s %% of the amount paid.",
                        rule=rule.name, percentage=rule._format_percentage(rule.percentage),
                        cap=rule._format_percentage(rule.company_id.invoice_pay_surcharge_cap),
                    ))
            elif rule.fee_kind == "service" and card_methods:
                raise ValidationError(_(
                    "A service fee applies to methods other than cards; for %(methods)s use a credit card "
                    "surcharge or a flat convenience fee.",
                    methods=card_methods.mapped("name"),
                ))

    @api.constrains("active", "company_id", "payment_method_ids", "provider_ids")
    def _check_no_overlap(self):
        """Two active rules of the same level may not both match a provider and method."""
        for rule in self.filtered("active"):
            others = self.search([
                ("id", "!=", rule.id),
                ("company_id", "=", rule.company_id.id),
                ("payment_method_ids", "in", rule.payment_method_ids.ids),
            ])
            for other in others:
                same_level = bool(other.provider_ids) == bool(rule.provider_ids)
                shared_providers = not rule.provider_ids or (other.provider_ids & rule.provider_ids)
                if same_level and shared_providers:
                    raise ValidationError(rule._overlap_message(other))

    def _overlap_message(self, other):
        """Why this rule and ``other`` cannot both be active: one whole sentence to translate."""
        # Lists are formatted by the translation ("Card and PayPal" in English).
        values = {
            "rule": self.name,
            "other": other.name,
            "methods": (other.payment_method_ids & self.payment_method_ids).mapped("name"),
        }
        if self.provider_ids:
            return _(
                "The fee rules “%(rule)s” and “%(other)s” both apply to %(methods)s with %(providers)s. "
                "Keep only one of them active, or name different providers.",
                providers=(other.provider_ids & self.provider_ids).mapped("name"), **values,
            )
        return _(
            "The fee rules “%(rule)s” and “%(other)s” both apply to %(methods)s. "
            "Keep only one of them active, or name different providers.",
            **values,
        )

    # ------------------------------------------------------------
    # Matching and computing
    # ------------------------------------------------------------

    @api.model
    def _find_rule(self, company, provider, payment_method):
        """The rule for a payment in ``company`` with ``provider`` and ``payment_method``, if any.

        Card brands (Visa...) match through their primary method (Card). A rule
        naming the provider wins over a rule for all providers.
        """
        if not payment_method:
            return self.browse()
        method = payment_method.primary_payment_method_id or payment_method
        rules = self.sudo().search([("company_id", "=", company.id), ("payment_method_ids", "in", method.ids)])
        specific = rules.filtered(lambda rule: provider and provider in rule.provider_ids)
        return specific[:1] or rules.filtered(lambda rule: not rule.provider_ids)[:1]

    def _to_core_rule(self, currency, date=None):
        """This rule with its fixed parts converted into the payment currency."""
        self.ensure_one()
        date = date or fields.Date.context_today(self)

        def convert(amount):
            if not amount:
                return Decimal(0)
            converted = self.currency_id._convert(amount, currency, self.company_id, date, round=False)
            return Decimal(repr(converted))

        return FeeRule(
            kind=self.fee_kind,
            percentage=Decimal(repr(self.percentage)),
            fixed_amount=convert(self.fixed_amount),
            min_fee=convert(self.min_fee),
            max_fee=convert(self.max_fee),
        )

    def _compute_fee(self, amount, currency, date=None, card=None, policy=None):
        """Fee on ``amount`` (Decimal, in ``currency``), rounded once to the currency.

        ``card`` (:class:`pay_core.fees.CardDetails`) and ``policy``
        (:class:`pay_core.fees.SurchargePolicy`) decide whether a surcharge is due.
        """
        if not self:
            return to_decimal(0, currency.decimal_places)
        return compute_fee(amount, self._to_core_rule(currency, date), currency.decimal_places, card, policy)

    def _disclosure(self, payment_method, currency, policy=None):
        """One sentence telling the customer about the fee before they pay, in ``currency``.

        Nothing when the ``policy`` (:class:`pay_core.fees.SurchargePolicy`) rules out any
        surcharge for this customer, whatever the card.
        """
        self.ensure_one()
        if self.fee_kind == "surcharge" and policy and (policy.banned_by_state or policy.company_in_eea_uk):
            return ""
        method = (payment_method.primary_payment_method_id or payment_method).name
        core_rule = self._to_core_rule(currency)

        def money(amount):
            return currency.format(float(amount))

        if self.fee_kind == "flat":
            return _(
                "A %(amount)s convenience fee applies to %(method)s payments.",
                amount=money(core_rule.fixed_amount), method=method,
            )
        percentage = self._format_percentage(self.percentage)
        if self.percentage and core_rule.fixed_amount:
            amount = _("%(percentage)s %% + %(fixed)s", percentage=percentage, fixed=money(core_rule.fixed_amount))
        elif self.percentage:
            amount = _("%s %%", percentage)
        else:
            amount = money(core_rule.fixed_amount)
        # Lists are formatted by the translation ("minimum $1.00 and maximum $5.00" in English).
        limits = []
        if core_rule.min_fee:
            limits.append(_("minimum %s", money(core_rule.min_fee)))
        if core_rule.max_fee:
            limits.append(_("maximum %s", money(core_rule.max_fee)))
        if self.fee_kind == "surcharge":
            cap = self._format_percentage(self.company_id.invoice_pay_surcharge_cap)
            if limits:
                return _(
                    "A %(amount)s surcharge (%(limits)s) applies to credit cards, at most %(cap)s %% of the amount "
                    "paid; no surcharge on debit or prepaid cards.",
                    amount=amount, limits=limits, cap=cap,
                )
            return _(
                "A %(amount)s surcharge applies to credit cards, at most %(cap)s %% of the amount paid; no "
                "surcharge on debit or prepaid cards.",
                amount=amount, cap=cap,
            )
        if limits:
            return _(
                "A %(amount)s convenience fee (%(limits)s) applies to %(method)s payments.",
                amount=amount, limits=limits, method=method,
            )
        return _("A %(amount)s convenience fee applies to %(method)s payments.", amount=amount, method=method)

    def _fee_badge(self, currency, policy=None):
        """The fee in a few words, next to its payment method before the customer chooses one.

        "+3 % on credit cards, no fee on debit", "+$ 2.95", "No fee" (no rule, or a surcharge
        the ``policy`` rules out for this customer).
        """
        if not self or (
            self.fee_kind == "surcharge" and policy and (policy.banned_by_state or policy.company_in_eea_uk)
        ):
            return _("No fee")
        self.ensure_one()
        core_rule = self._to_core_rule(currency)
        fixed = currency.format(float(core_rule.fixed_amount))
        percentage = self._format_percentage(self.percentage)
        if self.fee_kind == "flat" or not self.percentage:
            amount = fixed
        elif core_rule.fixed_amount:
            amount = _("%(percentage)s %% + %(fixed)s", percentage=percentage, fixed=fixed)
        else:
            amount = _("%s %%", percentage)
        if self.fee_kind == "surcharge":
            return _("+%s on credit cards, no fee on debit", amount)
        return _("+%s", amount)

    def _format_percentage(self, value):
        """``value`` with as many decimals as it has (3, 2.5), in the language's number format (2,5 in French)."""
        decimals = len(f"{value:g}".partition(".")[2])
        return formatLang(self.env, value, digits=decimals)

    def _fee_label(self):
        """What receipts, emails and notes call the fee: surcharges by what they are."""
        self.ensure_one()
        return _("Credit card surcharge") if self.fee_kind == "surcharge" else self.name

    def _fee_snapshot_values(self, fee, currency):
        """Settlement line values describing ``fee`` as charged under this rule, taxes included.

        One line for the income, one per tax amount: label, rate, account, tax,
        its invoice and refund repartition lines and tax grids. Captures, refunds
        and receipts read these lines, never the rule again.
        """
        self.ensure_one()
        if not fee:
            return []
        decimal_places = currency.decimal_places
        income_account = self.account_id or self._get_or_create_fee_account(self.company_id)
        common = {
            "kind": "fee",
            "fee_kind": self.fee_kind,
            "fee_percentage": self.percentage,
            "fee_fixed_amount": self.fixed_amount,
        }
        if not self.tax_ids:
            return [{**common, "name": self._fee_label(), "amount": float(fee), "account_id": income_account.id}]
        taxes = self.tax_ids.with_context(force_price_include=True)
        invoice_result = taxes.compute_all(float(fee), currency=currency)
        refund_result = taxes.compute_all(float(fee), currency=currency, is_refund=True)
        tax_values = []
        for invoice_tax, refund_tax in zip(invoice_result["taxes"], refund_result["taxes"], strict=True):
            tax_amount = to_decimal(invoice_tax["amount"], decimal_places)
            if not tax_amount:
                continue
            tax_values.append({
                **common,
                "name": invoice_tax["name"],
                "amount": float(tax_amount),
                "account_id": invoice_tax["account_id"] or income_account.id,
                "refund_account_id": refund_tax["account_id"] or income_account.id,
                "tax_id": invoice_tax["id"],
                "tax_repartition_line_id": invoice_tax["tax_repartition_line_id"],
                "refund_tax_repartition_line_id": refund_tax["tax_repartition_line_id"],
                "tax_tag_ids": [fields.Command.set(invoice_tax["tag_ids"])],
                "refund_tax_tag_ids": [fields.Command.set(refund_tax["tag_ids"])],
            })
        base = fee - sum((to_decimal(values["amount"], decimal_places) for values in tax_values), Decimal(0))
        income_values = {
            **common,
            "name": self._fee_label(),
            "amount": float(base),
            "account_id": income_account.id,
            "tax_tag_ids": [fields.Command.set(invoice_result["base_tags"])],
            "refund_tax_tag_ids": [fields.Command.set(refund_result["base_tags"])],
        }
        return [income_values, *tax_values]
