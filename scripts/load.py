#!/usr/bin/env python3
"""Load test of the public invoice pay page against a real multi-process Odoo 19 (see scripts/load.sh).

Runs with Odoo's own interpreter. A fresh database ``ipp_load_<timestamp>``,
an Odoo server with ``--workers=2``, then for a bounded time (60 s by
default) simulated customers pay concurrently with the demo provider, each
in its own browser session, in a loop:

    GET list -> quote -> payment-form -> transaction -> demo payment "done" -> poll

Some customer links are shared by several sessions (5 by default) that all
pick the oldest open invoices, so they race on the same invoices. Afterwards
the books are checked in the database:

* no HTTP 5xx (client side and in the server's request log);
* no invoice over-reconciled: amount_residual never below 0, the partial
  reconciliations of each invoice never above its total;
* every done transaction has exactly one posted payment of its amount, and
  sum(done transactions) == sum(amount applied to invoices) + sum(fees) +
  sum(unapplied amounts); each invoice's paid part == what was applied to it.

Exit status 0 when every check passes, 1 when one fails, 2 when the run
could not be made.
"""

import argparse
import collections
import datetime
import os
import random
import re
import statistics
import sys
import threading
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=wrong-import-position
from benchmark import (  # noqa: E402
    REPO_ROOT,
    Client,
    LogTail,
    OdooServer,
    clean_up,
    create_customer,
    odoo_env,
    parse_request_line,
    prepare_database,
    run_command,
    set_driver_log,
    snapshot_addon,
    tokens_in_file,
    transaction_params,
)

ROW = re.compile(r"<li\b[^>]*\bo_invoice_pay_row\b[^>]*>")
ATTR = {name: re.compile(rf'\b{name}="([^"]*)"') for name in ("data-invoice-id", "data-amount-due", "data-blocked")}
CENT = Decimal("0.01")
POLL_GRACE = 30  # seconds polls may go on after the deadline


def say(message):
    print(f"[load] {message}", flush=True)


def parse_rows(html):
    """Open invoices of the list page: [(invoice id, amount due as Decimal)], page order (oldest first)."""
    rows = []
    for tag in ROW.findall(html):
        invoice_id = ATTR["data-invoice-id"].search(tag)
        amount = ATTR["data-amount-due"].search(tag)
        if invoice_id and amount and not ATTR["data-blocked"].search(tag):
            rows.append((int(invoice_id.group(1)), Decimal(amount.group(1)).quantize(CENT)))
    return rows


class Stats:
    """Counters shared by the simulated customers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.Counter()
        self.status = collections.defaultdict(collections.Counter)
        self.rpc_errors = collections.defaultdict(collections.Counter)
        self.exceptions = collections.Counter()
        self.latency = collections.defaultdict(list)
        self.payments_done = 0
        self.payments_started = 0
        self.poll_retries = 0
        self.unfinished_polls = 0

    def record(self, route, status, seconds, error=None):
        with self.lock:
            self.requests[route] += 1
            self.status[route][status] += 1
            self.latency[route].append(seconds)
            if error:
                self.rpc_errors[route][error] += 1

    def count_exception(self, label):
        with self.lock:
            self.exceptions[label] += 1

    def add(self, name, value=1):
        with self.lock:
            setattr(self, name, getattr(self, name) + value)


class Customer(threading.Thread):
    """One customer's browser session paying through a pay link until the deadline."""

    def __init__(self, name, base_url, token, provider_id, method_id, deadline, stats, racer, seed, timeout):
        super().__init__(name=name, daemon=True)
        self.client = Client(base_url, timeout=timeout)
        self.path = f"/invoice-pay/{token}"
        self.provider_id = provider_id
        self.method_id = method_id
        self.deadline = deadline
        self.stats = stats
        self.racer = racer
        self.random = random.Random(seed)
        self.crashed = None

    # Each call: counted per route; a transport failure is recorded, never raised.
    def _get(self, route, path):
        started = time.perf_counter()
        try:
            response, _elapsed = self.client.get(path)
        except Exception as error:  # noqa: BLE001 - a load test reports every failure
            self.stats.record(route, "exception", time.perf_counter() - started)
            self.stats.count_exception(f"{route}: {type(error).__name__}")
            return None
        self.stats.record(route, response.status_code, time.perf_counter() - started)
        return response

    def _rpc(self, route, path, params):
        started = time.perf_counter()
        try:
            result, error, response, _elapsed = self.client.rpc(path, params)
        except Exception as exc:  # noqa: BLE001
            self.stats.record(route, "exception", time.perf_counter() - started)
            self.stats.count_exception(f"{route}: {type(exc).__name__}")
            return None, "exception"
        self.stats.record(route, response.status_code, time.perf_counter() - started, error)
        return result, error

    def _choose(self, rows):
        if self.racer:
            # Everyone on this link goes for the oldest invoices: they collide.
            count = min(len(rows), self.random.randint(1, 3))
            chosen = rows[:count]
        else:
            count = min(len(rows), self.random.randint(1, 4))
            chosen = self.random.sample(rows, count)
        allocations = []
        for invoice_id, due in chosen:
            if self.random.random() < 0.35 and due > 1:
                # A part: at least 1.00, at most the amount due.
                amount = (Decimal(self.random.uniform(1, float(due)))).quantize(CENT)
                amount = min(max(amount, Decimal(1)), due)
            else:
                amount = due
            allocations.append({"invoice_id": invoice_id, "amount": str(amount)})
        return allocations

    def run(self):
        try:
            while time.monotonic() < self.deadline:
                self.pay_once()
                time.sleep(self.random.uniform(0, 0.2))
        except Exception as error:  # noqa: BLE001
            self.crashed = f"{type(error).__name__}: {error}"

    def pay_once(self):
        response = self._get("list", f"{self.path}/invoices")
        if response is None or response.status_code != 200:
            return
        rows = parse_rows(response.text)
        if not rows:
            time.sleep(0.5)
            return
        allocations = self._choose(rows)
        _result, error = self._rpc("quote", f"{self.path}/quote", {"allocations": allocations})
        if error:
            return
        _result, error = self._rpc("payment-form", f"{self.path}/payment-form", {"allocations": allocations})
        if error:
            return
        result, error = self._rpc(
            "transaction", f"{self.path}/transaction",
            transaction_params(allocations, self.provider_id, self.method_id),
        )
        if error or not result:
            return
        self.stats.add("payments_started")
        reference = result.get("reference")
        _result, error = self._rpc(
            "simulate", "/payment/demo/simulate_payment",
            {"reference": reference, "payment_details": "4242", "simulated_state": "done"},
        )
        if error:
            return
        # Odoo's status page polls until the post-processing went through ("retry" otherwise);
        # polls go on at most POLL_GRACE seconds after the deadline.
        for attempt in range(20):
            if attempt:
                self.stats.add("poll_retries")
            result, error = self._rpc("poll", "/payment/status/poll", {})
            if not error and result and result.get("state") == "done":
                self.stats.add("payments_done")
                return
            if time.monotonic() > self.deadline + POLL_GRACE:
                break
            time.sleep(0.3 + 0.2 * attempt)
        self.stats.add("unfinished_polls")


def percentile(values, fraction):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class LoadTest:
    def __init__(self, args):
        self.args = args
        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        self.db = f"ipp_load_{stamp}_{os.getpid()}"
        os.makedirs(args.log_dir, exist_ok=True)
        self.install_log = os.path.join(args.log_dir, f"{self.db}-install.log")
        self.server_log = os.path.join(args.log_dir, f"{self.db}-server.log")
        self.driver_log = os.path.join(args.log_dir, f"{self.db}-driver.log")
        set_driver_log(self.driver_log)
        self.server = OdooServer(
            self.db, args.port, self.server_log, name="load",
            extra_args=[
                f"--workers={args.workers}", "--max-cron-threads=1", f"--gevent-port={args.gevent_port}",
                "--limit-time-real=600", "--limit-time-cpu=600", "--limit-time-real-cron=600",
                "--limit-memory-soft=4294967296", "--limit-memory-hard=6442450944", "--limit-request=100000",
                "--log-level=warn", "--log-handler=werkzeug:INFO",
            ],
        )
        self.stats = Stats()
        self.failures = []
        self.lines = []
        self.links = []  # (token, number of sessions, racing)
        self.partner_ids = []
        self.provider_id = self.method_id = None
        self.elapsed = 0.0
        self.hung, self.crashed = [], []
        self.customer_count = 0
        self.slowest = []
        self.wkhtmltopdf_lines = 0
        self.code = ""
        self.load_before = self.load_after = "-"

    def setup(self):
        self.provider_id, self.method_id = prepare_database(self.db, self.install_log, self.server.base_url)
        with odoo_env(self.db) as env:
            if self.args.report_url:
                env["ir.config_parameter"].set_param("report.url", self.args.report_url)
            env.cr.commit()
            started = time.perf_counter()
            for index in range(self.args.shared_links):
                customer = create_customer(
                    env, f"Load Shared Customer {index + 1}", self.args.invoices_shared, portal=False,
                )
                self.links.append((customer["token"], self.args.sessions_per_link, True))
                self.partner_ids.append(customer["partner_id"])
            for index in range(self.args.solo):
                customer = create_customer(env, f"Load Customer {index + 1}", self.args.invoices_solo, portal=False)
                self.links.append((customer["token"], 1, False))
                self.partner_ids.append(customer["partner_id"])
            env.cr.commit()
            total = self.args.shared_links * self.args.invoices_shared + self.args.solo * self.args.invoices_solo
            say(f"  {len(self.links)} customer links, {total} open invoices in {time.perf_counter() - started:.0f}s")

    def run_load(self):
        deadline = time.monotonic() + self.args.duration
        customers = []
        seed = self.args.seed
        for token, sessions, racer in self.links:
            for _session in range(sessions):
                seed += 1
                customers.append(Customer(
                    f"customer-{len(customers) + 1}", self.server.base_url, token, self.provider_id,
                    self.method_id, deadline, self.stats, racer, seed, self.args.request_timeout,
                ))
        racers = sum(1 for c in customers if c.racer)
        say(f"{len(customers)} simulated customers ({racers} in {self.args.shared_links} groups of "
            f"{self.args.sessions_per_link} sharing a link) pay for {self.args.duration}s...")
        started = time.monotonic()
        for customer in customers:
            customer.start()
        # Each stops at the deadline after its current step; polls end POLL_GRACE s later at most.
        join_until = started + self.args.duration + POLL_GRACE + 2 * self.args.request_timeout + 10
        for customer in customers:
            customer.join(max(0.1, join_until - time.monotonic()))
        self.elapsed = time.monotonic() - started
        self.hung = [c.name for c in customers if c.is_alive()]
        self.crashed = [f"{c.name}: {c.crashed}" for c in customers if c.crashed]
        self.customer_count = len(customers)

    def server_log_figures(self):
        """Status codes and ERROR lines of the server's request log."""
        statuses = collections.Counter()
        errors = []
        self.slowest = []
        self.wkhtmltopdf_lines = 0
        with open(self.server_log, encoding="utf-8", errors="replace") as log:
            for line in log:
                request = parse_request_line(line)
                if request:
                    statuses[request.status // 100 * 100] += 1
                    if request.server_ms is not None:
                        self.slowest.append((request.server_ms / 1000, request.method, request.path))
                elif re.search(r" (ERROR|CRITICAL) ", line):
                    errors.append(line.strip())
                if "wkhtmltopdf" in line:
                    self.wkhtmltopdf_lines += 1
        self.slowest = sorted(self.slowest, reverse=True)[:3]
        return statuses, errors

    def finish_post_processing(self):
        """Post-process done transactions no poll got through (what Odoo's cron would do)."""
        with odoo_env(self.db) as env:
            txs = env["payment.transaction"].search([
                ("invoice_pay_link_id", "!=", False), ("state", "=", "done"), ("is_post_processed", "=", False),
            ])
            for tx in txs:
                tx._post_process()
                env.cr.commit()
            return len(txs)

    def check_books(self):
        out = self.lines
        with odoo_env(self.db) as env:
            cr = env.cr
            partners = tuple(self.partner_ids)
            cr.execute("""
                SELECT count(*), coalesce(sum(amount_total), 0), coalesce(sum(amount_residual), 0),
                       count(*) FILTER (WHERE amount_residual < 0),
                       count(*) FILTER (WHERE amount_residual = 0),
                       count(*) FILTER (WHERE amount_residual > 0 AND amount_residual < amount_total)
                  FROM account_move
                 WHERE move_type = 'out_invoice' AND state = 'posted' AND partner_id IN %s
            """, [partners])
            count, total, residual, negative, paid, partial = cr.fetchone()
            out.append(f"invoices: {count}, total {total:.2f}, still due {residual:.2f}; "
                       f"{paid} paid, {partial} partly paid; amount_residual < 0: {negative}")
            self.check(negative == 0, "no invoice with amount_residual < 0", f"{negative} invoice(s)")
            # Partial reconciliations per invoice, from its receivable (payment term) lines.
            cr.execute("""
                SELECT m.name, m.amount_total, sum(p.amount) AS reconciled
                  FROM account_move m
                  JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'payment_term'
                  JOIN account_partial_reconcile p ON p.debit_move_id = l.id
                 WHERE m.move_type = 'out_invoice' AND m.partner_id IN %s
              GROUP BY m.id, m.name, m.amount_total
                HAVING sum(p.amount) > m.amount_total + 0.001
            """, [partners])
            over = cr.fetchall()
            self.check(not over, "partials of each invoice <= its total (no over-reconciliation)",
                       f"{len(over)} over-reconciled, e.g. {over[:3]}")
            cr.execute("""
                SELECT count(*) FROM account_move_line l JOIN account_move m ON m.id = l.move_id
                 WHERE m.move_type = 'out_invoice' AND m.partner_id IN %s
                   AND l.display_type = 'payment_term' AND l.amount_residual < 0
            """, [partners])
            negative_lines = cr.fetchone()[0]
            self.check(negative_lines == 0, "no invoice receivable line with a negative residual",
                       f"{negative_lines} line(s)")
            # Transactions and their money.
            cr.execute("""
                SELECT state, count(*), coalesce(sum(amount), 0) FROM payment_transaction
                 WHERE invoice_pay_link_id IS NOT NULL GROUP BY state ORDER BY state
            """)
            by_state = cr.fetchall()
            out.append("transactions by state: " + ", ".join(f"{s} {n} ({a:.2f})" for s, n, a in by_state))
            cr.execute("""
                SELECT coalesce(sum(t.amount), 0), coalesce(sum(t.invoice_pay_fee), 0),
                       coalesce(sum(t.invoice_pay_unapplied_amount), 0), count(*),
                       count(*) FILTER (WHERE NOT t.is_post_processed)
                  FROM payment_transaction t
                 WHERE t.invoice_pay_link_id IS NOT NULL AND t.state = 'done'
            """)
            done_sum, fee_sum, unapplied_sum, done_count, not_processed = cr.fetchone()
            cr.execute("""
                SELECT coalesce(sum(a.amount_applied), 0), coalesce(sum(a.amount), 0)
                  FROM invoice_pay_allocation a JOIN payment_transaction t ON t.id = a.transaction_id
                 WHERE t.invoice_pay_link_id IS NOT NULL AND t.state = 'done'
            """)
            applied_sum, chosen_sum = cr.fetchone()
            to_cents = lambda value: Decimal(str(value)).quantize(CENT)  # noqa: E731
            done_d, applied_d, fee_d, unapplied_d = map(to_cents, (done_sum, applied_sum, fee_sum, unapplied_sum))
            out.append(f"done transactions: {done_count}  sum {done_d}")
            out.append(f"  applied to invoices {applied_d} (chosen {to_cents(chosen_sum)}) + fees {fee_d} "
                       f"+ unapplied {unapplied_d} = {applied_d + fee_d + unapplied_d}")
            self.check(done_d == applied_d + fee_d + unapplied_d,
                       "sum(done transactions) == applied + fees + unapplied",
                       f"{done_d} != {applied_d + fee_d + unapplied_d} "
                       f"(difference {done_d - applied_d - fee_d - unapplied_d})")
            self.check(not_processed == 0, "every done transaction post-processed", f"{not_processed} not")
            cr.execute("""
                SELECT t.reference, count(p.id), coalesce(sum(p.amount), 0), t.amount,
                       bool_and(m.state = 'posted')
                  FROM payment_transaction t
             LEFT JOIN account_payment p ON p.payment_transaction_id = t.id
             LEFT JOIN account_move m ON m.id = p.move_id
                 WHERE t.invoice_pay_link_id IS NOT NULL AND t.state = 'done'
              GROUP BY t.id, t.reference, t.amount
                HAVING count(p.id) != 1 OR abs(coalesce(sum(p.amount), 0) - t.amount) > 0.001
                    OR NOT coalesce(bool_and(m.state = 'posted'), false)
            """)
            bad_payments = cr.fetchall()
            self.check(not bad_payments, "each done transaction has exactly one posted payment of its amount",
                       f"{len(bad_payments)} transaction(s), e.g. {bad_payments[:3]}")
            # What each invoice lost in amount due is exactly what the page applied to it.
            cr.execute("""
                WITH applied AS (
                    SELECT a.invoice_id, sum(a.amount_applied) AS amount
                      FROM invoice_pay_allocation a JOIN payment_transaction t ON t.id = a.transaction_id
                     WHERE t.state = 'done' GROUP BY a.invoice_id
                )
                SELECT m.name, m.amount_total - m.amount_residual, coalesce(applied.amount, 0)
                  FROM account_move m LEFT JOIN applied ON applied.invoice_id = m.id
                 WHERE m.move_type = 'out_invoice' AND m.partner_id IN %s
                   AND abs((m.amount_total - m.amount_residual) - coalesce(applied.amount, 0)) > 0.001
            """, [partners])
            mismatched = cr.fetchall()
            self.check(not mismatched, "paid part of each invoice == sum applied to it by done transactions",
                       f"{len(mismatched)} invoice(s), e.g. {mismatched[:3]}")
            cr.execute("""
                SELECT count(*) FROM payment_transaction t JOIN account_payment p ON p.payment_transaction_id = t.id
                 WHERE t.invoice_pay_link_id IS NOT NULL AND t.state != 'done'
            """)
            stray = cr.fetchone()[0]
            self.check(stray == 0, "no payment for a transaction that is not done", f"{stray} payment(s)")
            cr.rollback()

    def check(self, ok, label, detail):
        self.lines.append(f"  [{'OK' if ok else 'FAILED'}] {label}" + ("" if ok else f": {detail}"))
        if not ok:
            self.failures.append(label)

    def report(self, server_statuses, server_errors, leftovers):
        stats = self.stats
        out = []
        out.append("")
        out.append("=" * 100)
        out.append(f"invoice_public_pay load test  db={self.db}  server={self.server.base_url} "
                   f"(--workers={self.args.workers}, --max-cron-threads=1)")
        out.append(f"code: {self.code}")
        out.append(f"{self.customer_count} simulated customers for {self.args.duration}s "
                   f"({self.args.shared_links} links shared by {self.args.sessions_per_link} sessions each, "
                   f"{self.args.solo} customers alone); load average before/after: {self.load_before} / {self.load_after}")
        out.append(f"client-side latency (wall time per request, queueing included; timeout "
                   f"{self.args.request_timeout}s); 2 shared cores: noisy"
                   + (f"; DIAGNOSTIC report.url={self.args.report_url}" if self.args.report_url else ""))
        out.append("-" * 100)
        out.append(f"{'route':<14} {'requests':>8} {'2xx':>6} {'5xx':>5} {'other':>6} {'rpc errors':>10} "
                   f"{'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
        total = 0
        total_5xx = 0
        for route in ("list", "quote", "payment-form", "transaction", "simulate", "poll"):
            count = stats.requests[route]
            statuses = stats.status[route]
            ok = sum(n for s, n in statuses.items() if isinstance(s, int) and 200 <= s < 300)
            bad = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
            other = count - ok - bad
            latency = [x * 1000 for x in stats.latency[route]]
            total += count
            total_5xx += bad
            out.append(
                f"{route:<14} {count:>8} {ok:>6} {bad:>5} {other:>6} {sum(stats.rpc_errors[route].values()):>10} "
                f"{(statistics.median(latency) if latency else 0):>10.0f} {percentile(latency, 0.95):>8.0f} "
                f"{(max(latency) if latency else 0):>8.0f}"
            )
        out.append(f"{'total':<14} {total:>8}   rate {total / self.elapsed:.1f} requests/s over {self.elapsed:.0f}s "
                   f"(payments: {stats.payments_started} started, {stats.payments_done} completed by a poll, "
                   f"{stats.poll_retries} poll retries, {stats.unfinished_polls} polls given up)")
        errors = collections.Counter()
        for route, counter in stats.rpc_errors.items():
            for message, n in counter.items():
                errors[f"{route}: {message[:110]}"] += n
        if errors:
            out.append("JSON-RPC errors (answers to the customer, HTTP 200):")
            for message, n in errors.most_common(8):
                out.append(f"  {n:>5}  {message}")
        for message, n in stats.exceptions.most_common(5):
            out.append(f"  client exception x{n}: {message}")
        out.append(f"server request log: {dict(sorted(server_statuses.items()))} by status class; "
                   f"{len(server_errors)} ERROR/CRITICAL line(s)")
        for line in dict.fromkeys(re.sub(r"^\S+ \S+ \d+ ", "", e)[:160] for e in server_errors[:50]):
            out.append(f"  {line}")
        if self.slowest:
            out.append("slowest requests in the server log: " + "; ".join(
                f"{method} {path} {seconds:.1f}s" for seconds, method, path in self.slowest))
        out.append(f"wkhtmltopdf (PDF rendering) log lines in the server log: {self.wkhtmltopdf_lines}")
        leaked = tokens_in_file(self.server_log, {token for token, _sessions, _racer in self.links})
        if leftovers:
            out.append(f"{leftovers} done transaction(s) were left for Odoo's cron by the polls; post-processed "
                       "after the run, before the checks")
        out.append("-" * 100)
        out.append("checks:")
        self.check(total_5xx == 0 and not server_statuses.get(500), "no HTTP 5xx",
                   f"{total_5xx} on the client side, {server_statuses.get(500, 0)} in the server log")
        # A request that got no answer within the timeout is a failure. Connections the
        # server did not even accept in time are reported apart: Odoo's prefork server
        # listens with a backlog of 8 x workers, fewer than the simulated customers.
        connect = sum(n for label, n in stats.exceptions.items() if label.endswith(": ConnectTimeout"))
        others = sum(stats.exceptions.values()) - connect
        if connect:
            out.append(f"note: {connect} connection(s) not accepted within {self.args.request_timeout}s "
                       f"(listen backlog 8 x {self.args.workers} workers < {self.customer_count} customers): "
                       "server capacity of this set-up, not counted as a failure")
        self.check(not others, "every request answered (no read timeout / transport error)",
                   f"{others}: " + ", ".join(f"{label} x{n}" for label, n in stats.exceptions.items()
                                             if not label.endswith(": ConnectTimeout")))
        self.check(not self.hung and not self.crashed, "every simulated customer stopped cleanly",
                   f"hung {self.hung}, crashed {self.crashed}")
        self.check(stats.payments_done > 0, "payments were completed", "none")
        self.check(leaked == 0, "no pay link token in the server log", f"{leaked} line(s)")
        out.extend(self.lines)
        out.append(f"result: {'PASSED' if not self.failures else 'FAILED (' + '; '.join(self.failures) + ')'}")
        out.append("=" * 100)
        print("\n".join(out), flush=True)

    def run(self):
        self.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        addon_tmp, self.code = snapshot_addon(self.args.addon_ref)
        say(f"testing {self.code}")
        try:
            self.setup()
            say(f"starting Odoo with --workers={self.args.workers} on {self.server.base_url} (log: {self.server_log})")
            self.server.start()
            LogTail(self.server_log)  # the log exists
            self.run_load()
            self.load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
            self.server.stop()
            server_statuses, server_errors = self.server_log_figures()
            leftovers = self.finish_post_processing()
            self.check_books()
            self.report(server_statuses, server_errors, leftovers)
        finally:
            clean_up(self.server, self.db, self.install_log, addon_tmp)
        return not self.failures


def parse_args(argv=None):
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=int(env("LOAD_DURATION", 60)), help="seconds of load")
    parser.add_argument("--port", type=int, default=int(env("LOAD_PORT", 8077)))
    parser.add_argument("--gevent-port", type=int, default=int(env("LOAD_GEVENT_PORT", 8078)))
    parser.add_argument("--workers", type=int, default=int(env("LOAD_WORKERS", 2)))
    parser.add_argument("--shared-links", type=int, default=int(env("LOAD_SHARED_LINKS", 3)))
    parser.add_argument("--sessions-per-link", type=int, default=int(env("LOAD_SESSIONS_PER_LINK", 5)))
    parser.add_argument("--solo", type=int, default=int(env("LOAD_SOLO", 9)), help="customers with their own link")
    parser.add_argument("--invoices-shared", type=int, default=int(env("LOAD_INVOICES_SHARED", 60)))
    parser.add_argument("--invoices-solo", type=int, default=int(env("LOAD_INVOICES_SOLO", 30)))
    parser.add_argument("--request-timeout", type=int, default=int(env("LOAD_REQUEST_TIMEOUT", 60)),
                        help="seconds a simulated customer waits for one answer")
    parser.add_argument("--report-url", default=env("LOAD_REPORT_URL"),
                        help="diagnostic: set Odoo's report.url (where wkhtmltopdf fetches the page assets)")
    parser.add_argument("--seed", type=int, default=int(env("LOAD_SEED", 1)))
    parser.add_argument("--addon-ref", default=env("IPP_ADDON_REF"),
                        help="test the addon at this git ref instead of the working tree (e.g. HEAD)")
    parser.add_argument("--log-dir", default=env("LOAD_LOG_DIR", os.path.join(REPO_ROOT, ".test-logs")))
    args = parser.parse_args(argv)
    customers = args.shared_links * args.sessions_per_link + args.solo
    if customers < 20:
        parser.error(f"{customers} simulated customers: at least 20 are needed")
    if not 5 <= args.duration <= 1800:
        parser.error("--duration must be between 5 and 1800 seconds")
    return args


def main(argv=None):
    return run_command(LoadTest, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
