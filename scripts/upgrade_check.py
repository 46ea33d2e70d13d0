#!/usr/bin/env python3
"""Upgrade check: a database made with the baseline release upgrades in place without losing data.

Part "upgrade" of scripts/test.sh; runs with Odoo's interpreter ($ODOO_PYTHON):

    $ODOO_PYTHON scripts/upgrade_check.py --out RESULT_FILE [--port PORT] [--log-dir DIR]

1. The baseline (scripts/upgrade-baseline.txt: a commit and its manifest version) is checked
   out as a git worktree in a temporary folder.
2. A fresh database gets ``invoice_public_pay,payment_demo`` from the baseline, then is filled
   by the baseline code (phase ``fill``, a child process): customers with open invoices, their
   links, a card fee rule, link history (copied, sent, opened, disabled, revoked), payments made
   on the public page through a baseline server with the demo provider (with and without a
   fee, partial, failed, pending), the confirmation cron (receipts), a partial and a full refund.
   The HTTP status of each link's pages and receipts is recorded.
3. Snapshot: every row of the addon's own tables (and many2many tables), and of Odoo's tables
   the addon writes into: the page transactions and their refunds, their payments, the journal
   items and reconciliations of those payments, every customer invoice and its lines.
4. ``odoo-bin -u invoice_public_pay`` with the working tree (migrations/<version>/ scripts run).
5. Snapshot again and compare: each baseline row must still be there with the same values in
   every column both versions have (new columns, tables and rows are fine). A dropped column is
   data lost unless ACCEPTED_DROPPED_COLUMNS says where its data went.
6. Phase ``verify`` (child process, working tree): every page transaction's receipt renders in
   both layouts, and a working-tree server answers each link's pages and receipts with the
   status the baseline gave (200 for enabled links, receipts as PDF).

Every step and every compared table counts as one test in the result file (``PASSED FAILED
SKIPPED`` and a note, as scripts/ipp_results.py writes). The database is dropped at the end
(KEEP_DB=1 keeps it). Environment: ODOO_PATH, ODOO_PYTHON, ODOO_TEST_DB_PREFIX (database
name prefix, default ipp_test), KEEP_DB.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from ipp_checks import Checks, odoo_log_problems, read_manifest

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SCRIPTS_DIR)
ODOO_PATH = os.environ.get("ODOO_PATH", "/opt/odoo19")
ODOO_PYTHON = os.environ.get("ODOO_PYTHON", os.path.join(ODOO_PATH, "venv", "bin", "python"))
ADDON = "invoice_public_pay"
BASELINE_FILE = os.path.join(SCRIPTS_DIR, "upgrade-baseline.txt")
RECEIPT_REPORTS = (
    "invoice_public_pay.action_report_invoice_pay_receipt",
    "invoice_public_pay.action_report_invoice_pay_receipt_thermal",
)
# Columns that may change without the data changing.
IGNORED_COLUMNS = {"write_date", "write_uid"}
# (table, column) of the baseline that a migration removed on purpose, with where its data went
# (checked by a test of that migration). Anything dropped and not listed here is data lost.
ACCEPTED_DROPPED_COLUMNS = {}
MAX_DIFFERENCES_SHOWN = 15


# ----------------------------------------------------------------------------
# Snapshots (SQL only: the same queries read both versions)
# ----------------------------------------------------------------------------

PAGE_TRANSACTIONS = "SELECT id FROM payment_transaction WHERE invoice_pay_link_id IS NOT NULL"
TRANSACTIONS = (
    f"SELECT id FROM payment_transaction WHERE id IN ({PAGE_TRANSACTIONS}) "
    f"OR source_transaction_id IN ({PAGE_TRANSACTIONS})"
)
PAYMENTS = f"SELECT payment_id FROM payment_transaction WHERE id IN ({TRANSACTIONS}) AND payment_id IS NOT NULL"
PAYMENT_MOVES = f"SELECT move_id FROM account_payment WHERE id IN ({PAYMENTS})"
PAYMENT_LINES = f"SELECT id FROM account_move_line WHERE move_id IN ({PAYMENT_MOVES})"
INVOICES = "SELECT id FROM account_move WHERE move_type IN ('out_invoice', 'out_refund')"
# Odoo's tables the addon writes into: (label, table, rows).
ODOO_SLICES = [
    ("page transactions and their refunds", "payment_transaction", f"id IN ({TRANSACTIONS})"),
    ("invoices of the transactions", "account_invoice_transaction_rel", f"transaction_id IN ({TRANSACTIONS})"),
    ("payments of the transactions", "account_payment", f"id IN ({PAYMENTS})"),
    ("journal entries of the payments", "account_move", f"id IN ({PAYMENT_MOVES})"),
    ("journal items of the payments (debit, credit, accounts, matching)", "account_move_line",
     f"move_id IN ({PAYMENT_MOVES})"),
    ("reconciliations of the payments", "account_partial_reconcile",
     f"debit_move_id IN ({PAYMENT_LINES}) OR credit_move_id IN ({PAYMENT_LINES})"),
    ("customer invoices (amount due, payment state)", "account_move", f"id IN ({INVOICES})"),
    ("customer invoice lines", "account_move_line", f"move_id IN ({INVOICES})"),
]
# The addon's own stored models and their many2many tables.
OWN_TABLES = f"""
    SELECT replace(m.model, '.', '_') FROM ir_model m
    JOIN ir_model_data d ON d.model = 'ir.model' AND d.res_id = m.id AND d.module = '{ADDON}'
    WHERE NOT m.transient
    UNION
    SELECT f.relation_table FROM ir_model_fields f
    JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id AND d.module = '{ADDON}'
    WHERE f.ttype = 'many2many' AND f.relation_table IS NOT NULL
"""


def psql(db, sql):
    result = subprocess.run(
        ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"psql failed on {db}: {result.stderr.strip()}\n{sql}")
    return result.stdout.strip()


def existing_tables(db):
    return set(psql(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").splitlines())


def table_rows(db, table, where="TRUE"):
    """Rows of ``table`` matching ``where`` as dicts, in a stable order."""
    sql = f"SELECT coalesce(json_agg(row_to_json(t)), '[]') FROM (SELECT * FROM {table} WHERE {where}) t"
    rows = json.loads(psql(db, sql) or "[]")
    return sorted(rows, key=row_key)


def row_key(row):
    return ("id", row["id"]) if "id" in row else ("row", json.dumps(row, sort_keys=True))


def take_snapshot(db, slices):
    return {f"{label}|{table}": table_rows(db, table, where) for label, table, where in slices}


def snapshot_slices(db):
    """What the snapshot reads: the addon's tables (found in the baseline) and ODOO_SLICES."""
    tables = existing_tables(db)
    own = sorted(set(psql(db, OWN_TABLES).splitlines()) & tables)
    return [(f"table {table} (every row; the addon defines or extends its model)", table, "TRUE")
            for table in own] + ODOO_SLICES


def filled_in_by_a_new_dependency(table, before, after):
    """Whether a row changed because the upgrade installed a module the addon now depends on.

    Odoo's ``payment`` keeps a placeholder row (code ``none``) per payment provider until the
    provider's module is installed; installing it (``payment_stripe``, a dependency since
    19.0.1.2.0) fills the row in. Nothing of the business's data is in such a row.
    """
    return table == "payment_provider" and before.get("code") == "none" and after.get("code") != "none"


def compare_table(before_rows, after_rows, table):
    """Problems found in ``after_rows`` compared with ``before_rows`` (empty list: same data)."""
    problems = []
    after_by_key = {row_key(row): row for row in after_rows}
    before_columns = set(before_rows[0]) if before_rows else set()
    after_columns = set(after_rows[0]) if after_rows else before_columns
    for column in sorted(before_columns - after_columns):
        if (table, column) not in ACCEPTED_DROPPED_COLUMNS:
            problems.append(f"column {table}.{column} is gone (its data is lost)")
    columns = sorted((before_columns & after_columns) - IGNORED_COLUMNS)
    for row in before_rows:
        key = row_key(row)
        after = after_by_key.get(key)
        if after is None:
            problems.append(f"{table} row {key[1]} is lost")
            continue
        if filled_in_by_a_new_dependency(table, row, after):
            continue
        for column in columns:
            if row[column] != after[column]:
                problems.append(f"{table} row {key[1]}: {column} was {row[column]!r}, now {after[column]!r}")
    return problems


# ----------------------------------------------------------------------------
# The orchestrating process
# ----------------------------------------------------------------------------


class Check(Checks):
    """Runs the whole check and counts its tests."""

    def __init__(self, args):
        super().__init__("upgrade")
        self.args = args
        prefix = os.environ.get("ODOO_TEST_DB_PREFIX") or "ipp_test"
        self.db = f"{prefix}_upgrade_{int(time.time())}_{os.getpid()}"
        self.log_dir = args.log_dir
        os.makedirs(self.log_dir, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="ipp-upgrade-")
        self.worktree = os.path.join(self.tmp, "baseline")
        self.worktree_added = False
        self.db_created = False

    def odoo_bin(self, addons_root, log_name, *args):
        """Run odoo-bin with the addon taken from ``addons_root``; return (exit status, log path)."""
        log_path = os.path.join(self.log_dir, log_name)
        addons_path = ",".join([os.path.join(ODOO_PATH, "addons"), os.path.join(ODOO_PATH, "odoo", "addons"), addons_root])
        command = [ODOO_PYTHON, os.path.join(ODOO_PATH, "odoo-bin"), "-d", self.db, f"--addons-path={addons_path}",
                   "--stop-after-init", "--no-http", "--max-cron-threads=0", *args]
        self.say(f"running odoo-bin {' '.join(args)} with the addon of {addons_root} (log: {log_path})")
        with open(log_path, "w", encoding="utf-8") as log:
            status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False).returncode
        return status, log_path

    def phase(self, name, addons_root, *extra):
        """Run phase ``name`` of this script in a child process with the addon of ``addons_root``."""
        env = dict(os.environ, IPP_REPO_ROOT=addons_root)
        command = [ODOO_PYTHON, os.path.abspath(__file__), name, "--db", self.db, "--port", str(self.args.port),
                   "--log-dir", self.log_dir, *extra]
        return subprocess.run(command, env=env, check=False).returncode

    def steps(self):
        baseline = read_baseline()
        if not self.test(self.checkout(baseline), f"baseline {baseline['commit'][:10]} checked out",
                         "git worktree of the commit named in scripts/upgrade-baseline.txt"):
            return
        status, log = self.odoo_bin(self.worktree, "upgrade-1-install-baseline.log",
                                    "-i", f"{ADDON},payment_demo", "--log-level=warn")
        self.db_created = True
        if not self.test(status == 0, f"baseline {baseline['version']} installs", f"exit {status}, see {log}"):
            return
        tokens_file = os.path.join(self.tmp, "baseline-http.json")
        status = self.phase("fill", self.worktree, "--http-out", tokens_file)
        if not self.test(status == 0, "baseline database filled through the baseline code and pay page",
                         f"fill phase exited {status}"):
            return
        slices = snapshot_slices(self.db)
        before = take_snapshot(self.db, slices)
        self.write_json("upgrade-before.json", before)
        self.say(f"snapshot of the baseline: {sum(len(rows) for rows in before.values())} rows in {len(before)} slices")

        status, log = self.odoo_bin(REPO_ROOT, "upgrade-2-update.log", "-u", ADDON, "--log-level=info")
        self.test(status == 0, "odoo-bin -u invoice_public_pay succeeds", f"exit {status}, see {log}")
        errors = odoo_log_problems(log)
        self.test(not errors, "the upgrade logs no ERROR/CRITICAL line", "\n".join(errors[:10]))
        wanted = read_manifest_version(os.path.join(REPO_ROOT, ADDON, "__manifest__.py"))
        recorded = psql(self.db, f"SELECT latest_version FROM ir_module_module WHERE name = '{ADDON}'")
        self.test(recorded == wanted, f"the database records version {wanted}", f"it records {recorded!r}")

        after = take_snapshot(self.db, slices)
        self.write_json("upgrade-after.json", after)
        for name, rows in before.items():
            label, table = name.split("|")
            problems = compare_table(rows, after[name], table)
            new_rows = len({row_key(r) for r in after[name]} - {row_key(r) for r in rows})
            extra = f", {new_rows} new" if new_rows else ""
            shown = problems[:MAX_DIFFERENCES_SHOWN] + (
                [f"... {len(problems) - MAX_DIFFERENCES_SHOWN} more"] if len(problems) > MAX_DIFFERENCES_SHOWN else []
            )
            self.test(not problems, f"unchanged after the upgrade: {label}",
                      f"{len(rows)} rows kept{extra}" if not problems else "\n".join(shown))

        results_file = os.path.join(self.tmp, "verify.json")
        status = self.phase("verify", REPO_ROOT, "--http-in", tokens_file, "--results-out", results_file)
        if self.test(status == 0 and os.path.exists(results_file), "the upgraded database runs the working tree",
                     f"verify phase exited {status}"):
            with open(results_file, encoding="utf-8") as handle:
                for ok, name, detail in json.load(handle):
                    self.test(ok, name, detail)

    def checkout(self, baseline):
        commit = baseline["commit"]
        found = subprocess.run(["git", "-C", REPO_ROOT, "cat-file", "-e", f"{commit}^{{commit}}"],
                               capture_output=True, check=False)
        if found.returncode != 0:
            self.say(f"commit {commit} is not in this clone (shallow? `git fetch --unshallow`)")
            return False
        added = subprocess.run(["git", "-C", REPO_ROOT, "worktree", "add", "--detach", "--quiet", self.worktree, commit],
                               capture_output=True, text=True, check=False)
        if added.returncode != 0:
            self.say(f"git worktree add failed: {added.stderr.strip()}")
            return False
        self.worktree_added = True
        version = read_manifest_version(os.path.join(self.worktree, ADDON, "__manifest__.py"))
        if version != baseline["version"]:
            self.say(f"the baseline commit's manifest says {version}, scripts/upgrade-baseline.txt {baseline['version']}")
            return False
        return True

    def write_json(self, name, data):
        with open(os.path.join(self.log_dir, name), "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True, default=str)

    def clean_up(self):
        if self.db_created:
            self.drop_own_database([ODOO_PYTHON, os.path.join(ODOO_PATH, "odoo-bin")], self.db)
        if self.worktree_added:
            subprocess.run(["git", "-C", REPO_ROOT, "worktree", "remove", "--force", self.worktree],
                           capture_output=True, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)
        subprocess.run(["git", "-C", REPO_ROOT, "worktree", "prune"], capture_output=True, check=False)


def read_baseline():
    values = {}
    with open(BASELINE_FILE, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _sep, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def read_manifest_version(path):
    return read_manifest(path).get("version")


# ----------------------------------------------------------------------------
# Phases run in child processes, with Odoo imported (benchmark.py's helpers)
# ----------------------------------------------------------------------------


def _bench():
    sys.path.insert(0, SCRIPTS_DIR)
    import benchmark  # noqa: PLC0415 pylint: disable=import-outside-toplevel

    return benchmark


def _rpc(client, path, params):
    result, error, _response, _seconds = client.rpc(path, params)
    if error:
        raise RuntimeError(f"{path}: {error}")
    return result


def _pay_on_page(bench, client, token, allocations, provider_id, method_id, state="done"):
    """Pay as a customer does: quote, transaction, demo payment, then the status page polls."""
    path = f"/invoice-pay/{token}"
    quote = _rpc(client, f"{path}/quote", {
        "allocations": allocations, "payment_method_id": method_id, "provider_id": provider_id,
    })
    _rpc(client, f"{path}/payment-form", {"allocations": allocations})
    params = dict(bench.transaction_params(allocations, provider_id, method_id), fee_signature=quote["fee_signature"])
    reference = _rpc(client, f"{path}/transaction", params)["reference"]
    _rpc(client, "/payment/demo/simulate_payment",
         {"reference": reference, "payment_details": "4242", "simulated_state": state})
    for _attempt in range(10):
        result = _rpc(client, "/payment/status/poll", {})
        if state != "done" or (result or {}).get("state") == "done":
            break
        time.sleep(0.5)
    return reference


def _page_statuses(bench, base_url, links):
    """HTTP status (and content type) of each link's pages and receipts."""
    statuses = {}
    for token, transaction_ids in links.items():
        client = bench.Client(base_url, timeout=120)
        paths = [f"/invoice-pay/{token}", f"/invoice-pay/{token}/invoices"]
        paths += [f"/invoice-pay/{token}/receipt/{tx_id}" for tx_id in transaction_ids]
        for path in paths:
            response, _seconds = client.get(path)
            content_type = response.headers.get("Content-Type", "").split(";")[0]
            statuses[path] = [response.status_code, content_type]
    return statuses


def fill(args):
    """Fill the database with the baseline code (IPP_REPO_ROOT is the baseline worktree)."""
    bench = _bench()
    bench.set_driver_log(os.path.join(args.log_dir, "upgrade-3-fill-driver.log"))
    server = bench.OdooServer(args.db, args.port, os.path.join(args.log_dir, "upgrade-3-fill-server.log"),
                              name="baseline", extra_args=["--workers=0", "--max-cron-threads=0", "--log-level=warn"])
    with bench.odoo_env(args.db) as env:
        from odoo.fields import Command as command  # noqa: PLC0415 pylint: disable=import-outside-toplevel
        provider, method = bench.enable_demo_provider(env, server.base_url)
        card = env.ref("payment.payment_method_card")
        provider.payment_method_ids = [command.link(card.id)]
        card.active = True
        env["invoice.pay.fee.rule"].create({
            "name": "Card convenience fee", "payment_method_ids": [command.set(card.ids)],
            "percentage": 3.0, "min_fee": 0.5, "max_fee": 500.0,
        })
        customers = [bench.create_customer(env, f"Upgrade Customer {letter}", count, portal=letter == "A")
                     for letter, count in (("A", 4), ("B", 2), ("C", 2), ("D", 1))]
        partners = env["res.partner"].browse([customer["partner_id"] for customer in customers])
        partners[0].action_invoice_pay_copy_link()
        partners[2].action_invoice_pay_copy_link()
        action = partners[0].action_invoice_pay_send()
        composer = env["mail.compose.message"].with_context(action["context"], mail_notify_force_send=False).create({})
        composer.action_send_mail()
        ids = {"provider": provider.id, "method": method.id, "card": card.id}
        env.cr.commit()

    server.start()
    try:
        customer_a, customer_b = customers[0], customers[1]
        invoices_a = customer_a["invoices"]
        client = bench.Client(server.base_url, timeout=120)
        client.get(f"/invoice-pay/{customer_a['token']}")
        client.get(f"/invoice-pay/{customer_a['token']}/invoices")

        def pay(customer, allocations, method_id, state="done"):
            return _pay_on_page(bench, client, customer["token"], allocations, ids["provider"], method_id, state)

        card_a = pay(customer_a, [{"invoice_id": invoices_a[0]["id"], "amount": invoices_a[0]["amount"]},
                                  {"invoice_id": invoices_a[1]["id"], "amount": "50.00"}], ids["card"])
        pay(customer_a, [{"invoice_id": invoices_a[2]["id"], "amount": "30.00"}], ids["method"])
        pay(customer_a, [{"invoice_id": invoices_a[3]["id"], "amount": invoices_a[3]["amount"]}], ids["card"], "error")
        pay(customer_a, [{"invoice_id": invoices_a[3]["id"], "amount": "10.00"}], ids["method"], "pending")
        card_b = pay(customer_b, [{"invoice_id": invoice["id"], "amount": invoice["amount"]}
                                  for invoice in customer_b["invoices"]], ids["card"])
    finally:
        server.stop()

    with bench.odoo_env(args.db) as env:
        transactions = env["payment.transaction"].with_context(mail_notify_force_send=False)
        leftovers = transactions.search([("invoice_pay_link_id", "!=", False), ("state", "=", "done"),
                                         ("is_post_processed", "=", False)])
        leftovers._post_process()
        transactions._cron_send_invoice_pay_confirmations()
        for reference, amount in ((card_a, 40.0), (card_b, None)):
            transaction = transactions.search([("reference", "=", reference)])
            refund = transaction._refund(amount_to_refund=amount or transaction.amount)  # pylint: disable=protected-access
            refund._post_process()  # pylint: disable=protected-access
        partners = env["res.partner"].browse(partners.ids)
        partners[2].action_invoice_pay_disable()
        partners[3].action_invoice_pay_regenerate()
        env.cr.commit()
        links = {}
        for link in env["invoice.pay.link"].search([]):
            done = transactions.search([("invoice_pay_link_id", "=", link.id), ("state", "=", "done")])
            links[link.token] = done.ids
        counts = {model: env[model].search_count([]) for model in (
            "invoice.pay.link", "invoice.pay.link.activity", "invoice.pay.fee.rule", "invoice.pay.allocation")}
        counts["page transactions"] = transactions.search_count([("invoice_pay_link_id", "!=", False)])
        counts["refunds"] = transactions.search_count([("operation", "=", "refund")])
    print(f"upgrade: the baseline filled in: {counts}", flush=True)

    server.start()
    try:
        statuses = _page_statuses(bench, server.base_url, links)
    finally:
        server.stop()
    with open(args.http_out, "w", encoding="utf-8") as handle:
        json.dump({"links": links, "statuses": statuses}, handle)
    return 0


def verify(args):
    """Receipts render and pages answer with the working tree (IPP_REPO_ROOT is the repository)."""
    bench = _bench()
    bench.set_driver_log(os.path.join(args.log_dir, "upgrade-4-verify-driver.log"))
    with open(args.http_in, encoding="utf-8") as handle:
        baseline = json.load(handle)
    results = []
    with bench.odoo_env(args.db) as env:
        transactions = env["payment.transaction"].search([("invoice_pay_link_id", "!=", False)])
        for report in RECEIPT_REPORTS:
            problems = []
            for transaction in transactions:
                try:
                    html = env["ir.actions.report"]._render_qweb_html(report, transaction.ids)[0]  # pylint: disable=protected-access
                except Exception as error:  # noqa: BLE001 - reported as the test's detail
                    problems.append(f"{transaction.reference}: {type(error).__name__}: {error}")
                    continue
                if transaction.reference not in html.decode():
                    problems.append(f"{transaction.reference}: not in its receipt")
            results.append((not problems, f"receipt {report.split('.')[-1]} renders for each of the "
                            f"{len(transactions)} page transactions", "\n".join(problems)))
    server = bench.OdooServer(args.db, args.port, os.path.join(args.log_dir, "upgrade-4-verify-server.log"),
                              name="upgraded", extra_args=["--workers=0", "--max-cron-threads=0", "--log-level=warn"])
    server.start()
    try:
        statuses = _page_statuses(bench, server.base_url, baseline["links"])
    finally:
        server.stop()
    for path, before in baseline["statuses"].items():
        now = statuses.get(path)
        shown = re.sub(r"/invoice-pay/[^/]+", "/invoice-pay/***", path)
        wanted_pdf = "/receipt/" in path
        ok = now == before and (not wanted_pdf or now == [200, "application/pdf"])
        results.append((ok, f"GET {shown} answers {before[0]} {before[1]} as before",
                        f"now {now[0]} {now[1]}" if now else "no answer"))
    with open(args.results_out, "w", encoding="utf-8") as handle:
        json.dump(results, handle)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase", nargs="?", choices=("check", "fill", "verify"), default="check")
    parser.add_argument("--out", help="result file (PASSED FAILED SKIPPED, note)")
    parser.add_argument("--db")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ODOO_TEST_HTTP_PORT") or 8069))
    parser.add_argument("--log-dir", default=os.path.join(REPO_ROOT, ".test-logs"))
    parser.add_argument("--http-out")
    parser.add_argument("--http-in")
    parser.add_argument("--results-out")
    args = parser.parse_args(argv)
    if args.phase == "fill":
        return fill(args)
    if args.phase == "verify":
        return verify(args)
    if not args.out:
        parser.error("--out is required")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(args.out)
    return Check(args).run(args.out)


if __name__ == "__main__":
    sys.exit(main())
