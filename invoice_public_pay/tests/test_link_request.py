"""A link that does not work: the same page for every such link, and "Request a new link".

Unknown, disabled and replaced tokens get the same page and the same answer, and the
request does the same work for each (it queues the token's digest); the scheduled action
then tells the salesperson of a link that existed, at most once a day.
"""

import hashlib
import re
from contextlib import ExitStack
from datetime import timedelta
from unittest.mock import patch

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
REQUEST_CRON_XMLID = "invoice_public_pay.ir_cron_process_invoice_pay_link_requests"


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

    def _process_link_requests(self):
        """Run the scheduled action that handles the queued requests, as the scheduler does."""
        self.env.flush_all()
        self.assertIs(self.env.ref(REQUEST_CRON_XMLID).sudo().method_direct_trigger(), True)
        self.env.invalidate_all()

    def _queued_digests(self):
        return sorted(self.env["invoice.pay.link.request"].sudo().search([]).mapped("digest"))

    def _link_for_request(self, token):
        """The link whose current or replaced token is ``token``, as the scheduled action finds it."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        link, _replaced = self.env["invoice.pay.link"]._find_by_digests([digest]).get(digest, (None, False))
        return link

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
        self.assertEqual(self._link_requests(), ([], []), "the request only queues; the scheduled action tells")
        self._process_link_requests()
        self.assertFalse(self._queued_digests())
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
        self._process_link_requests()
        self.assertEqual(self._link_requests(), ([], []))
        self.assertFalse(self._link().last_requested_date)
        self.assertFalse(self._queued_digests())

    def test_second_request_within_a_day_writes_nothing(self):
        first = self._request_new_link(self.disabled_token)
        self._process_link_requests()
        second = self._request_new_link(self.disabled_token)
        self._process_link_requests()
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
        self._process_link_requests()
        events, activities = self._link_requests()
        self.assertEqual(len(events), 2)
        self.assertEqual(len(activities), 2)

    def test_without_salesperson_who_disabled_the_link_is_told(self):
        self.other_customer.user_id = False
        self._request_new_link(self.disabled_token)
        self._process_link_requests()
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
        self.assertFalse(self._queued_digests())
        self._process_link_requests()
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
        self.assertEqual(len(self._queued_digests()), 3, "the refused request is not queued")
        self._process_link_requests()
        self.assertEqual(self._link_requests(), ([], []))
        # The customer with a valid link behind the same address is still served.
        self.assertEqual(self.url_open(f"/invoice-pay/{self.current_token}").status_code, 200)
        self.assertTrue(action.endswith("/request-link"))

    def test_replaced_token_is_kept_as_a_digest_only(self):
        Link = self.env["invoice.pay.link"]
        link = self._link()
        retired = self.env["invoice.pay.link.retired.token"].sudo().search([("link_id", "=", link.id)])
        replaced_digest = hashlib.sha256(self.replaced_token.encode()).hexdigest()
        self.assertEqual(retired.mapped("digest"), [replaced_digest])
        self.assertEqual(self._link_for_request(self.replaced_token), link)
        self.assertEqual(self._link_for_request(self.current_token), link)
        self.assertEqual(self._link_for_request(self.disabled_token), self._link(self.other_customer))
        self.assertFalse(self._link_for_request(self.unknown_token))
        self.assertFalse(self._link_for_request(self.replaced_token[:-1] + "!"))
        self.assertFalse(Link._find_by_token(self.replaced_token))
        # Not even once the customer asked for a new link with it: the token itself is nowhere.
        self.assertEqual(self._request_new_link(self.replaced_token).status_code, 200)
        self.assertEqual(self._queued_digests(), [replaced_digest])
        tables = ["invoice_pay_link", "invoice_pay_link_retired_token", "invoice_pay_link_activity",
                  "invoice_pay_guess_counter", "mail_activity", "mail_message"]
        self._assert_token_nowhere(self.replaced_token, ["invoice_pay_link_request", "ir_cron_trigger"])
        self._process_link_requests()
        self.assertTrue(self._events(event="link_requested"))
        self._assert_token_nowhere(self.replaced_token, tables)

    def _assert_token_nowhere(self, token, tables):
        self.env.flush_all()
        for table in tables:
            with self.subTest(table=table):
                self.env.cr.execute(f"SELECT to_jsonb(t)::text FROM {table} t")  # noqa: S608
                rows = [row for (row,) in self.env.cr.fetchall()]
                self.assertTrue(rows)
                self.assertFalse([row for row in rows if token in row])

    def test_replaced_twice_both_old_tokens_lead_to_the_link(self):
        second_token = self.current_token
        self.customer.with_user(self.manager_user).action_invoice_pay_regenerate()
        self.assertEqual(self._link_for_request(self.replaced_token), self._link())
        self.assertEqual(self._link_for_request(second_token), self._link())

    def test_request_does_the_same_work_for_every_token(self):
        """The request of an unknown, disabled, replaced or enabled token: the same queries, one queued row.

        The guess counter and the page's language are left out here: they depend on
        whether the token opens a page, which the page itself already tells.
        """
        Counter = self.registry["invoice.pay.guess.counter"]
        IrHttp = self.registry["ir.http"]
        csrf_token = self._request_form(self.unknown_token)[1]
        tokens = {**self.tokens, "warm-up": generate_token(), "unknown": generate_token(), "enabled": self.current_token}
        tokens = {case: tokens[case] for case in ("warm-up", "unknown", "disabled", "replaced", "enabled")}
        links = self._link() | self._link(self.other_customer)
        queries, written = {}, {}
        with ExitStack() as stack:
            stack.enter_context(patch.object(Counter, "_is_blocked", lambda *args, **kwargs: False))
            stack.enter_context(patch.object(Counter, "_record_failure", lambda *args, **kwargs: None))
            stack.enter_context(patch.object(IrHttp, "_invoice_pay_page_lang", classmethod(lambda cls, path: None)))
            for case, token in tokens.items():
                before = self._written_rows(links)
                self.env.flush_all()
                count_before = self.env.cr.sql_log_count
                response = self.url_open(f"/invoice-pay/{token}/request-link", data={"csrf_token": csrf_token})
                queries[case] = self.env.cr.sql_log_count - count_before
                self.assertEqual(response.status_code, 200)
                self.env.invalidate_all()
                after = self._written_rows(links)
                queued = after.pop("queued") - before.pop("queued")
                self.assertEqual(queued, {hashlib.sha256(token.encode()).hexdigest()}, case)
                written[case] = {key: value for key, value in after.items() if value != before[key]}
        del queries["warm-up"], written["warm-up"]
        self.assertEqual(set(queries.values()), {queries["unknown"]}, queries)
        self.assertEqual(written, dict.fromkeys(written, {}), "nothing but the queued digest is written")
        self._process_link_requests()
        self.assertEqual(self._link_requests()[0], sorted([self.customer.name, self.other_customer.name]))

    def _written_rows(self, links):
        """What a request for a new link might write, to compare before and after one."""
        return {
            "queued": set(self._queued_digests()),
            "links": str(links.read(["write_date", "last_requested_date"])),
            "requests": self._link_requests(),
            "messages": self.env["mail.message"].sudo().search_count([]),
            "mails": self.env["mail.mail"].sudo().search_count([]),
        }

    def test_requests_for_one_link_within_a_day_notify_once(self):
        # Two tokens the customer's link held, and the same one twice: one queued row per digest.
        second_token = self.current_token
        self.customer.with_user(self.manager_user).action_invoice_pay_regenerate()
        for token in (self.replaced_token, second_token, second_token):
            self._request_new_link(token)
        self.assertEqual(len(self._queued_digests()), 2)
        self._process_link_requests()
        self._process_link_requests()
        self.assertEqual(self._link_requests(), ([self.customer.name], [(self.customer.name, self.salesperson.name)]))
        self.assertFalse(self._queued_digests())
        # Queued again the same day: handled, and still nobody is told twice.
        self._request_new_link(self.replaced_token)
        self._process_link_requests()
        self.assertEqual(len(self._link_requests()[1]), 1)
        self.assertFalse(self._queued_digests())

    def test_without_an_administrator_record_a_settings_user_is_told(self):
        admin = self.env.ref("base.user_admin")
        self.other_customer.user_id = False
        self.manager_user.active = False
        self.env["ir.model.data"].sudo().search([("module", "=", "base"), ("name", "=", "user_admin")]).unlink()
        self.env.registry.clear_cache()
        self._request_new_link(self.disabled_token)
        self._process_link_requests()
        # The first Settings user: the administrator, whose record lost its XML id.
        self.assertEqual(self._link_requests(), ([self.other_customer.name], [(self.other_customer.name, admin.name)]))


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
        self._process_link_requests()
        self.assertEqual(self._link_requests(), (
            [self.customer.name], [(self.customer.name, self.salesperson.name)],
        ))
