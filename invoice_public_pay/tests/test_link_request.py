"""A link that does not work: the same page for every such link, and "Request a new link".

Unknown, disabled and replaced tokens get the same page and the same answer; only
a link that existed tells the customer's salesperson, at most once a day.
"""

import hashlib
import re
from datetime import timedelta

from lxml import html

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from ..pay_core.tokens import generate_token
from .common import InvoicePayPaymentCommon

# Odoo's CSRF tokens: an HMAC-SHA1 in hex, "o", then the time the token expires.
CSRF_TOKEN_PATTERN = re.compile(r"[0-9a-f]{40}o[0-9]+")
BUSINESS_NAME = "Lighthouse Ledger Co."
BUSINESS_PHONE = "+1 555-0142"
BUSINESS_EMAIL = "accounts@lighthouse-ledger.example.com"
BUSINESS_WEBSITE = "https://www.lighthouse-ledger.example.com"


class LinkRequestCommon(InvoicePayPaymentCommon, HttpCase):
    """Three links that do not work: unknown, disabled (another customer's), replaced (the customer's old one)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = new_test_user(
            cls.env, login="ipp_sales_rep", name="Sam Salesperson", email="sam@example.com",
            groups="base.group_user", company_id=cls.env.company.id,
        )
        (cls.customer | cls.other_customer).user_id = cls.salesperson
        # The business the public pages speak for: the company serving the request.
        cls.business = cls.env.ref("base.public_user").sudo().company_id
        cls.business.write({
            "name": BUSINESS_NAME, "phone": BUSINESS_PHONE, "email": BUSINESS_EMAIL, "website": BUSINESS_WEBSITE,
        })
        cls.unknown_token = generate_token()
        cls.disabled_token = cls._token_of(cls.other_customer._invoice_pay_ensure_url())
        cls.other_customer.with_user(cls.manager_user).action_invoice_pay_disable()
        cls.replaced_token = cls.token
        cls.customer.with_user(cls.manager_user).action_invoice_pay_regenerate()
        cls.current_token = cls._token_of(cls.customer._invoice_pay_ensure_url())
        cls.tokens = {"unknown": cls.unknown_token, "disabled": cls.disabled_token, "replaced": cls.replaced_token}

    @staticmethod
    def _normalized(page, token):
        """``page`` without what differs by design: CSRF tokens and the token the visitor brought."""
        return CSRF_TOKEN_PATTERN.sub("CSRF", page).replace(token, "TOKEN")

    def _request_form(self, token):
        """The "Request a new link" form of the page of ``token``: its action and CSRF token."""
        response = self.url_open(f"/invoice-pay/{token}")
        self.assertEqual(response.status_code, 404)
        forms = html.fromstring(response.text).xpath("//form[hasclass('o_invoice_pay_request_link')]")
        self.assertEqual(len(forms), 1, "the page offers one request form")
        self.assertEqual(forms[0].get("method"), "post")
        return forms[0].get("action"), forms[0].xpath(".//input[@name='csrf_token']/@value")[0]

    def _request_new_link(self, token, with_csrf=True):
        action, csrf_token = self._request_form(token)
        return self.url_open(action, data={"csrf_token": csrf_token} if with_csrf else None, method="POST")

    def _link_requests(self):
        """``link_requested`` events and the To Do activities they gave, by customer name."""
        events = self.env["invoice.pay.link.activity"].sudo().search([("event", "=", "link_requested")])
        activities = self.env["mail.activity"].sudo().search([
            ("res_model", "=", "res.partner"), ("res_id", "in", (self.customer | self.other_customer).ids),
        ])
        return (
            sorted(event.partner_id.name for event in events),
            sorted((activity.res_name, activity.user_id.name) for activity in activities),
        )


@tagged("post_install", "-at_install")
class TestLinkRequest(LinkRequestCommon):

    def test_invalid_link_pages_are_identical_and_offer_a_request(self):
        pages = {}
        for case, token in self.tokens.items():
            with self.subTest(case=case):
                response = self.url_open(f"/invoice-pay/{token}")
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response.headers.get("Cache-Control"), "no-store")
                pages[case] = self._normalized(response.text, token)
                for text in (BUSINESS_NAME, BUSINESS_PHONE, BUSINESS_EMAIL, "www.lighthouse-ledger.example.com",
                             "Request a new link"):
                    self.assertIn(text, response.text)
                action, csrf_token = self._request_form(token)
                self.assertEqual(action, f"/invoice-pay/{token}/request-link")
                self.assertTrue(CSRF_TOKEN_PATTERN.fullmatch(csrf_token))
        self.assertEqual(pages["disabled"], pages["unknown"])
        self.assertEqual(pages["replaced"], pages["unknown"])
        # Nothing on the page names the customer whose link it was.
        for name in (self.customer.name, self.other_customer.name):
            self.assertNotIn(name, pages["disabled"] + pages["replaced"])

    def test_request_answers_are_identical_and_only_real_links_notify(self):
        answers = {}
        for case, token in self.tokens.items():
            with self.subTest(case=case):
                response = self._request_new_link(token)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.headers.get("Referrer-Policy"), "no-referrer")
                self.assertIn("If this link was sent by us, we will send you a new one.", response.text)
                self.assertIn(BUSINESS_PHONE, response.text)
                answers[case] = self._normalized(response.text, token)
        self.assertEqual(answers["disabled"], answers["unknown"])
        self.assertEqual(answers["replaced"], answers["unknown"])
        events, activities = self._link_requests()
        self.assertEqual(events, sorted([self.customer.name, self.other_customer.name]))
        self.assertEqual(activities, sorted([
            (self.customer.name, self.salesperson.name), (self.other_customer.name, self.salesperson.name),
        ]))
        # Odoo tells the salesperson of each To Do assigned (inbox or email).
        told = self.env["mail.message"].sudo().search([
            ("model", "=", "res.partner"), ("partner_ids", "in", self.salesperson.partner_id.ids),
        ])
        self.assertEqual(sorted(told.mapped("record_name")), sorted([self.customer.name, self.other_customer.name]))
        notes = self.env["invoice.pay.link.activity"].sudo().search([("event", "=", "link_requested")]).mapped("note")
        for token in self.tokens.values():
            self.assertFalse([note for note in notes if token in (note or "")])

    def test_enabled_link_gets_the_same_answer_and_nothing_is_written(self):
        unknown = self._normalized(self._request_new_link(self.unknown_token).text, self.unknown_token)
        response = self.url_open(
            f"/invoice-pay/{self.current_token}/request-link",
            data={"csrf_token": self._request_form(self.unknown_token)[1]},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self._normalized(response.text, self.current_token), unknown)
        self.assertEqual(self._link_requests(), ([], []))

    def test_second_request_within_a_day_writes_nothing(self):
        first = self._request_new_link(self.disabled_token)
        second = self._request_new_link(self.disabled_token)
        self.assertEqual(second.status_code, first.status_code)
        self.assertEqual(
            self._normalized(second.text, self.disabled_token), self._normalized(first.text, self.disabled_token),
        )
        self.assertEqual(self._link_requests(), (
            [self.other_customer.name], [(self.other_customer.name, self.salesperson.name)],
        ))
        # A day later, the customer may ask again.
        link = self._link(self.other_customer)
        link.last_requested_date = fields.Datetime.now() - timedelta(hours=25)
        self._request_new_link(self.disabled_token)
        events, activities = self._link_requests()
        self.assertEqual(len(events), 2)
        self.assertEqual(len(activities), 2)

    def test_without_salesperson_who_disabled_the_link_is_told(self):
        self.other_customer.user_id = False
        self._request_new_link(self.disabled_token)
        self.assertEqual(self._link_requests(), (
            [self.other_customer.name], [(self.other_customer.name, self.manager_user.name)],
        ))

    def test_request_without_csrf_is_refused(self):
        response = self._request_new_link(self.disabled_token, with_csrf=False)
        self.assertEqual(response.status_code, 400)
        response = self.url_open(
            f"/invoice-pay/{self.disabled_token}/request-link", data={"csrf_token": "0" * 40 + "o1"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self._link_requests(), ([], []))

    def test_flood_of_unknown_tokens_ends_in_too_many_requests(self):
        self.env["ir.config_parameter"].sudo().set_param("invoice_public_pay.guess_limit", 4)
        # One failed lookup: the page the form is taken from.
        action, csrf_token = self._request_form(self.unknown_token)
        statuses = [
            self.url_open(f"/invoice-pay/{generate_token()}/request-link", data={"csrf_token": csrf_token}).status_code
            for _attempt in range(4)
        ]
        self.assertEqual(statuses, [200, 200, 200, 429])
        # A link that existed gets the same answer as an unknown one: nothing tells them apart.
        response = self.url_open(f"/invoice-pay/{self.disabled_token}/request-link", data={"csrf_token": csrf_token})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(self._link_requests(), ([], []))
        # The customer with a valid link behind the same address is still served.
        self.assertEqual(self.url_open(f"/invoice-pay/{self.current_token}").status_code, 200)
        self.assertTrue(action.endswith("/request-link"))

    def test_replaced_token_is_kept_as_a_digest_only(self):
        Link = self.env["invoice.pay.link"]
        link = self._link()
        retired = self.env["invoice.pay.link.retired.token"].sudo().search([("link_id", "=", link.id)])
        self.assertEqual(retired.mapped("digest"), [hashlib.sha256(self.replaced_token.encode()).hexdigest()])
        self.assertEqual(Link._find_for_request(self.replaced_token), link)
        self.assertEqual(Link._find_for_request(self.current_token), link)
        self.assertEqual(Link._find_for_request(self.disabled_token), self._link(self.other_customer))
        self.assertFalse(Link._find_for_request(self.unknown_token))
        self.assertFalse(Link._find_for_request(self.replaced_token[:-1] + "!"))
        self.assertFalse(Link._find_by_token(self.replaced_token))
        # Not even once the customer asked for a new link with it: the token itself is nowhere.
        self.assertEqual(self._request_new_link(self.replaced_token).status_code, 200)
        self.assertTrue(self._events(event="link_requested"))
        self.env.flush_all()
        for table in ("invoice_pay_link", "invoice_pay_link_retired_token", "invoice_pay_link_activity",
                      "invoice_pay_guess_counter", "mail_activity", "mail_message"):
            with self.subTest(table=table):
                self.env.cr.execute(f"SELECT to_jsonb(t)::text FROM {table} t")  # noqa: S608
                rows = [row for (row,) in self.env.cr.fetchall()]
                self.assertTrue(rows)
                self.assertFalse([row for row in rows if self.replaced_token in row])

    def test_replaced_twice_both_old_tokens_lead_to_the_link(self):
        second_token = self.current_token
        self.customer.with_user(self.manager_user).action_invoice_pay_regenerate()
        Link = self.env["invoice.pay.link"]
        self.assertEqual(Link._find_for_request(self.replaced_token), self._link())
        self.assertEqual(Link._find_for_request(second_token), self._link())


@tagged("post_install", "-at_install")
class TestLinkRequestTour(LinkRequestCommon):
    """On a phone: an unknown link, then a replaced one, show the same page; both ask for a new link."""

    browser_size = "375x812"
    touch_enabled = True

    def test_request_a_new_link_on_a_phone(self):
        # The fragment is never sent to the server: it tells the tour where to go next.
        self.start_tour(
            f"/invoice-pay/{self.unknown_token}#/invoice-pay/{self.replaced_token}",
            "invoice_public_pay_request_link",
        )
        self.assertEqual(self._link_requests(), (
            [self.customer.name], [(self.customer.name, self.salesperson.name)],
        ))
