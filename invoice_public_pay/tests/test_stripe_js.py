import logging

from odoo.tests import HttpCase, tagged

#: The Hoot suite of this addon's unit tests (static/tests/unit), and how many it holds.
HOOT_SUITE = "@invoice_public_pay"
HOOT_TEST_COUNT = 7


def hoot_job_id(name):
    """The id Hoot gives a suite or test in its URL filter (``&id=``), from its full name."""
    value = 0
    for char in name:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


@tagged("post_install", "-at_install")
class TestStripePageScript(HttpCase):
    """The page's Stripe steps in Chromium, with a stand-in ``Stripe`` object (Hoot)."""

    def test_stripe_steps_of_the_page(self):
        records = []
        handler = logging.Handler(level=logging.INFO)
        handler.emit = records.append
        # Odoo logs the browser console under this test module's logger.
        browser_logger = logging.getLogger(__name__)
        browser_logger.addHandler(handler)
        try:
            self.browser_js(
                f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&id={hoot_job_id(HOOT_SUITE)}",
                "", "", login="admin", timeout=600, success_signal="[HOOT] Test suite succeeded",
                error_checker=lambda message: "[HOOT]" not in message,
            )
        finally:
            browser_logger.removeHandler(handler)
        # The filter must have found this addon's tests: an empty run succeeds too.
        summary = [record.getMessage() for record in records if "Passed " in record.getMessage()]
        self.assertTrue(summary, "Hoot printed no summary")
        self.assertIn(f"Passed {HOOT_TEST_COUNT} tests", summary[-1])
