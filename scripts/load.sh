#!/usr/bin/env bash
# Load test of invoice_public_pay:  ./scripts/load.sh [options]
#
# Creates its own fresh database ipp_load_<timestamp>, starts a real Odoo on
# 127.0.0.1:8077 with --workers=2 (multi-process, one cron thread), then for a
# bounded time (60 s) 24 simulated customers pay concurrently with the demo
# provider (list, quote, payment form, transaction, demo payment "done", poll);
# 15 of them are 3 groups of 5 sessions sharing one pay link that race on the
# same oldest invoices. Then it checks the books in the database (no HTTP 5xx,
# no over-reconciled invoice, done transactions == applied + fees + unapplied,
# one payment per done transaction), prints the sums, the requests per route,
# the errors and the request rate, stops the server and drops the database.
#
# Exit status: 0 every check passed, 1 a check failed, 2 the run failed.
#
# Options (or environment variables):
#   --duration S          LOAD_DURATION           seconds of load                  [60]
#   --shared-links K      LOAD_SHARED_LINKS       links shared by several sessions [3]
#   --sessions-per-link K LOAD_SESSIONS_PER_LINK  sessions racing on each          [5]
#   --solo K              LOAD_SOLO               customers with their own link    [9]
#   --invoices-shared K   LOAD_INVOICES_SHARED    open invoices per shared link    [60]
#   --invoices-solo K     LOAD_INVOICES_SOLO      open invoices per solo customer  [30]
#   --workers K           LOAD_WORKERS            Odoo HTTP workers                [2]
#   --port P              LOAD_PORT               HTTP port on 127.0.0.1           [8077]
#   --gevent-port P       LOAD_GEVENT_PORT        Odoo's gevent (websocket) port   [8078]
#   --request-timeout S   LOAD_REQUEST_TIMEOUT    seconds a customer waits per request [60]
#   --report-url URL      LOAD_REPORT_URL         diagnostic only: Odoo's report.url (where
#                                                 wkhtmltopdf fetches assets), e.g. a closed
#                                                 local port to make receipt PDFs fail fast
#   --seed K              LOAD_SEED               random choices of the customers  [1]
#   --addon-ref REF       IPP_ADDON_REF           test a git ref (e.g. HEAD) instead of the
#                                                 working tree (copied at start either way)
#   --log-dir DIR         LOAD_LOG_DIR            install and server logs          [.test-logs]
#   KEEP_DB=1             keep the database (its name is printed)
#   ODOO_PATH, ODOO_PYTHON                        where Odoo 19 is (scripts/common.sh)

set -uo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
run_measurement load.py 36 "$@"
