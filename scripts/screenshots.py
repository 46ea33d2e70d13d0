"""Take the README screenshots from a running demo (./scripts/demo.sh).

Usage: $ODOO_PYTHON scripts/screenshots.py BASE_URL DATABASE PAY_URL PARTNER_ID [OUT_DIR [SPANISH_PAY_URL]]

Drives headless Chromium over the DevTools protocol (websocket-client, which
Odoo's tours need anyway): logs in as admin for the customer form, then opens the
customer's pay link as a phone would; with SPANISH_PAY_URL (the demo's Spanish
customer, printed by ./scripts/demo.sh), that customer's page as they see it. Then the
customer's statement (its PDF's first page, pdftoppm), and Pay Link Results after the
pay link is emailed and the customer pays half an invoice through the page (this
writes to the demo database, as a customer would).
"""

import base64
import json
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import requests
import websocket

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class Browser:
    """The few DevTools calls the screenshots need."""

    def __init__(self, port=9333):
        self.profile = tempfile.mkdtemp(prefix="ipp_shots_")
        self.process = subprocess.Popen(
            ["chromium", *CHROMIUM_FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _attempt in range(50):
            try:
                targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json"))
                page = next(target for target in targets if target["type"] == "page")
                break
            except (OSError, StopIteration):
                time.sleep(0.2)
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], suppress_origin=True)
        self.message_id = 0

    def call(self, method, **params):
        self.message_id += 1
        self.socket.send(json.dumps({"id": self.message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.message_id:
                return message.get("result", {})

    def size(self, width, height, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=mobile)

    def open(self, url, wait=4.0):
        self.call("Page.navigate", url=url)
        time.sleep(wait)

    def wait_for(self, selector, timeout=60):
        """Wait until ``selector`` matches (the backend builds its assets on first load)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.call("Runtime.evaluate", expression=f"!!document.querySelector({json.dumps(selector)})")
            if found.get("result", {}).get("value"):
                return
            time.sleep(0.5)
        where = self.call("Runtime.evaluate", expression="location.href + ' | ' + document.title")
        raise TimeoutError(f"{selector} not found on {where.get('result', {}).get('value')}")

    def run(self, script, wait=1.5):
        self.call("Runtime.evaluate", expression=script, awaitPromise=True)
        time.sleep(wait)

    def shot(self, path, full_page=False):
        params = {"format": "png"}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"], "scale": 1}
            params["captureBeyondViewport"] = True
        Path(path).write_bytes(base64.b64decode(self.call("Page.captureScreenshot", **params)["data"]))
        print("wrote", path)

    def close(self):
        self.socket.close()
        self.process.terminate()


def main(base_url, database, pay_url, partner_id, out_dir="docs/screenshots", spanish_pay_url=None):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    session = requests.Session()
    session.post(f"{base_url}/web/session/authenticate", json={
        "jsonrpc": "2.0", "method": "call", "params": {"db": database, "login": "admin", "password": "admin"},
    }).raise_for_status()
    browser = Browser()
    try:
        browser.size(1280, 900)
        host = base_url.split("//", 1)[1].split(":")[0]
        browser.call("Network.enable")
        browser.call("Network.setCookie", name="session_id", value=session.cookies["session_id"],
                     domain=host, path="/")
        browser.open(f"{base_url}/odoo/res.partner/{partner_id}", wait=1)
        browser.wait_for(".o_notebook a[name='accounting']")
        browser.run("document.querySelector(\".o_notebook a[name='accounting']\").click()")
        browser.wait_for(".o_invoice_pay_copy_button")
        browser.shot(out / "customer_form.png")
        browser.call("Network.clearBrowserCookies")
        browser.open(pay_url)
        browser.shot(out / "landing.png")
        browser.size(375, 812, mobile=True)
        browser.open(f"{pay_url}/invoices")
        browser.shot(out / "pay_page_phone.png", full_page=True)
        shoot_phone_checkout(browser, pay_url, out)
        browser.open(f"{base_url}/invoice-pay/{'x' * 43}")
        browser.shot(out / "invalid_link.png")
        browser.size(1280, 1000)
        browser.open(f"{pay_url}/invoices")
        browser.run("document.querySelector('.o_invoice_pay_select').click()", wait=0.5)
        browser.run("document.querySelector('.o_invoice_pay_submit').click()", wait=3)
        browser.run(
            "document.querySelector(\"input[name='o_payment_radio'][data-payment-method-code='card']\")?.click()",
            wait=3,
        )
        browser.run("document.querySelector('.o_invoice_pay_checkout').scrollIntoView()", wait=1)
        browser.shot(out / "checkout_fee.png")
        if spanish_pay_url:
            shoot_spanish_page(browser, spanish_pay_url, out)
        shoot_statement(base_url, pay_url, out)
        transaction_id = make_results(base_url, session, pay_url, partner_id)
        shoot_after_paying(browser, pay_url, transaction_id, out)
        browser.call("Network.setCookie", name="session_id", value=session.cookies["session_id"],
                     domain=host, path="/")
        browser.size(1280, 700)
        browser.open(f"{base_url}/odoo/action-invoice_public_pay.action_invoice_pay_link_report", wait=1)
        browser.wait_for(".o_pivot table")
        browser.shot(out / "pay_link_results.png")
    finally:
        browser.close()


def shoot_statement(base_url, pay_url, out):
    """The first page of the customer statement, real wkhtmltopdf output, as an image (pdftoppm)."""
    response = requests.get(f"{pay_url}/statement", timeout=300)
    response.raise_for_status()
    with tempfile.TemporaryDirectory() as directory:
        pdf = Path(directory) / "statement.pdf"
        pdf.write_bytes(response.content)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(out / "statement")], check=True)


def call_kw(base_url, session, model, method, args, kwargs=None):
    response = session.post(f"{base_url}/web/dataset/call_kw", json={
        "jsonrpc": "2.0", "method": "call",
        "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
    })
    response.raise_for_status()
    payload = response.json()
    if "error" in payload:
        raise RuntimeError(payload["error"]["data"]["message"])
    return payload.get("result")


class SmtpSink(socketserver.StreamRequestHandler):
    """Accept every email and keep none: the demo has no mail server, and "sent" is written once one takes it."""

    def reply(self, line):
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self):
        self.reply("220 screenshots SMTP sink")
        in_data = False
        for raw in self.rfile:
            line = raw.decode(errors="replace").rstrip("\r\n")
            if in_data:
                if line == ".":
                    in_data = False
                    self.reply("250 OK")
                continue
            command = line[:4].upper()
            if command == "EHLO":
                self.reply("250 screenshots")
            elif command == "DATA":
                in_data = True
                self.reply("354 go on")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def start_smtp_sink():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_results(base_url, session, pay_url, partner_id):
    """What Pay Link Results counts: the pay link emailed (admin), then the customer pays part of an invoice.

    The demo customer opens the page from the email and pays through it with the demo
    provider, as in a browser (transaction, demo payment, status poll).
    """
    action = call_kw(base_url, session, "res.partner", "action_invoice_pay_send", [[int(partner_id)]])
    context = {key: value for key, value in action["context"].items() if key.startswith("default_")}
    composer = call_kw(base_url, session, "mail.compose.message", "create", [{}], {"context": context})
    # The email leaves through a local sink, so that the history says "sent", as it would in production.
    sink = start_smtp_sink()
    mail_server = call_kw(base_url, session, "ir.mail_server", "create", [{
        "name": "Screenshots SMTP sink", "smtp_host": "127.0.0.1", "smtp_port": sink.server_address[1],
        "smtp_encryption": "none", "sequence": 1,
    }])
    try:
        call_kw(base_url, session, "mail.compose.message", "action_send_mail", [[composer]], {"context": context})
        call_kw(base_url, session, "mail.mail", "process_email_queue", [])
    finally:
        call_kw(base_url, session, "ir.mail_server", "unlink", [[mail_server]])
        sink.shutdown()
    provider = call_kw(base_url, session, "payment.provider", "search_read", [[("code", "=", "demo")]],
                       {"fields": ["payment_method_ids"], "limit": 1})[0]
    invoice = call_kw(base_url, session, "account.move", "search_read", [[
        ("commercial_partner_id", "=", int(partner_id)), ("move_type", "=", "out_invoice"),
        ("state", "=", "posted"), ("amount_residual", ">", 0)]], {"fields": ["amount_residual"], "limit": 1})[0]
    customer = requests.Session()
    customer.get(pay_url, timeout=60).raise_for_status()
    path = pay_url.split("//", 1)[1].split("/", 1)[1]

    def rpc(route, params):
        response = customer.post(f"{base_url}{route}", json={"jsonrpc": "2.0", "method": "call", "params": params},
                                 timeout=120)
        response.raise_for_status()
        payload = response.json()
        if "error" in payload:
            raise RuntimeError(payload["error"]["data"]["message"])
        return payload.get("result")

    allocations = [{"invoice_id": invoice["id"], "amount": round(invoice["amount_residual"] / 2, 2)}]
    quote = rpc(f"/{path}/quote", {"allocations": allocations, "provider_id": provider["id"],
                                   "payment_method_id": provider["payment_method_ids"][0]})
    result = rpc(f"/{path}/transaction", {
        "allocations": allocations, "provider_id": provider["id"],
        "payment_method_id": provider["payment_method_ids"][0], "token_id": None, "amount": 1.0,
        "flow": "direct", "tokenization_requested": False, "landing_route": "/my", "is_validation": False,
        "access_token": False, "fee_signature": quote.get("fee_signature"),
    })
    rpc("/payment/demo/simulate_payment", {"reference": result["reference"], "payment_details": "4242",
                                           "simulated_state": "done"})
    rpc("/payment/status/poll", {})
    return call_kw(base_url, session, "payment.transaction", "search", [[("reference", "=", result["reference"])]])[0]


def shoot_phone_checkout(browser, pay_url, out):
    """On a phone: two invoices chosen, Pay pressed: the summary, each method's fee, one Pay button."""
    browser.run("""
        const rows = document.querySelectorAll('.o_invoice_pay_row .o_invoice_pay_select');
        rows[0].click();
        rows[1]?.click();
    """, wait=0.5)
    browser.run("document.querySelector('.o_invoice_pay_submit').click()", wait=3)
    browser.wait_for(".o_invoice_pay_checkout button[name='o_payment_submit_button']")
    browser.run("document.querySelector('.o_invoice_pay_checkout').scrollIntoView()", wait=1)
    browser.shot(out / "checkout_phone.png")


def shoot_after_paying(browser, pay_url, transaction_id, out):
    """Back from paying: the dialog listing what was paid (phone), the page with Payments made (desktop)."""
    browser.call("Network.clearBrowserCookies")
    browser.size(375, 812, mobile=True)
    browser.open(f"{pay_url}/invoices?tx={transaction_id}")
    browser.wait_for(".o_invoice_pay_result.show")
    browser.shot(out / "paid_dialog_phone.png")
    browser.size(1280, 900)
    browser.open(f"{pay_url}/invoices")
    browser.wait_for(".o_invoice_pay_payments_made")
    browser.run("""
        const amounts = document.querySelectorAll('.o_invoice_pay_row .o_invoice_pay_amount');
        document.querySelector('.o_invoice_pay_row .o_invoice_pay_select').click();
        if (amounts[1]) {
            amounts[1].value = '100';
            amounts[1].dispatchEvent(new Event('input', {bubbles: true}));
            amounts[1].dispatchEvent(new Event('change', {bubbles: true}));
        }
    """, wait=1)
    browser.shot(out / "pay_page_desktop.png", full_page=True)


def shoot_spanish_page(browser, pay_url, out):
    """The Spanish customer's page, in Spanish: a first visit, so the customer's language."""
    browser.call("Network.clearBrowserCookies")
    browser.size(1280, 900)
    browser.open(f"{pay_url}/invoices")
    browser.wait_for("html[lang='es-ES'] .o_invoice_pay_amount")
    # Part of the oldest invoice, typed with a decimal comma as a Spanish customer does.
    browser.run("""
        const input = document.querySelector('.o_invoice_pay_amount');
        input.value = '1.000,50';
        input.dispatchEvent(new Event('input', {bubbles: true}));
        input.dispatchEvent(new Event('change', {bubbles: true}));
    """, wait=1)
    browser.shot(out / "pay_page_es.png")


if __name__ == "__main__":
    main(*sys.argv[1:])
