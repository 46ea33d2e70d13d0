#!/usr/bin/env python3
"""Benchmark of the public invoice pay page against a real Odoo 19 (see scripts/benchmark.sh).

Runs with Odoo's own interpreter (it imports ``odoo`` to build the data and to
time the post-processing in process). Steps:

1. a fresh database ``ipp_bench_<timestamp>`` with invoice_public_pay and
   payment_demo (no demo data), the demo provider enabled;
2. one customer per N (10, 100, 1,000, 10,000) with N open, overdue, posted invoices
   and a portal user (beyond 100 invoices, 100 are made through the ORM and the others
   are SQL copies of them: see ``clone_invoices``); customers whose invoices are paid in
   the payment runs, and as many identical customers paid by Odoo's Register Payment wizard;
3. a real Odoo server (``--workers=0``) whose request log gives, for every
   request, Odoo's own ``query_count query_time remaining_time``
   (``odoo/netsvc.py`` PerfFilter, logged by ``odoo/service/server.py``
   ``log_request``); each request carries a unique ``?bench=K`` marker so that
   its log line is found without guessing. Per N: the list page (50 rows per group),
   the next page of rows and a search (``/rows``), the quote of every invoice of the
   group (``select_all``), Odoo's ``/my/invoices/overdue``;
4. completing payments: transaction through the page's route, demo payment
   simulated "done", then post-processing timed twice: through Odoo's
   ``/payment/status/poll`` route (request log figures) and in this process
   (``payment.transaction._post_process()`` + commit, with ``odoo.sql_db.sql_counter``
   and ``time.perf_counter``); beside it, Odoo's Register Payment wizard paying as many
   invoices of another customer as one grouped payment, timed the same way;
5. the customer statement (``/invoice-pay/<token>/statement``, a real PDF through
   wkhtmltopdf) of a customer with 10,000 open invoices, and of the N=100 customer,
   against Odoo's own PDF of one invoice through its portal (``/my/invoices/<id>?report_type=pdf``);
6. a table with medians, the targets, and whether each is met.

The helpers (database, server, request log, data) are reused by scripts/load.py.
"""

import argparse
import collections
import contextlib
import cProfile
import datetime
import gzip
import logging
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import requests

ODOO_PATH = os.environ.get("ODOO_PATH", "/opt/odoo19")
ODOO_PYTHON = os.environ.get("ODOO_PYTHON", os.path.join(ODOO_PATH, "venv", "bin", "python"))
REPO_ROOT = os.environ.get("IPP_REPO_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = "invoice_public_pay"
ADDONS_PATH = ",".join([os.path.join(ODOO_PATH, "addons"), os.path.join(ODOO_PATH, "odoo", "addons"), REPO_ROOT])
MODULES = "invoice_public_pay,payment_demo"
HOST = "127.0.0.1"  # the only address this script ever talks to

# Targets, checked at the end.
MAX_PAGE_QUERIES = 40
MAX_RATIO_TO_ODOO = 1.5  # list page / Odoo's overdue page at N = 1,000
MAX_RATIO_TO_ODOO_BIG = 2.0  # list page / Odoo's overdue page at N = 10,000
MAX_QUOTE_RATIO_TO_ODOO = 2.0  # quote of the whole group / Odoo's overdue page at N = 1,000
MAX_LIST_BYTES = 150_000  # the list page's HTML at N = 1,000 (150 KB)
MAX_RATIO_TO_WIZARD = 1.0  # completing a payment / Odoo's Register Payment wizard, same invoices
MAX_PAYMENT_SECONDS = 3.0  # earlier target: completing a payment over 100 invoices
# Odoo's default --limit-time-real: a statement must render within the worker time limit.
MAX_STATEMENT_SECONDS = 120.0
# Invoices of a big customer created through the ORM; the others are SQL copies of them.
STATEMENT_BATCH = 100
# The page: rows drawn per group and per "next page" (invoice_pay_link.ROWS_PAGE_SIZE).
ROWS_PAGE_SIZE = 50
# Most invoices one payment covers (invoice_pay_link.MAX_INVOICES_PER_PAYMENT).
MAX_INVOICES_PER_PAYMENT = 5000
# The sizes the targets name.
TARGET_N = 1000
TARGET_N_BIG = 10000

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# "... werkzeug: 127.0.0.1 - - [date] "GET /path?bench=3 HTTP/1.1" 200 - 23 0.012 0.034"
REQUEST_LINE = re.compile(
    r' werkzeug: .*?"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[0-9.]+" (?P<status>\d{3}) (?P<size>\S+)'
    r" (?P<queries>\d+|-) (?P<query_time>[0-9.]+|-) (?P<other_time>[0-9.]+|-)\s*$"
)


def say(message):
    print(f"[benchmark] {message}", flush=True)


class BenchError(RuntimeError):
    """Something the benchmark cannot go on without."""


class NoPerfFigures(BenchError):
    """A request's log line came without its perf figures (a log record of the request took them)."""


# ----------------------------------------------------------------------------
# The addon under test: a frozen copy, so that edits made meanwhile in the
# repository cannot give the installer and the server different code
# ----------------------------------------------------------------------------


def snapshot_addon(ref=None):
    """Copy the addon (working tree, or git ``ref``) into a temporary addons dir; use it from now on.

    :return: ``(temporary directory, description of the code measured)``
    """
    global ADDONS_PATH  # noqa: PLW0603 pylint: disable=global-statement
    tmp = tempfile.mkdtemp(prefix="ipp_perf_addon_")
    head = subprocess.run(
        ["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
    ).stdout.strip() or "?"
    if ref:
        archive = os.path.join(tmp, "addon.tar")
        result = subprocess.run(
            ["git", "-C", REPO_ROOT, "archive", "--format=tar", "-o", archive, ref, ADDON],
            capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BenchError(f"git archive {ref} {ADDON} failed: {result.stderr.strip()}")
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        os.unlink(archive)
        sha = subprocess.run(
            ["git", "-C", REPO_ROOT, "rev-parse", "--short", ref], capture_output=True, text=True, check=False,
        ).stdout.strip()
        described = f"{ADDON} at git {ref} ({sha})"
    else:
        shutil.copytree(
            os.path.join(REPO_ROOT, ADDON), os.path.join(tmp, ADDON),
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        dirty = subprocess.run(
            ["git", "-C", REPO_ROOT, "status", "--porcelain", "--", ADDON], capture_output=True, text=True,
            check=False,
        ).stdout.strip()
        described = f"{ADDON} working tree copied at start (HEAD {head}{', with uncommitted changes' if dirty else ''})"
    ADDONS_PATH = ",".join([os.path.join(ODOO_PATH, "addons"), os.path.join(ODOO_PATH, "odoo", "addons"), tmp])
    return tmp, described


# ----------------------------------------------------------------------------
# Database and server processes
# ----------------------------------------------------------------------------


def odoo_cmd(*args):
    return [ODOO_PYTHON, os.path.join(ODOO_PATH, "odoo-bin"), *args]


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As Odoo does: connections of a server stopped a moment ago (TIME_WAIT) do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def database_exists(db):
    out = subprocess.run(
        ["psql", "-X", "-d", "postgres", "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
        capture_output=True, text=True, check=False,
    )
    return out.stdout.strip() == "1"


def install_database(db, log_path):
    """Create ``db`` with the addon and the demo provider, without demo data."""
    if database_exists(db):
        raise BenchError(f"database {db} already exists")
    started = time.perf_counter()
    with open(log_path, "a", encoding="utf-8") as log:
        result = subprocess.run(
            odoo_cmd(
                "-d", db, f"--addons-path={ADDONS_PATH}", "-i", MODULES, "--without-demo=True",
                "--stop-after-init", "--no-http", "--max-cron-threads=0", "--log-level=warn",
            ),
            stdout=log, stderr=subprocess.STDOUT, check=False,
        )
    if result.returncode != 0:
        raise BenchError(f"installing {MODULES} into {db} failed (exit {result.returncode}); see {log_path}")
    return time.perf_counter() - started


def drop_database(db, log_path):
    """Drop ``db`` and its filestore (Odoo's ``db drop``; ``dropdb`` as a fallback)."""
    close_in_process_connections(db)
    if not database_exists(db):
        return True
    with open(log_path, "a", encoding="utf-8") as log:
        subprocess.run(odoo_cmd("db", "drop", db), stdout=log, stderr=subprocess.STDOUT, check=False)
        if database_exists(db):
            subprocess.run(["dropdb", "--if-exists", db], stdout=log, stderr=subprocess.STDOUT, check=False)
    return not database_exists(db)


class OdooServer:
    """A real Odoo server on 127.0.0.1, started and stopped by this script (its own process group)."""

    def __init__(self, db, port, logfile, extra_args=(), name="odoo"):
        self.db = db
        self.port = port
        self.logfile = logfile
        self.extra_args = list(extra_args)
        self.name = name
        self.process = None
        self.base_url = f"http://{HOST}:{port}"

    def start(self, timeout=120):
        if not port_is_free(self.port):
            raise BenchError(f"port {self.port} is taken on {HOST}: stop what listens there or choose another")
        args = odoo_cmd(
            "-d", self.db, f"--db-filter=^{re.escape(self.db)}$", f"--addons-path={ADDONS_PATH}",
            f"--http-interface={HOST}", f"--http-port={self.port}", f"--logfile={self.logfile}",
            *self.extra_args,
        )
        # Own session: stopping it never touches another process of the machine.
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} server exited with {self.process.returncode}; see {self.logfile}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/web/health", timeout=5).status_code == 200:
                    return self
            time.sleep(0.5)
        raise BenchError(f"{self.name} server did not answer on {self.base_url} within {timeout}s")

    def stop(self, timeout=30):
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)  # Odoo stops its workers on SIGTERM
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group this script created
            process.wait(10)
        # Workers left behind in our own process group (none expected).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


@dataclass
class RequestLog:
    """One request as Odoo's request log line reports it."""

    method: str
    path: str
    status: int
    queries: int | None
    query_time: float | None
    other_time: float | None

    @property
    def server_ms(self):
        if self.query_time is None or self.other_time is None:
            return None
        return (self.query_time + self.other_time) * 1000.0


def parse_request_line(line):
    match = REQUEST_LINE.search(ANSI_ESCAPE.sub("", line))
    if not match:
        return None

    def number(value, kind):
        return None if value == "-" else kind(value)

    return RequestLog(
        method=match["method"], path=match["path"], status=int(match["status"]),
        queries=number(match["queries"], int), query_time=number(match["query_time"], float),
        other_time=number(match["other_time"], float),
    )


class LogTail:
    """Reads a server log file as it grows and finds the line of a marked request."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.partial = ""
        self.pending = {}  # marker -> RequestLog seen but not asked for yet
        self.other_lines = []  # WARNING/ERROR lines, for the report

    def _read(self):
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8", errors="replace") as log:
            log.seek(self.offset)
            chunk = log.read()
            self.offset = log.tell()
        if not chunk:
            return
        text = self.partial + chunk
        lines = text.split("\n")
        self.partial = lines.pop()
        for line in lines:
            request = parse_request_line(line)
            if request:
                marker = re.search(r"[?&]bench=([\w-]+)", request.path)
                if marker:
                    self.pending[marker.group(1)] = request
            elif re.search(r" (WARNING|ERROR|CRITICAL) ", line):
                self.other_lines.append(line)

    def wait_for(self, marker, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            self._read()
            if marker in self.pending:
                return self.pending.pop(marker)
            if time.monotonic() > deadline:
                raise BenchError(f"no request log line for bench={marker} in {self.path}")
            time.sleep(0.02)

    def drain(self):
        self._read()
        return self.pending


# ----------------------------------------------------------------------------
# In-process Odoo (data set-up, post-processing, checks)
# ----------------------------------------------------------------------------

_odoo_configured = []
DRIVER_LOG = []  # where this process's own Odoo logs go (set before the first use of Odoo)


def set_driver_log(path):
    DRIVER_LOG[:] = [path]


def _odoo():
    """Import Odoo from ODOO_PATH and configure it once (same options as the servers)."""
    if ODOO_PATH not in sys.path:
        sys.path.insert(0, ODOO_PATH)
    import odoo  # noqa: PLC0415 pylint: disable=import-outside-toplevel
    from odoo.tools import config  # noqa: PLC0415 pylint: disable=import-outside-toplevel

    if not _odoo_configured:
        log_args = [f"--logfile={DRIVER_LOG[0]}"] if DRIVER_LOG else []
        config.parse_config(
            [f"--addons-path={ADDONS_PATH}", "--log-level=warn", "--max-cron-threads=0", "--no-http", *log_args],
            setup_logging=True,
        )
        _odoo_configured.append(True)
    return odoo


@contextlib.contextmanager
def odoo_env(db):
    """A superuser environment on ``db``; committed on success, rolled back on error."""
    odoo = _odoo()
    from odoo.modules.registry import Registry  # noqa: PLC0415 pylint: disable=import-outside-toplevel

    threading.current_thread().dbname = db
    registry = Registry(db)
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


def close_in_process_connections(db):
    if not _odoo_configured:
        return
    odoo = _odoo()
    from odoo.modules.registry import Registry  # noqa: PLC0415 pylint: disable=import-outside-toplevel

    with contextlib.suppress(Exception):
        Registry.delete(db)
    with contextlib.suppress(Exception):
        odoo.sql_db.close_db(db)


def sql_counter():
    return _odoo().sql_db.sql_counter


def normalize_query(query):
    """A query with its literals replaced, so that the same statement run per record counts as one."""
    query = re.sub(r"'(?:[^']|'')*'", "?", query)
    query = re.sub(r"\b\d+(?:\.\d+)?\b", "N", query)
    query = re.sub(r"N(?:\s*,\s*N)+", "N..", query)
    return re.sub(r"\s+", " ", query).strip()


def collect_tokens(data):
    """Every pay link token found in a nested structure of customer dicts."""
    if isinstance(data, dict):
        tokens = {data["token"]} if isinstance(data.get("token"), str) else set()
        for value in data.values():
            tokens |= collect_tokens(value)
        return tokens
    if isinstance(data, (list, tuple)):
        return set().union(*(collect_tokens(value) for value in data)) if data else set()
    return set()


def tokens_in_file(path, tokens):
    """How many lines of ``path`` contain one of ``tokens`` (the log must never hold one)."""
    if not tokens or not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8", errors="replace") as log:
        return sum(1 for line in log if any(token in line for token in tokens))


def money(value):
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def enable_demo_provider(env, base_url):
    """Publish Odoo's demo provider of the main company (test mode); set web.base.url."""
    env["ir.config_parameter"].sudo().set_param("web.base.url", base_url)
    company = env.company
    provider = env["payment.provider"].search([("code", "=", "demo"), ("company_id", "=", company.id)], limit=1)
    if not provider:
        raise BenchError("no demo payment provider in the main company (payment_demo not installed?)")
    provider.write({"state": "test", "is_published": True})
    method = provider.payment_method_ids.filtered("active")[:1]
    if not method:
        raise BenchError("the demo provider has no active payment method")
    if not provider.journal_id:
        raise BenchError("the demo provider has no journal")
    return provider, method


def invoice_amount(index):
    """Varied amounts with cents (no taxes: the total is the line's price)."""
    return float(Decimal(100) + Decimal(index % 97) * Decimal("3.17") + Decimal(index % 7) / 100)


def create_customer(env, name, invoice_count, portal=True, amount_fn=invoice_amount):
    """A customer company with ``invoice_count`` open posted overdue invoices, its pay link and portal user.

    Invoices are created in one batch and posted in one batch.
    """
    odoo = _odoo()
    command = odoo.fields.Command
    today = datetime.date.today()
    partner = env["res.partner"].create({
        "name": name, "is_company": True, "email": f"{re.sub(r'[^a-z0-9]+', '.', name.lower())}@example.com",
    })
    vals = []
    for index in range(invoice_count):
        vals.append({
            "move_type": "out_invoice",
            "partner_id": partner.id,
            "invoice_date": today - datetime.timedelta(days=90 - index % 30),
            "invoice_date_due": today - datetime.timedelta(days=60 - index % 30),
            "invoice_line_ids": [command.create({
                "name": f"Service {index + 1}", "quantity": 1, "price_unit": amount_fn(index), "tax_ids": [],
            })],
        })
    invoices = env["account.move"].create(vals) if vals else env["account.move"]
    if invoices:
        invoices.action_post()
    # Overdue: due dates in the past (set again after posting, in case posting recomputed them).
    late = invoices.filtered(lambda move: not move.invoice_date_due or move.invoice_date_due >= today)
    if late:
        late.write({"invoice_date_due": today - datetime.timedelta(days=30)})
    url = partner._invoice_pay_ensure_url()
    token = re.search(r"/invoice-pay/([A-Za-z0-9_-]+)", url).group(1)
    login = password = None
    if portal:
        login = f"portal.{partner.id}@example.com"
        password = secrets.token_urlsafe(18)
        env["res.users"].with_context(no_reset_password=True).create({
            "name": f"{name} (portal)", "login": login, "password": password, "partner_id": partner.id,
            "group_ids": [command.set([env.ref("base.group_portal").id])],
        })
    return {
        "partner_id": partner.id,
        "token": token,
        "login": login,
        "password": password,
        "invoices": [
            {"id": invoice.id, "amount": money(invoice.amount_residual), "due": str(invoice.invoice_date_due),
             "name": invoice.name}
            for invoice in invoices.sorted(lambda m: (m.invoice_date_due, m.invoice_date, m.id))
        ],
    }


def clone_invoices(env, partner_id, copies):
    """``copies`` more copies of the posted invoices of ``partner_id``, made in SQL (two statements).

    Creating and posting 10,000 invoices through the ORM takes about an hour on the
    shared cores; the statement reads journal items, the page and the quote read the
    entries and their receivable lines, which copies of the entries and their lines are
    to them. Each copy gets its own name; lines follow their entry. Once per partner.
    """
    if copies <= 0:
        return
    odoo = _odoo()
    sql = odoo.tools.SQL

    def columns(table, replaced):
        names = [row[0] for row in env.execute_query(sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name != 'id'"
            " ORDER BY ordinal_position", table))]
        target = sql(", ").join(sql.identifier(name) for name in names)
        source = sql(", ").join(replaced.get(name) or sql.identifier("source", name) for name in names)
        return target, source

    env.flush_all()
    target, source = columns("account_move", {
        "name": sql("source.name || '/C' || clone_number"),
        "ref": sql("'bench-clone:' || source.id"),
    })
    env.execute_query(sql(
        "INSERT INTO account_move (%s) SELECT %s FROM account_move source, generate_series(1, %s) clone_number"
        " WHERE source.partner_id = %s AND source.move_type = 'out_invoice' AND source.state = 'posted'",
        target, source, copies, partner_id,
    ))
    target, source = columns("account_move_line", {
        "move_id": sql("clone.id"),
        "move_name": sql("clone.name"),
    })
    env.execute_query(sql(
        "INSERT INTO account_move_line (%s) SELECT %s FROM account_move_line source"
        " JOIN account_move clone ON clone.ref = 'bench-clone:' || source.move_id AND clone.partner_id = %s",
        target, source, partner_id,
    ))
    env.invalidate_all()


def open_invoices_of(env, partner_id):
    """The open posted invoices of ``partner_id`` as ``create_customer`` lists them (oldest due first)."""
    invoices = env["account.move"].search_fetch(
        [("partner_id", "=", partner_id), ("move_type", "=", "out_invoice"), ("state", "=", "posted"),
         ("payment_state", "in", ("not_paid", "partial"))],
        ["name", "amount_residual", "invoice_date_due"], order="invoice_date_due, invoice_date, id",
    )
    return [
        {"id": invoice.id, "amount": money(invoice.amount_residual), "due": str(invoice.invoice_date_due),
         "name": invoice.name}
        for invoice in invoices
    ]


def create_big_customer(env, name, invoice_count, portal=True, batch=STATEMENT_BATCH, copy_now=True):
    """``create_customer`` for any size: beyond ``batch`` invoices, ``batch`` made through the ORM
    (created and posted in one batch), the others SQL copies of them (``clone_invoices``).

    The copies are real posted open invoices: an entry and its lines (receivable line
    included, open, with its amount residual), as Odoo wrote them for their source.
    ``invoice_count`` beyond ``batch`` must be a multiple of it. With ``copy_now=False``
    the copies are left to :func:`copy_invoices` (the customer's ``copies``): Odoo
    numbers each invoice it posts with a query over the journal's entries, slower
    with every copy already there, so copy once every customer is made.
    """
    if invoice_count <= batch:
        return create_customer(env, name, invoice_count, portal=portal)
    if invoice_count % batch:
        raise BenchError(f"{invoice_count} invoices: beyond {batch}, use a multiple of {batch}")
    customer = create_customer(env, name, batch, portal=portal)
    customer["copies"] = invoice_count // batch - 1
    customer["invoice_count"] = invoice_count
    if copy_now:
        copy_invoices(env, [customer])
    return customer


def copy_invoices(env, customers):
    """Make the copies left by ``create_big_customer(copy_now=False)``; list the invoices again."""
    for customer in customers:
        copies = customer.pop("copies", 0)
        if not copies:
            continue
        clone_invoices(env, customer["partner_id"], copies)
        customer["invoices"] = open_invoices_of(env, customer["partner_id"])
        if len(customer["invoices"]) != customer["invoice_count"]:
            raise BenchError(f"{len(customer['invoices'])} open invoices, not {customer['invoice_count']}")


# ----------------------------------------------------------------------------
# HTTP client (127.0.0.1 only)
# ----------------------------------------------------------------------------


class Client:
    """One browser: a requests session against the local server; every request is marked."""

    _counter = [0]
    _lock = threading.Lock()

    def __init__(self, base_url, timeout=300):
        self.base_url = base_url
        self.session = requests.Session()
        self.timeout = timeout

    @classmethod
    def next_marker(cls, prefix="r"):
        with cls._lock:
            cls._counter[0] += 1
            return f"{prefix}{cls._counter[0]}"

    def get(self, path, marker=None, **params):
        if marker:
            params["bench"] = marker
        started = time.perf_counter()
        response = self.session.get(self.base_url + path, params=params, timeout=self.timeout)
        return response, time.perf_counter() - started

    def rpc(self, path, params, marker=None):
        """JSON-RPC call as Odoo's pages make it: ``(result, error message, response, seconds)``."""
        url = self.base_url + path + (f"?bench={marker}" if marker else "")
        started = time.perf_counter()
        response = self.session.post(
            url, json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}, timeout=self.timeout,
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            return None, f"HTTP {response.status_code}", response, elapsed
        payload = response.json()
        if "error" in payload:
            data = payload["error"].get("data") or {}
            return None, data.get("message") or payload["error"].get("message"), response, elapsed
        return payload.get("result"), None, response, elapsed

    def login(self, db, login, password):
        result, error, _response, _elapsed = self.rpc(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )
        if error or not result or not result.get("uid"):
            raise BenchError(f"could not log in as {login}: {error}")


def transaction_params(allocations, provider_id, method_id):
    """The parameters Odoo's payment form sends to a transaction route (demo provider, direct flow)."""
    return {
        "allocations": allocations,
        "provider_id": provider_id,
        "payment_method_id": method_id,
        "token_id": None,
        "amount": 1.0,  # ignored by the route: it recomputes the total
        "flow": "direct",
        "tokenization_requested": False,
        "landing_route": "/my",
        "is_validation": False,
        "access_token": False,
        "csrf_token": "unused-by-jsonrpc-routes",
    }


# ----------------------------------------------------------------------------
# The benchmark itself
# ----------------------------------------------------------------------------


@dataclass
class Series:
    n: int
    route: str
    samples: list = field(default_factory=list)  # (server_ms, queries, client_ms)
    source: str = "log"
    informational: bool = False

    def median_ms(self):
        return statistics.median(s[0] for s in self.samples) if self.samples else None

    def queries(self):
        return sorted({s[1] for s in self.samples})

    def median_queries(self):
        return statistics.median(s[1] for s in self.samples) if self.samples else None


class Benchmark:
    def __init__(self, args):
        self.args = args
        stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S")
        self.db = args.db or f"ipp_bench_{stamp}_{os.getpid()}"
        self.log_dir = args.log_dir
        os.makedirs(self.log_dir, exist_ok=True)
        self.install_log = os.path.join(self.log_dir, f"{self.db}-install.log")
        self.server_log = os.path.join(self.log_dir, f"{self.db}-server.log")
        set_driver_log(os.path.join(self.log_dir, f"{self.db}-driver.log"))
        self.server = OdooServer(
            self.db, args.port, self.server_log, name="benchmark",
            extra_args=[
                "--workers=0", "--max-cron-threads=0",
                # Only the request lines (and real problems): no other INFO line may take
                # the request's perf figures (PerfFilter gives them to the first record).
                "--log-level=warn", "--log-handler=werkzeug:INFO",
                "--limit-time-real=600", "--limit-time-cpu=600",
            ],
        )
        self.series = {}
        self.diagnoses = {}
        self.page_sizes = {}
        self.page_gzip_sizes = {}  # the same compressed (gzip, as a reverse proxy would send it)
        self.groups = {}  # N -> the group key of the list page (data-group)
        self.search_terms = {}  # N -> (search term, invoices it matches)
        self.quote_all_counts = {}  # N -> (invoices quoted, invoices excepted)
        self.refusals = {}  # N -> the message refusing a payment over more than 5,000 invoices
        self.data = {}
        self.notes = []
        self.results = []
        self.tail = None
        self.code = ""
        self.load_before = self.load_after = "-"

    # -- helpers ------------------------------------------------------------

    def serie(self, n, route, **kwargs):
        key = (n, route)
        if key not in self.series:
            self.series[key] = Series(n, route, **kwargs)
        return self.series[key]

    def timed_request(self, call, marker, check=None):
        """Run ``call(marker)``; return the request log figures of that request."""
        outcome = call(marker)
        logged = self.tail.wait_for(marker)
        if check:
            check(outcome, logged)
        if logged.status >= 400:
            raise BenchError(f"{logged.method} {logged.path} answered HTTP {logged.status}")
        if logged.server_ms is None:
            raise NoPerfFigures(f"the log line of {logged.path} has no perf figures (another log line took them)")
        return outcome, logged

    def repeat(self, n, route, call, check=None, warmups=1, repeat=None):
        """Warm-up request(s), then ``repeat`` measured ones (server figures from the log)."""
        serie = self.serie(n, route)
        for index in range(warmups + (repeat or self.args.repeat)):
            for attempt in range(3):
                marker = Client.next_marker()
                started = time.perf_counter()
                try:
                    _outcome, logged = self.timed_request(call, marker, check)
                    break
                except NoPerfFigures:
                    if attempt == 2:
                        raise
            client_ms = (time.perf_counter() - started) * 1000
            if index >= warmups:
                serie.samples.append((logged.server_ms, logged.queries, client_ms, logged.query_time * 1000))
        return serie

    @staticmethod
    def rpc_ok(outcome, logged):
        result, error = outcome[0], outcome[1]
        if error:
            raise BenchError(f"{logged.path}: the route refused the request: {error}")
        return result

    # -- steps ----------------------------------------------------------------

    def setup(self):
        provider_id, method_id = prepare_database(self.db, self.install_log, self.server.base_url)
        self.data["provider_id"], self.data["method_id"] = provider_id, method_id
        with odoo_env(self.db) as env:
            self.data["currency"] = env.company.currency_id.name
            # Every invoice through the ORM first, then the SQL copies (see create_big_customer).
            big = []
            for n in self.args.sizes:
                started = time.perf_counter()
                self.data[n] = create_big_customer(env, f"Bench Customer {n}", n, copy_now=False)
                big.append(self.data[n])
                env.cr.commit()
                say(f"  customer with {min(n, STATEMENT_BATCH)} open overdue invoices created and posted in "
                    f"{time.perf_counter() - started:.1f}s" + (f" ({n} once copied)" if n > STATEMENT_BATCH else ""))
            if self.args.statement_items:
                started = time.perf_counter()
                n = self.args.statement_items
                self.data[("statement", n)] = create_big_customer(
                    env, f"Bench Statement {n}", n, portal=False, batch=min(n, STATEMENT_BATCH), copy_now=False,
                )
                big.append(self.data[("statement", n)])
                env.cr.commit()
                say(f"  customer for the statement ({n} open invoices once copied) in "
                    f"{time.perf_counter() - started:.1f}s")
            runs = 1 + self.args.payment_repeat
            for n in self.args.payment_sizes:
                # One customer per payment, paying all its n open invoices in full.
                started = time.perf_counter()
                # 2 x runs measured (poll route, in process) + 1 diagnosed (SQL log, profiler).
                self.data[("pay", n)] = []
                for index in range(2 * runs + 1):
                    self.data[("pay", n)].append(
                        create_big_customer(env, f"Bench Payer {n} #{index + 1}", n, portal=False, copy_now=False))
                    env.cr.commit()
                # As many identical customers, paid by Odoo's Register Payment wizard.
                self.data[("wizard", n)] = []
                for index in range(runs):
                    self.data[("wizard", n)].append(create_big_customer(
                        env, f"Bench Wizard Payer {n} #{index + 1}", n, portal=False, copy_now=False))
                    env.cr.commit()
                big += self.data[("pay", n)] + self.data[("wizard", n)]
                say(f"  {3 * runs + 1} payers with {min(n, STATEMENT_BATCH)} open invoices each in "
                    f"{time.perf_counter() - started:.1f}s" + (f" ({n} once copied)" if n > STATEMENT_BATCH else ""))
            started = time.perf_counter()
            copy_invoices(env, big)
            env.cr.commit()
            copied = sum(len(customer["invoices"]) for customer in big if len(customer["invoices"]) > STATEMENT_BATCH)
            if copied:
                say(f"  invoices copied in SQL: {copied} invoices of customers with more than {STATEMENT_BATCH} in "
                    f"{time.perf_counter() - started:.1f}s")

    def measure_pages(self):
        base = self.server.base_url
        for n in self.args.sizes:
            data = self.data[n]
            path = f"/invoice-pay/{data['token']}"
            public = Client(base)
            say(f"N={n}: our list page, next rows, search, quotes, landing; Odoo's overdue page")
            self.repeat(n, "list", lambda marker, c=public, p=path: c.get(f"{p}/invoices", marker),
                        self._check_list(n))
            group = self.groups[n]
            self._measure_rows(n, public, path, group, data)
            self._measure_quotes(n, public, path, group, data)
            self.serie(n, "landing", informational=True)
            self.repeat(n, "landing", lambda marker, c=public, p=path: c.get(p, marker))
            portal = Client(base)
            portal.login(self.db, data["login"], data["password"])

            def check_overdue(outcome, _logged):
                response = outcome[0]
                if response.url.rstrip("/").endswith("/my/invoices") or "/web/login" in response.url:
                    raise BenchError(f"/my/invoices/overdue redirected to {response.url}: no overdue invoices?")

            self.repeat(n, "overdue", lambda marker, c=portal: c.get("/my/invoices/overdue", marker), check_overdue)

    def _check_list(self, n):
        """The list page draws the 50 oldest due rows of the group and counts all N."""
        expected_rows = min(n, ROWS_PAGE_SIZE)

        def check_list(outcome, logged):
            if logged.status != 200:
                return
            text = outcome[0].text
            rows = re.findall(r'<li\b[^>]*\bo_invoice_pay_row\b[^>]*\bdata-invoice-id="(\d+)"', text)
            sections = re.findall(r"<section\b[^>]*\bo_invoice_pay_group\b[^>]*>", text)
            if len(sections) != 1:
                raise BenchError(f"the list page of the N={n} customer has {len(sections)} invoice groups, not 1")
            count = re.search(r'\bdata-count="(\d+)"', sections[0])
            group = re.search(r'\bdata-group="([^"]+)"', sections[0])
            if not count or int(count.group(1)) != n or not group:
                raise BenchError(f"the list page of the N={n} customer says data-count="
                                 f"{count and count.group(1)}, data-group={group and group.group(1)}")
            if len(rows) != expected_rows:
                raise BenchError(f"the list page of the N={n} customer draws {len(rows)} rows, not {expected_rows}")
            oldest = [str(inv["id"]) for inv in self.data[n]["invoices"][:expected_rows]]
            if rows != oldest:
                raise BenchError(f"the list page of the N={n} customer does not draw the {expected_rows} oldest due "
                                 "invoices in order")
            self.groups[n] = group.group(1)
            self.page_sizes[n] = len(outcome[0].content)
            self.page_gzip_sizes[n] = len(gzip.compress(outcome[0].content))

        return check_list

    def _measure_rows(self, n, public, path, group, data):
        """The next page of rows (offset 50), and a search (filtered, sorted by amount)."""
        expected_next = max(0, min(ROWS_PAGE_SIZE, n - ROWS_PAGE_SIZE))
        params = {"group": group, "offset": ROWS_PAGE_SIZE, "limit": ROWS_PAGE_SIZE, "search": "", "filter": "",
                  "sort": "due_date"}
        next_ids = [inv["id"] for inv in data["invoices"][ROWS_PAGE_SIZE:ROWS_PAGE_SIZE + expected_next]]

        def check_next(outcome, logged):
            result = self.rpc_ok(outcome, logged)
            ids = [row["invoice_id"] for row in result["rows"]]
            if (ids != next_ids or result["count"] != n or result["more"] != (n > 2 * ROWS_PAGE_SIZE)
                    or result["totals"]["count"] != n or ids and 'o_invoice_pay_row' not in result["html"]):
                raise BenchError(f"/rows offset {ROWS_PAGE_SIZE} of the N={n} customer: {len(ids)} rows, "
                                 f"count {result['count']}, more {result['more']}, totals {result['totals']}")

        if n > ROWS_PAGE_SIZE:
            # Only a group of more than 50 invoices has a next page (the page offers no "Load more" below).
            self.repeat(n, "rows_next", lambda marker, c=public, p=path: c.rpc(f"{p}/rows", params, marker),
                        check_next)
        # Part of one invoice's number (its name without the "INV/" prefix) that only this invoice
        # has, at every N: from the middle of the list, a copy beyond 100 invoices ("2026/00042/C37").
        term, matches = None, []
        for invoice in data["invoices"][n // 2:] + data["invoices"][:n // 2]:
            term = invoice["name"].split("/", 1)[-1]
            matches = [inv for inv in data["invoices"] if term in inv["name"]]
            if len(matches) == 1:
                break
        search = {"group": group, "offset": 0, "limit": ROWS_PAGE_SIZE, "search": term, "filter": "overdue",
                  "sort": "amount"}
        self.search_terms[n] = (term, len(matches))

        def check_search(outcome, logged):
            result = self.rpc_ok(outcome, logged)
            ids = sorted(row["invoice_id"] for row in result["rows"])
            if ids != sorted(inv["id"] for inv in matches) or result["count"] != len(matches):
                raise BenchError(f"/rows search {term!r} of the N={n} customer: {len(ids)} rows, count "
                                 f"{result['count']}, expected {len(matches)}")

        self.repeat(n, "rows_search", lambda marker, c=public, p=path: c.rpc(f"{p}/rows", search, marker),
                    check_search)

    def _measure_quotes(self, n, public, path, group, data):
        """The quote of every invoice of the group (select_all), and of explicit allocations (info)."""
        invoices = data["invoices"]
        # One payment covers at most 5,000 invoices: beyond, all but the 5,001 newest due.
        excepted = invoices[-(MAX_INVOICES_PER_PAYMENT + 1):] if n > MAX_INVOICES_PER_PAYMENT else []
        paid = invoices[:n - len(excepted)]
        expected_total = sum(Decimal(inv["amount"]) for inv in paid)
        params = {"allocations": [], "select_all": {"group": group, "except": [inv["id"] for inv in excepted]}}
        self.quote_all_counts[n] = (len(paid), len(excepted))

        def check_quote_all(outcome, logged):
            result = self.rpc_ok(outcome, logged)
            if Decimal(money(result["amount_total"])) != expected_total or result["invoice_count"] != len(paid):
                raise BenchError(f"select_all quote of the N={n} customer: {result['invoice_count']} invoices, "
                                 f"{result['amount_total']}; expected {len(paid)}, {expected_total}")

        self.repeat(n, "quote_all", lambda marker, c=public, p=path: c.rpc(f"{p}/quote", params, marker),
                    check_quote_all)
        if n > MAX_INVOICES_PER_PAYMENT:
            # Informational: the whole group (no exception) is refused, as the page says.
            refused = {"allocations": [], "select_all": {"group": group, "except": []}}

            def check_refused(outcome, _logged):
                if outcome[1] is None or "at most" not in outcome[1] or "pay in parts" not in outcome[1]:
                    raise BenchError(f"select_all quote of all {n} invoices: expected the refusal, got "
                                     f"{outcome[1] or outcome[0]}")
                self.refusals[n] = outcome[1]

            self.serie(n, "quote_refused", informational=True)
            self.repeat(n, "quote_refused", lambda marker, c=public, p=path: c.rpc(f"{p}/quote", refused, marker),
                        check_refused)
        if n <= TARGET_N:
            allocations = [{"invoice_id": inv["id"], "amount": inv["amount"]} for inv in invoices]
            total = sum(Decimal(inv["amount"]) for inv in invoices)

            def check_quote(outcome, logged):
                result = self.rpc_ok(outcome, logged)
                if Decimal(money(result["amount_total"])) != total:
                    raise BenchError(f"quote total {result['amount_total']} != {total}")

            self.serie(n, "quote", informational=True)
            self.repeat(
                n, "quote",
                lambda marker, c=public, p=path, a=allocations: c.rpc(f"{p}/quote", {"allocations": a}, marker),
                check_quote,
            )

    def measure_statement(self):
        """The statement PDF, rendered for real (wkhtmltopdf), against Odoo's own PDF of one invoice."""
        base = self.server.base_url
        public = Client(base, timeout=900)

        def check_pdf(outcome, logged):
            response = outcome[0]
            if logged.status == 200 and not response.content.startswith(b"%PDF"):
                raise BenchError(f"{logged.path} is not a PDF: {response.content[:80]!r}")

        sizes = [n for n in (100, self.args.statement_items) if n and (n in self.data or ("statement", n) in self.data)]
        for n in sizes:
            data = self.data.get(("statement", n)) or self.data[n]
            path = f"/invoice-pay/{data['token']}/statement"
            say(f"N={n}: the customer statement (real PDF)")
            # No warm-up for the large one: each render takes about a minute.
            self.repeat(n, "statement", lambda marker, c=public, p=path: c.get(p, marker), check_pdf,
                        warmups=0 if n > 1000 else 1, repeat=self.args.statement_repeat)
        data = self.data.get(100) or self.data[min(self.args.sizes)]
        portal = Client(base)
        portal.login(self.db, data["login"], data["password"])
        invoice_id = data["invoices"][0]["id"]
        say("Odoo's portal PDF of one invoice")
        self.repeat(1, "odoo_invoice_pdf",
                    lambda marker, c=portal: c.get(f"/my/invoices/{invoice_id}", marker, report_type="pdf"),
                    check_pdf, repeat=self.args.statement_repeat)

    def measure_payments(self):
        base = self.server.base_url
        provider_id, method_id = self.data["provider_id"], self.data["method_id"]
        runs = 1 + self.args.payment_repeat
        for n in self.args.payment_sizes:
            payers = self.data[("pay", n)]
            say(f"payments over {n} invoices: {runs} through the poll route (and the booking cron), {runs} "
                "post-processed in process "
                f"(one customer each, all its invoices in full)")
            poll_serie = self.serie(n, "poll")
            tx_serie = self.serie(n, "transaction", informational=True)
            sim_serie = self.serie(n, "simulate", informational=True)
            in_process = self.serie(n, "post_process", source="in-process")
            # a) the customer's way: transaction, demo payment, poll (post-processing in the request)
            for index in range(runs):
                client = Client(base)
                payer = payers[index]
                reference, tx_logged = self._start_payment(client, payer, provider_id, method_id)
                sim_marker = Client.next_marker()
                self._simulate_done(client, reference, sim_marker)
                sim_logged = self.tail.wait_for(sim_marker)
                marker = Client.next_marker()
                started = time.perf_counter()
                outcome, logged = self.timed_request(
                    lambda m, c=client: c.rpc("/payment/status/poll", {}, m), marker,
                )
                client_ms = (time.perf_counter() - started) * 1000
                result = self.rpc_ok(outcome, logged)
                if result.get("state") != "done":
                    raise BenchError(f"poll says {result}")
                # A payment over many invoices is not booked by the poll: the booking cron books it
                # (ir_cron_book_invoice_pay_payments; the server runs no cron): run here, timed.
                booking = None if self._is_post_processed(reference) else self._book_by_cron_in_process(reference)
                if index:
                    poll_serie.samples.append((logged.server_ms, logged.queries, client_ms, logged.query_time * 1000))
                    tx_serie.samples.append(
                        (tx_logged.server_ms, tx_logged.queries, None, tx_logged.query_time * 1000))
                    sim_serie.samples.append(
                        (sim_logged.server_ms, sim_logged.queries, None, sim_logged.query_time * 1000))
                    if booking:
                        self.serie(n, "cron", source="in-process").samples.append(
                            (booking[0] * 1000, booking[1], None, None))
                self._check_paid(reference, payer["invoices"])
            # b) the same post-processing timed in this process, without HTTP
            references = []
            for index in range(runs, 2 * runs):
                client = Client(base)
                payer = payers[index]
                reference, _tx_logged = self._start_payment(client, payer, provider_id, method_id)
                self._simulate_done(client, reference)
                references.append((reference, payer["invoices"]))
            for index, (reference, chunk) in enumerate(references):
                seconds, queries = self._post_process_in_process(reference)
                if index:
                    in_process.samples.append((seconds * 1000, queries, None, None))
                self._check_paid(reference, chunk)
            # c) one more, not timed: which queries repeat, where the time goes
            client = Client(base)
            payer = payers[2 * runs]
            reference, _tx_logged = self._start_payment(client, payer, provider_id, method_id)
            self._simulate_done(client, reference)
            self.diagnoses[n] = self._diagnose_post_process(reference)
            self._check_paid(reference, payer["invoices"])
            # d) Odoo's own Register Payment wizard: as many invoices of an identical customer, one
            # grouped payment, timed the same way as b), as many runs (the first one not counted)
            say(f"payments over {n} invoices: {runs} through Odoo's Register Payment wizard, in process")
            wizard = self.serie(n, "wizard", source="in-process")
            for index, customer in enumerate(self.data[("wizard", n)]):
                seconds, queries = self._register_payment_in_process(customer["invoices"])
                if index:
                    wizard.samples.append((seconds * 1000, queries, None, None))

    def _start_payment(self, client, payer, provider_id, method_id):
        path = f"/invoice-pay/{payer['token']}"
        allocations = [{"invoice_id": inv["id"], "amount": inv["amount"]} for inv in payer["invoices"]]
        marker = Client.next_marker()
        outcome, logged = self.timed_request(
            lambda m: client.rpc(f"{path}/transaction", transaction_params(allocations, provider_id, method_id), m),
            marker,
        )
        result = self.rpc_ok(outcome, logged)
        return result["reference"], logged

    @staticmethod
    def _simulate_done(client, reference, marker=None):
        _result, error, _response, _elapsed = client.rpc(
            "/payment/demo/simulate_payment",
            {"reference": reference, "payment_details": "4242", "simulated_state": "done"}, marker,
        )
        if error:
            raise BenchError(f"demo payment of {reference} failed: {error}")

    def _post_process_in_process(self, reference):
        with odoo_env(self.db) as env:
            tx = env["payment.transaction"].search([("reference", "=", reference)])
            if tx.state != "done" or tx.is_post_processed:
                raise BenchError(f"transaction {reference} is {tx.state}, post-processed={tx.is_post_processed}")
            env.invalidate_all()
            count0 = sql_counter()
            started = time.perf_counter()
            tx._post_process()
            env.flush_all()
            env.cr.commit()
            return time.perf_counter() - started, sql_counter() - count0

    def _is_post_processed(self, reference):
        with odoo_env(self.db) as env:
            done = env["payment.transaction"].search([("reference", "=", reference)]).is_post_processed
            env.cr.rollback()
            return done

    def _book_by_cron_in_process(self, reference):
        """The booking cron's method (payment.transaction._cron_invoice_pay_book_payments) + commit, timed
        as ``_post_process_in_process``; the transaction of ``reference`` must be the one it books."""
        with odoo_env(self.db) as env:
            Transaction = env["payment.transaction"]
            tx = Transaction.search([("reference", "=", reference)])
            if tx.state != "done" or tx.is_post_processed or not hasattr(Transaction, "_cron_invoice_pay_book_payments"):
                raise BenchError(f"transaction {reference} is {tx.state}, post-processed={tx.is_post_processed}, "
                                 "and no booking cron to book it")
            env.invalidate_all()
            count0 = sql_counter()
            started = time.perf_counter()
            Transaction._cron_invoice_pay_book_payments()
            env.flush_all()
            env.cr.commit()
            return time.perf_counter() - started, sql_counter() - count0

    def _register_payment_in_process(self, chunk):
        """Odoo's Register Payment wizard over the invoices of ``chunk`` as one grouped payment, commit
        included, timed as ``_post_process_in_process``; then checks that they are paid."""
        with odoo_env(self.db) as env:
            invoices = env["account.move"].browse([inv["id"] for inv in chunk])
            env.invalidate_all()
            count0 = sql_counter()
            started = time.perf_counter()
            env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoices.ids,
            ).create({"group_payment": True})._create_payments()
            env.flush_all()
            env.cr.commit()
            seconds, queries = time.perf_counter() - started, sql_counter() - count0
            env.invalidate_all()
            open_invoices = invoices.filtered(lambda move: move.amount_residual)
            payments = invoices.line_ids.matched_credit_ids.credit_move_id.move_id
            if open_invoices or invoices.filtered(lambda move: move.payment_state not in ("paid", "in_payment")):
                raise BenchError(f"Register Payment over {len(invoices)} invoices: {len(open_invoices)} still open")
            if len(payments) != 1:
                raise BenchError(f"Register Payment over {len(invoices)} invoices made {len(payments)} entries, not 1")
            env.cr.rollback()
        return seconds, queries

    # Where a payment's post-processing spends its time (cumulative, under cProfile).
    PROFILE_POINTS = [
        ("invoice_public_pay", "_invoice_pay_create_payment", "payment entry + reconciliation (ours)"),
        ("account/models/account_payment.py", "create", "  account.payment create (1 line per invoice)"),
        ("account/models/account_move_line.py", "_reconcile_plan", "  _reconcile_plan (1 pair per invoice)"),
        ("account_payment/models/payment_transaction.py", "_log_message_on_linked_documents",
         "chatter message on each invoice (Odoo)"),
        ("invoice_public_pay", "_invoice_pay_notify_done", "confirmation email + note (ours)"),
        ("base/models/ir_actions_report.py", "_render_qweb_pdf", "  of which PDF rendering (wkhtmltopdf)"),
        ("odoo/sql_db.py", "commit", "commit (pre-commit: tracking of the invoices)"),
    ]

    def _diagnose_post_process(self, reference):
        """Post-process once with the SQL debug log captured and cProfile on (not timed)."""
        queries = []
        phase = ["post-process"]
        per_phase = collections.Counter()

        class Capture(logging.Handler):
            def emit(self, record):
                match = re.search(r"\] query: (.*)", record.getMessage(), re.S)
                if match:
                    queries.append(match.group(1))
                    per_phase[phase[0]] += 1

        sql_logger = logging.getLogger("odoo.sql_db")
        handler, level = Capture(), sql_logger.level
        profiler = cProfile.Profile()
        with odoo_env(self.db) as env:
            tx = env["payment.transaction"].search([("reference", "=", reference)])
            env.invalidate_all()
            sql_logger.addHandler(handler)
            sql_logger.setLevel(logging.DEBUG)
            try:
                profiler.enable()
                tx._post_process()
                env.flush_all()
                # Commit included: its pre-commit hooks write the tracking of the invoices.
                phase[0] = "commit"
                env.cr.commit()
                profiler.disable()
            finally:
                sql_logger.removeHandler(handler)
                sql_logger.setLevel(level)
        patterns = collections.Counter(normalize_query(query) for query in queries)
        stats = pstats.Stats(profiler).stats
        total = max((value[3] for value in stats.values()), default=0)
        points = []
        for path_part, function, label in self.PROFILE_POINTS:
            cumulative = max(
                (value[3] for (filename, _line, name), value in stats.items()
                 if name == function and path_part in filename),
                default=None,
            )
            if cumulative is not None:
                points.append((label, cumulative))
        return {
            "queries": len(queries), "per_phase": dict(per_phase), "patterns": patterns.most_common(8),
            "total": total, "points": points,
        }

    def _check_paid(self, reference, chunk):
        with odoo_env(self.db) as env:
            tx = env["payment.transaction"].search([("reference", "=", reference)])
            invoices = env["account.move"].browse([inv["id"] for inv in chunk])
            open_invoices = invoices.filtered(lambda m: m.amount_residual)
            if not tx.is_post_processed or not tx.payment_id or open_invoices:
                raise BenchError(
                    f"{reference}: post-processed={tx.is_post_processed}, payment={tx.payment_id.name}, "
                    f"{len(open_invoices)} invoice(s) still open"
                )
            env.cr.rollback()

    # -- report ---------------------------------------------------------------

    ROUTE_LABELS = {
        "list": "our list page   GET /invoice-pay/<token>/invoices (50 rows)",
        "rows_next": "our next rows   POST /invoice-pay/<token>/rows (offset 50)",
        "rows_search": "our search      POST .../rows (number, overdue, by amount)",
        "quote_all": "our quote       POST .../quote select_all (whole group)",
        "quote_refused": "our quote       POST .../quote select_all > 5,000: refused",
        "quote": "our quote       POST .../quote (N explicit allocations)",
        "landing": "our landing     GET /invoice-pay/<token>",
        "overdue": "Odoo overdue    GET /my/invoices/overdue (portal user)",
        "transaction": "our transaction POST /invoice-pay/<token>/transaction",
        "simulate": "demo provider   POST /payment/demo/simulate_payment",
        "poll": "complete pay    POST /payment/status/poll (books <= 200 inv.)",
        "cron": "complete pay    booking cron after the poll + commit, in process",
        "post_process": "complete pay    tx._post_process() + commit, in process",
        "wizard": "Odoo wizard     Register Payment, grouped, + commit, in process",
        "statement": "our statement   GET /invoice-pay/<token>/statement (PDF)",
        "odoo_invoice_pdf": "Odoo invoice    GET /my/invoices/<id>?report_type=pdf (1 invoice)",
    }
    PAGE_ROUTES = ("list", "rows_next", "rows_search", "quote_all", "quote_refused", "quote", "landing", "overdue")

    def report(self):
        out = []
        out.append("")
        out.append("=" * 110)
        out.append(f"invoice_public_pay benchmark  db={self.db}  server={self.server.base_url} (--workers=0, no cron)")
        out.append(f"code: {self.code}")
        out.append(
            f"median of {self.args.repeat} warm requests per page row, {self.args.payment_repeat} payments per "
            f"payment row (1 unmeasured warm-up first); "
            f"load average before/after: {self.load_before} / {self.load_after}"
        )
        out.append(
            "server ms, queries: Odoo's request log line (werkzeug logger, odoo/netsvc.py PerfFilter): "
            "query_time + remaining_time, query_count; sql ms = query_time;"
        )
        out.append(
            "  'in process' rows: payment.transaction._post_process() (or the booking cron's method) + flush + commit, "
            "and Odoo's Register Payment wizard (create + _create_payments() + flush + commit),"
        )
        out.append("  timed with time.perf_counter, queries = odoo.sql_db.sql_counter delta.")
        out.append(f"  beyond {STATEMENT_BATCH} invoices, a customer's invoices are {STATEMENT_BATCH} made through "
                   "the ORM and SQL copies of them (entries and lines).")
        out.append("  2 cores shared with other Odoo processes: times are noisy, query counts are exact.")
        out.append("-" * 110)
        out.append(f"{'N':>6}  {'route':<64} {'median ms':>10} {'min-max ms':>17} {'queries':>9} {'sql ms':>7}")
        order = list(self.ROUTE_LABELS)
        for (n, route) in sorted(
            self.series, key=lambda key: (
                0 if key[1] in self.PAGE_ROUTES else 2 if key[1] in ("statement", "odoo_invoice_pdf") else 1,
                key[0], order.index(key[1]),
            ),
        ):
            serie = self.series[(n, route)]
            if not serie.samples:
                continue
            times = [s[0] for s in serie.samples]
            queries = serie.queries()
            qtext = str(queries[0]) if len(queries) == 1 else f"{queries[0]}-{queries[-1]}"
            label = self.ROUTE_LABELS[route] + (" (info)" if serie.informational else "")
            sql_times = [s[3] for s in serie.samples if s[3] is not None]
            sql_text = f"{statistics.median(sql_times):7.0f}" if sql_times else f"{'-':>7}"
            out.append(
                f"{n:>6}  {label:<64} {serie.median_ms():>10.1f} {min(times):>8.1f}-{max(times):<8.1f} {qtext:>9}"
                f" {sql_text}"
            )
        out.append("-" * 110)
        self._report_ratios(out)
        out.append("-" * 110)
        out.append("targets:")
        self.results = []
        if not self.args.statement_only:
            self._report_page_targets(out)
            self._report_payment_targets(out)
        statement = self.series.get((self.args.statement_items, "statement"))
        if statement and statement.samples:
            worst = max(sample[2] for sample in statement.samples) / 1000
            self.target(
                worst < MAX_STATEMENT_SECONDS,
                f"statement of {self.args.statement_items} items within the worker time limit "
                f"({MAX_STATEMENT_SECONDS:.0f} s, Odoo's default --limit-time-real)",
                f"slowest of {len(statement.samples)}: {worst:.1f} s as the client waited, median server time "
                f"{statement.median_ms() / 1000:.1f} s, {statement.median_queries():.0f} queries", out,
            )
        for n, diagnosis in sorted(self.diagnoses.items()):
            if n != max(self.diagnoses):
                continue
            out.append("-" * 110)
            phases = ", ".join(f"{count} in {name}" for name, count in diagnosis["per_phase"].items())
            out.append(f"diagnosis: post-processing one more payment over {n} invoices (not timed above): "
                       f"{diagnosis['queries']} queries ({phases});")
            out.append("  most repeated statements (odoo.sql_db debug log):")
            for query, count in diagnosis["patterns"]:
                out.append(f"  {count:>5}x {query[:150]}")
            out.append(f"  where the time goes (cProfile cumulative, total {diagnosis['total']:.2f}s with profiler "
                       "overhead):")
            for label, seconds in diagnosis["points"]:
                out.append(f"    {label:<48} {seconds:6.2f}s  {100 * seconds / diagnosis['total']:3.0f}%")
        for note in self.notes:
            out.append(f"note: {note}")
        out.append("=" * 110)
        print("\n".join(out), flush=True)
        return all(self.results)

    @staticmethod
    def _q(values):
        return "/".join(str(v) for v in values)

    def _query_growth(self, route, lo, hi):
        points = [(n, self.series[(n, route)].median_queries()) for n in sorted({n for n, r in self.series if r == route})
                  if lo <= n <= hi and self.series[(n, route)].samples]
        if len(points) >= 2 and points[-1][0] != points[0][0]:
            slope = (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])
            return f" -> about {slope:.2f} extra queries per invoice"
        return ""

    def _ratio(self, n, route, other):
        """``(ours ms, theirs ms, ratio)`` of the median server times of two rows, or None."""
        ours, theirs = self.series.get((n, route)), self.series.get((n, other))
        if not (ours and theirs and ours.samples and theirs.samples):
            return None
        return ours.median_ms(), theirs.median_ms(), ours.median_ms() / theirs.median_ms()

    def _report_ratios(self, out):
        for route, what in (("list", "our list page"), ("quote_all", "our quote of the whole group")):
            out.append(f"ratio {what} / Odoo's overdue page (median server time):")
            for n in self.args.sizes:
                figures = self._ratio(n, route, "overdue")
                if figures:
                    sql = statistics.median(sample[3] for sample in self.series[(n, route)].samples)
                    out.append(f"  N={n:>5}: {figures[0]:8.1f} ms / {figures[1]:8.1f} ms = {figures[2]:5.2f}x   "
                               f"(ours: {sql:.0f} ms in SQL)")
        if self.page_sizes:
            out.append("our list page HTML: " + ", ".join(
                f"N={n}: {size:,} bytes ({size / 1000:.0f} KB; gzip {self.page_gzip_sizes[n] / 1000:.0f} KB)"
                for n, size in sorted(self.page_sizes.items())))
            few = [n for n in self.page_sizes if n < ROWS_PAGE_SIZE]
            full = [n for n in self.page_sizes if n >= ROWS_PAGE_SIZE]
            if few and full:
                small, big = max(few), min(full)
                per_row = (self.page_sizes[big] - self.page_sizes[small]) / (ROWS_PAGE_SIZE - small)
                out.append(f"  {per_row:,.0f} bytes per drawn row (N={small}: {small} rows, N={big}: "
                           f"{ROWS_PAGE_SIZE} rows); the rest of the page {self.page_sizes[small] - small * per_row:,.0f}"
                           " bytes")
        for n, (term, matches) in sorted(self.search_terms.items()):
            out.append(f"search at N={n}: {term!r} (part of an invoice number), filter overdue, sort by amount: "
                       f"{matches} match(es)")
        for n, (paid, excepted) in sorted(self.quote_all_counts.items()):
            if excepted:
                out.append(
                    f"quote of the whole group at N={n}: one payment covers at most {MAX_INVOICES_PER_PAYMENT:,} "
                    f"invoices, so select_all with except = the {excepted:,} newest due invoices ({paid:,} quoted); "
                    f"without exceptions it is refused (row 'refused', info): {self.refusals.get(n, '?')!r}"
                )
        for n in self.args.payment_sizes:
            for route, what in (("post_process", "in process"), ("poll", "poll route"),
                                ("cron", "booking cron after the poll")):
                figures = self._ratio(n, route, "wizard")
                if figures:
                    out.append(f"completing a payment over {n} invoices, {what} / Odoo's Register Payment wizard: "
                               f"{figures[0]:8.1f} ms / {figures[1]:8.1f} ms = {figures[2]:5.2f}x")

    def _report_flat(self, route, out, limit=None):
        sizes = sorted(n for n in self.args.sizes if (n, route) in self.series and self.series[(n, route)].samples)
        if len(sizes) < 2:
            return
        counts = [self.series[(n, route)].queries() for n in sizes]
        values = {value for count in counts for value in count}
        met = len(values) == 1 and (limit is None or max(values) <= limit)
        self.target(
            met,
            f"{route}: same SQL query count at every N ({', '.join(str(n) for n in sizes)})"
            + (f", at most {limit}" if limit else ""),
            ", ".join(f"N={n}: {self._q(count)}" for n, count in zip(sizes, counts))
            + ("" if met else self._query_growth(route, sizes[0], sizes[-1])),
            out,
        )

    def _not_measured(self, label, out):
        out.append(f"  [--] {label}: not measured in this run")

    def _report_page_targets(self, out):
        self._report_flat("list", out, MAX_PAGE_QUERIES)
        figures = self._ratio(TARGET_N, "list", "overdue")
        label = f"list page at N={TARGET_N} at most {MAX_RATIO_TO_ODOO}x Odoo's overdue page"
        if figures:
            self.target(figures[2] <= MAX_RATIO_TO_ODOO, label,
                        f"{figures[0]:.0f} ms vs {figures[1]:.0f} ms = {figures[2]:.2f}x", out)
        else:
            self._not_measured(label, out)
        label = f"list page at N={TARGET_N} at most {MAX_LIST_BYTES // 1000} KB of HTML"
        if TARGET_N in self.page_sizes:
            size = self.page_sizes[TARGET_N]
            self.target(size <= MAX_LIST_BYTES, label, f"{size:,} bytes ({size / 1000:.0f} KB)", out)
        else:
            self._not_measured(label, out)
        figures = self._ratio(TARGET_N_BIG, "list", "overdue")
        label = f"list page at N={TARGET_N_BIG} at most {MAX_RATIO_TO_ODOO_BIG}x Odoo's overdue page"
        if figures:
            self.target(figures[2] <= MAX_RATIO_TO_ODOO_BIG, label,
                        f"{figures[0]:.0f} ms vs {figures[1]:.0f} ms = {figures[2]:.2f}x", out)
        else:
            self._not_measured(label, out)
        self._report_flat("quote_all", out, MAX_PAGE_QUERIES)
        figures = self._ratio(TARGET_N, "quote_all", "overdue")
        label = f"quote of the whole group at N={TARGET_N} under {MAX_QUOTE_RATIO_TO_ODOO}x Odoo's overdue page"
        if figures:
            self.target(figures[2] < MAX_QUOTE_RATIO_TO_ODOO, label,
                        f"{figures[0]:.0f} ms vs {figures[1]:.0f} ms = {figures[2]:.2f}x", out)
        else:
            self._not_measured(label, out)
        self._report_flat("rows_next", out, MAX_PAGE_QUERIES)
        self._report_flat("rows_search", out, MAX_PAGE_QUERIES)

    def _report_payment_targets(self, out):
        for n in self.args.payment_sizes:
            if n not in (100, 1000):
                continue
            figures = self._ratio(n, "post_process", "wizard")
            poll = self._ratio(n, "poll", "wizard")
            cron = self._ratio(n, "cron", "wizard")
            label = (f"completing a payment over {n} invoices (in process) at most {MAX_RATIO_TO_WIZARD}x Odoo's "
                     "Register Payment wizard")
            if figures:
                self.target(
                    figures[2] <= MAX_RATIO_TO_WIZARD, label,
                    f"{figures[0]:.0f} ms vs {figures[1]:.0f} ms = {figures[2]:.2f}x; "
                    f"queries {self.series[(n, 'post_process')].median_queries():.0f} vs "
                    f"{self.series[(n, 'wizard')].median_queries():.0f}"
                    + (f"; booked by the cron after the poll {cron[0]:.0f} ms = {cron[2]:.2f}x" if cron else
                       f"; through the poll route {poll[0]:.0f} ms = {poll[2]:.2f}x" if poll else ""),
                    out,
                )
            else:
                self._not_measured(label, out)
        poll, inproc = self.series.get((100, "poll")), self.series.get((100, "post_process"))
        if poll and inproc and poll.samples and inproc.samples:
            worst = max(poll.median_ms(), inproc.median_ms()) / 1000
            self.target(
                worst < MAX_PAYMENT_SECONDS,
                f"(earlier target) completing a payment over 100 invoices under {MAX_PAYMENT_SECONDS:.0f} s",
                f"poll route {poll.median_ms() / 1000:.2f} s, in process {inproc.median_ms() / 1000:.2f} s", out,
            )

    def target(self, met, label, figures, out):
        self.results.append(met)
        out.append(f"  [{'MET' if met else 'MISSED'}] {label}: {figures}")

    # -- main -----------------------------------------------------------------

    def run(self):
        self.load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        ok = False
        addon_tmp, self.code = snapshot_addon(self.args.addon_ref)
        say(f"measuring {self.code}")
        try:
            self.setup()
            say(f"starting Odoo on {self.server.base_url} (log: {self.server_log})")
            self.server.start()
            self.tail = LogTail(self.server_log)
            if not self.args.statement_only:
                self.measure_pages()
                self.measure_payments()
            if self.args.statement_items:
                self.measure_statement()
            self.load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
            leaked = tokens_in_file(self.server_log, collect_tokens(self.data))
            self.notes.append(
                f"pay link tokens written in the server log: {leaked} (the request lines show /invoice-pay/***)"
            )
            problems = [line for line in self.tail.other_lines if " ERROR " in line or " CRITICAL " in line]
            if problems:
                self.notes.append(f"{len(problems)} ERROR line(s) in the server log, first: {problems[0][:200]}")
            ok = self.report()
        finally:
            clean_up(self.server, self.db, self.install_log, addon_tmp)
        return ok


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", 8076)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 7)),
                        help="measured requests per row (at least 5)")
    parser.add_argument("--payment-repeat", type=int, default=int(os.environ.get("BENCH_PAYMENT_REPEAT", 5)),
                        help="measured payments per size and method (at least 5)")
    parser.add_argument("--sizes", nargs="+", default=[os.environ.get("BENCH_SIZES", "10,100,1000,10000")],
                        help="open invoices of the page customers, e.g. '10,100' or '10 100' [10,100,1000,10000]")
    parser.add_argument("--payment-sizes", nargs="+", default=[os.environ.get("BENCH_PAYMENT_SIZES", "100,1000")],
                        help="invoices per payment [100,1000]")
    parser.add_argument("--statement-items", type=int, default=int(os.environ.get("BENCH_STATEMENT_ITEMS", 10000)),
                        help="open invoices of the statement customer (0: no statement measured)")
    parser.add_argument("--statement-repeat", type=int, default=int(os.environ.get("BENCH_STATEMENT_REPEAT", 3)),
                        help="measured statement PDFs per size")
    parser.add_argument("--statement-only", action="store_true",
                        help="measure only the statement (and Odoo's invoice PDF), not the pages and payments")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB"), help="database name (must not exist)")
    parser.add_argument("--addon-ref", default=os.environ.get("IPP_ADDON_REF"),
                        help="measure the addon at this git ref instead of the working tree (e.g. HEAD)")
    parser.add_argument("--log-dir", default=os.environ.get("BENCH_LOG_DIR", os.path.join(REPO_ROOT, ".test-logs")))
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(x) for x in re.split(r"[,\s]+", " ".join(args.sizes)) if x})
        args.payment_sizes = sorted({int(x) for x in re.split(r"[,\s]+", " ".join(args.payment_sizes)) if x})
    except ValueError:
        parser.error("--sizes and --payment-sizes take whole numbers, e.g. 10,100,1000,10000")
    for n in [*args.sizes, *args.payment_sizes, args.statement_items]:
        if n < 0 or (n > STATEMENT_BATCH and n % STATEMENT_BATCH):
            parser.error(f"{n} invoices: beyond {STATEMENT_BATCH}, sizes must be multiples of {STATEMENT_BATCH} "
                         f"(the invoices beyond the first {STATEMENT_BATCH} are SQL copies of them)")
    if any(n < 1 for n in [*args.sizes, *args.payment_sizes]):
        parser.error("--sizes and --payment-sizes must be at least 1")
    if args.statement_only:
        # The statement also measures the N=100 customer; Odoo's invoice PDF needs a portal user.
        args.sizes = [n for n in args.sizes if n <= 100] or args.sizes[:1]
        args.payment_sizes = []
    if args.repeat < 5 or args.payment_repeat < 5:
        parser.error("--repeat and --payment-repeat must be at least 5")
    if args.db and not re.fullmatch(r"ipp_\w*bench\w*", args.db):
        parser.error("--db must be named ipp_*bench* (ipp_bench_*, ipp_stmt_bench, ...)")
    return args


def prepare_database(db, install_log, base_url):
    """Create ``db`` with the addon and the demo provider enabled; return (provider id, method id)."""
    say(f"creating database {db} with {MODULES} (no demo data)...")
    seconds = install_database(db, install_log)
    say(f"  installed in {seconds:.0f}s (log: {install_log})")
    with odoo_env(db) as env:
        provider, method = enable_demo_provider(env, base_url)
        env.cr.commit()
        return provider.id, method.id


def clean_up(server, db, install_log, addon_tmp):
    """Stop the server, drop the database (unless KEEP_DB=1) and the addon copy."""
    server.stop()
    if os.environ.get("KEEP_DB") == "1":
        say(f"KEEP_DB=1: database {db} kept")
    elif drop_database(db, install_log):
        say(f"database {db} dropped")
    else:
        say(f"WARNING: could not drop database {db}")
    shutil.rmtree(addon_tmp, ignore_errors=True)


def run_command(runner_class, args):
    """Exit status of a measurement command: 0 all good, 1 a target or check missed, 2 it could not run."""
    try:
        ok = runner_class(args).run()
    except BenchError as error:
        say(f"ERROR: {error}")
        return 2
    return 0 if ok else 1


def main(argv=None):
    return run_command(Benchmark, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
