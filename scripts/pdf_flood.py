#!/usr/bin/env python3
"""PDF flood through one pay link against a real multi-worker Odoo 19 (see scripts/pdf_flood.sh).

Runs with Odoo's own interpreter. ``wkhtmltopdf`` loads a report's assets from
the server that renders it: with ``--workers=2``, two parallel renders used to
hold both workers while each waited for a worker to serve its CSS, and the
server answered nobody for 120 s. This command checks that it no longer can:

1. a fresh database with the addon and the demo provider, two customers with
   open invoices (none sent, so no stored invoice PDF), and payments of the
   first customer made through its pay page (their receipts are not stored yet:
   the server runs without cron);
2. a server with ``--workers=2`` and no cron;
3. many parallel PDF requests (invoice PDFs and receipts, more than the
   workers) through the first customer's link while the second customer's
   page is requested every half second; each refused PDF request (HTTP 503)
   comes back after its ``Retry-After``, as a browser reloading would.

Checks: the other customer's page always answers within 2 s; every PDF request
gets a PDF or a 503 with ``Retry-After`` (never an error or a timeout); every
PDF is delivered in the end; the receipts are stored once made and served
again without rendering.

Exits with 0 (all checks passed), 1 (a check failed) or 2 (no run).
"""

import argparse
import datetime
import os
import statistics
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import benchmark as bench  # noqa: E402 pylint: disable=wrong-import-position

PAGE_SECONDS_MAX = 2.0
PROBE_EVERY = 0.5


def say(message):
    print(f"[pdf-flood] {message}", flush=True)


class PdfRequest(threading.Thread):
    """One visitor asking for one PDF, retrying after each 503 as the busy page says."""

    def __init__(self, client, kind, path, retries, start_gate):
        super().__init__(name=f"{kind} {path.rsplit('/', 2)[-2:]}", daemon=True)
        self.client, self.kind, self.path, self.retries, self.start_gate = client, kind, path, retries, start_gate
        self.answers = []  # (status, seconds, is a PDF, Retry-After)
        self.error = None
        self.seconds = None  # from the start of the flood to the last answer

    def run(self):
        self.start_gate.wait()
        started = time.monotonic()
        try:
            for _attempt in range(self.retries + 1):
                response, seconds = self.client.get(self.path)
                retry_after = response.headers.get("Retry-After")
                self.answers.append((response.status_code, seconds, response.content.startswith(b"%PDF"), retry_after))
                if response.status_code != 503:
                    return
                time.sleep(min(float(retry_after or 1), 10))
        except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.seconds = time.monotonic() - started

    @property
    def delivered(self):
        return bool(self.answers) and self.answers[-1][0] == 200 and self.answers[-1][2]

    @property
    def only_pdf_or_503(self):
        return not self.error and all(
            (status == 200 and is_pdf) or (status == 503 and retry_after)
            for status, _seconds, is_pdf, retry_after in self.answers
        )


class PagePrinter(threading.Thread):
    """The other customer, loading their invoice list every half second until told to stop."""

    def __init__(self, client, path, stop):
        super().__init__(name="other customer", daemon=True)
        self.client, self.path, self.stop = client, path, stop
        self.times, self.statuses, self.errors = [], [], []

    def run(self):
        while not self.stop.is_set():
            try:
                response, seconds = self.client.get(self.path)
                self.times.append(seconds)
                self.statuses.append(response.status_code)
            except Exception as error:  # noqa: BLE001 pylint: disable=broad-exception-caught
                self.errors.append(f"{type(error).__name__}: {error}")
            self.stop.wait(PROBE_EVERY)


class PdfFlood:
    def __init__(self, args):
        self.db = f"{args.db_prefix}_{datetime.datetime.now():%Y%m%d_%H%M%S}_{os.getpid()}"
        self.args = args
        os.makedirs(args.log_dir, exist_ok=True)
        self.install_log, self.server_log, driver_log = (
            os.path.join(args.log_dir, f"{self.db}-{part}.log") for part in ("install", "server", "driver")
        )
        bench.set_driver_log(driver_log)
        self.server = bench.OdooServer(
            self.db, args.port, self.server_log, name="pdf-flood",
            extra_args=[
                f"--workers={args.workers}", "--max-cron-threads=0", f"--gevent-port={args.gevent_port}",
                "--log-level=warn", "--log-handler=werkzeug:INFO",
            ],
        )
        self.flooded = self.other = None
        self.provider_id = self.method_id = None
        self.transactions = []
        self.failures = []

    def setup(self):
        self.provider_id, self.method_id = bench.prepare_database(self.db, self.install_log, self.server.base_url)
        with bench.odoo_env(self.db) as env:
            self.flooded = bench.create_customer(env, "Flood Customer", self.args.invoices, portal=False)
            self.other = bench.create_customer(env, "Other Customer", 5, portal=False)
            env.cr.commit()

    def pay_receipts(self):
        """Payments of the flooded customer through its page: each gets a receipt (not stored yet)."""
        client = bench.Client(self.server.base_url, timeout=120)
        base = f"/invoice-pay/{self.flooded['token']}"
        for invoice in self.flooded["invoices"][-self.args.receipts:]:
            allocations = [{"invoice_id": invoice["id"], "amount": invoice["amount"]}]
            result, error, _response, _seconds = client.rpc(
                f"{base}/transaction", bench.transaction_params(allocations, self.provider_id, self.method_id),
            )
            if error:
                raise bench.BenchError(f"payment could not start: {error}")
            client.rpc("/payment/demo/simulate_payment", {
                "reference": result["reference"], "payment_details": "4242", "simulated_state": "done",
            })
            client.rpc("/payment/status/poll", {})
            self.transactions.append(result["reference"])
        with bench.odoo_env(self.db) as env:
            transactions = env["payment.transaction"].search([("reference", "in", self.transactions)])
            return transactions.filtered(lambda tx: tx.state == "done").ids

    def stored_receipts(self, transaction_ids):
        with bench.odoo_env(self.db) as env:
            return env["ir.attachment"].search_count([
                ("res_model", "=", "payment.transaction"), ("res_id", "in", transaction_ids),
                ("mimetype", "=", "application/pdf"),
            ])

    def flood(self, transaction_ids):
        base = f"/invoice-pay/{self.flooded['token']}"
        paths = [("invoice", f"{base}/invoice/{invoice['id']}/pdf")
                 for invoice in self.flooded["invoices"][:self.args.requests - len(transaction_ids)]]
        paths += [("receipt", f"{base}/receipt/{tx_id}") for tx_id in transaction_ids]
        gate = threading.Event()
        requests_ = [PdfRequest(bench.Client(self.server.base_url, timeout=self.args.request_timeout), kind, path,
                                self.args.retries, gate) for kind, path in paths]
        stop = threading.Event()
        printer = PagePrinter(bench.Client(self.server.base_url, timeout=60),
                              f"/invoice-pay/{self.other['token']}/invoices", stop)
        printer.start()
        for request in requests_:
            request.start()
        time.sleep(PROBE_EVERY)
        started = time.monotonic()
        gate.set()
        for request in requests_:
            request.join(self.args.request_timeout * (self.args.retries + 1) + 30)
        elapsed = time.monotonic() - started
        stop.set()
        printer.join(70)
        return requests_, printer, elapsed

    def print_again(self, transaction_ids):
        """Seconds to get each receipt once more (infinite when it fails: a frozen server)."""
        client = bench.Client(self.server.base_url, timeout=30)
        seconds = []
        for tx_id in transaction_ids:
            try:
                response, elapsed = client.get(f"/invoice-pay/{self.flooded['token']}/receipt/{tx_id}")
                seconds.append(elapsed if response.status_code == 200 else float("inf"))
            except requests.RequestException:
                seconds.append(float("inf"))
        return seconds

    def check(self, ok, label, detail):
        say(f"  [{'ok' if ok else 'FAILED'}] {label}: {detail}")
        if not ok:
            self.failures.append(label)

    def report(self, requests_, printer, elapsed, stored, again):
        say(f"{len(requests_)} parallel PDF requests through one link, --workers={self.args.workers}, "
            f"done in {elapsed:.1f}s:")
        say(f"  {'request':<8} {'first answer':>12} {'503s':>5} {'last answer':>12} {'after':>7}  result")
        for request in requests_:
            first_status, first_seconds = (request.answers[0][:2] if request.answers else ("-", 0.0))
            last_status, last_seconds = (request.answers[-1][:2] if request.answers else ("-", 0.0))
            busy = sum(1 for answer in request.answers if answer[0] == 503)
            result = "PDF" if request.delivered else (request.error or "no PDF")[:70]
            say(f"  {request.kind:<8} {first_status:>5} {first_seconds:5.1f}s {busy:>5} "
                f"{last_status:>5} {last_seconds:5.1f}s {request.seconds or 0:6.1f}s  {result}")
        first = [request.answers[0] for request in requests_ if request.answers]
        refused = sum(1 for answer in first if answer[0] == 503)
        times = printer.times or [float("inf")]
        say(f"other customer's page: {len(printer.times)} loads, median {statistics.median(times):.2f}s, "
            f"max {max(times):.2f}s, statuses {sorted(set(printer.statuses))}")
        say("checks:")
        self.check(
            not printer.errors and max(times) <= PAGE_SECONDS_MAX and set(printer.statuses) == {200},
            f"another customer's page answers within {PAGE_SECONDS_MAX:.0f}s",
            f"max {max(times):.2f}s over {len(printer.times)} loads" + "".join(f"; {e}" for e in printer.errors[:1]),
        )
        self.check(
            all(request.only_pdf_or_503 for request in requests_), "every PDF request gets a PDF or a 503",
            f"first answers: {len(first) - refused} PDF, {refused} busy (503 with Retry-After)",
        )
        delivered = sum(1 for request in requests_ if request.delivered)
        self.check(delivered == len(requests_), "every PDF delivered after Retry-After",
                   f"{delivered} of {len(requests_)}")
        self.check(stored == self.args.receipts, "receipts stored once made",
                   f"{stored} stored for {self.args.receipts} receipts")
        self.check(again and max(again) < PAGE_SECONDS_MAX, "stored receipts served again without rendering",
                   ", ".join(f"{seconds:.2f}s" if seconds < float("inf") else "failed" for seconds in again))
        with open(self.server_log, encoding="utf-8", errors="replace") as log:
            killed = sum(1 for line in log if "timeout after" in line)
        self.check(not killed, "no worker killed for hanging", f"{killed} 'WorkerHTTP timeout' lines in the log")
        self.check(bench.tokens_in_file(self.server_log, [self.flooded["token"], self.other["token"]]) == 0,
                   "no pay link token in the server log", self.server_log)

    def run(self):
        addon_tmp, code = bench.snapshot_addon(self.args.addon_ref)
        say(f"testing {code}")
        try:
            self.setup()
            say(f"starting Odoo with --workers={self.args.workers}, no cron, on {self.server.base_url}")
            self.server.start()
            transaction_ids = self.pay_receipts()
            say(f"{len(transaction_ids)} receipts to print; flooding...")
            requests_, printer, elapsed = self.flood(transaction_ids)
            stored = self.stored_receipts(transaction_ids)
            again = self.print_again(transaction_ids)
            self.server.stop()
            self.report(requests_, printer, elapsed, stored, again)
        finally:
            bench.clean_up(self.server, self.db, self.install_log, addon_tmp)
        say("passed" if not self.failures else f"FAILED: {', '.join(self.failures)}")
        return not self.failures


def parse_args(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=int(env("FLOOD_REQUESTS", 8)),
                        help="parallel PDF requests (invoices and receipts)")
    parser.add_argument("--receipts", type=int, default=int(env("FLOOD_RECEIPTS", 2)),
                        help="of which receipts of payments made before the flood")
    parser.add_argument("--invoices", type=int, default=int(env("FLOOD_INVOICES", 12)),
                        help="open invoices of the flooded customer")
    parser.add_argument("--retries", type=int, default=int(env("FLOOD_RETRIES", 8)),
                        help="times a refused request comes back after Retry-After")
    parser.add_argument("--workers", type=int, default=int(env("FLOOD_WORKERS", 2)))
    parser.add_argument("--port", type=int, default=int(env("FLOOD_PORT", 8079)))
    parser.add_argument("--gevent-port", type=int, default=int(env("FLOOD_GEVENT_PORT", 8080)))
    parser.add_argument("--request-timeout", type=int, default=int(env("FLOOD_REQUEST_TIMEOUT", 150)),
                        help="seconds a visitor waits for one answer")
    parser.add_argument("--db-prefix", default=env("FLOOD_DB_PREFIX", "ipp_flood"))
    parser.add_argument("--addon-ref", default=env("IPP_ADDON_REF"),
                        help="test the addon at this git ref instead of the working tree (e.g. HEAD)")
    parser.add_argument("--log-dir", default=env("FLOOD_LOG_DIR", os.path.join(bench.REPO_ROOT, ".test-logs")))
    args = parser.parse_args(argv)
    if args.workers < 2:
        parser.error("--workers must be at least 2 (the flood needs a multi-process server)")
    if not 0 <= args.receipts < args.requests or args.requests - args.receipts > args.invoices:
        parser.error("--receipts must be below --requests, and --invoices at least --requests - --receipts")
    if args.receipts > args.invoices:
        parser.error("--receipts must not exceed --invoices")
    return args


def main(argv=None):
    return bench.run_command(PdfFlood, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
