#!/usr/bin/env bash
# Performance benchmark of invoice_public_pay:  ./scripts/benchmark.sh [options]
#
# Not a timed test: it measures and compares with the performance targets.
# Creates its own fresh database ipp_bench_<timestamp> (invoice_public_pay +
# payment_demo, no demo data), customers with 10 / 100 / 1,000 / 10,000 open
# overdue invoices (beyond 100, SQL copies of 100 made through the ORM), starts a
# real Odoo on 127.0.0.1:8076 (--workers=0) and prints, per N, the median server
# time, SQL query count and size of our invoice list page (50 rows per group), of
# the next page of rows and a search (/rows), of the quote of the whole group
# (select_all; at N = 10,000 all but the 5,001 newest due, one payment covering at
# most 5,000), beside Odoo's own /my/invoices/overdue page (as the customer's portal
# user); completing a payment over 100 and 1,000 invoices beside Odoo's Register
# Payment wizard paying as many invoices (one grouped payment, in process); the
# customer statement PDF of 10,000 items against Odoo's portal PDF of one invoice;
# then the targets, each marked MET or MISSED. The database is dropped at the end.
# Takes about 35 minutes on 2 cores.
#
# Exit status: 0 all targets met, 1 a target missed, 2 the run failed.
#
# Options (or environment variables):
#   --repeat K          BENCH_REPEAT          measured requests per page row   [7, min 5]
#   --payment-repeat K  BENCH_PAYMENT_REPEAT  measured payments per size       [5, min 5]
#   --sizes LIST        BENCH_SIZES           invoice counts of the pages      [10,100,1000,10000]
#   --payment-sizes L   BENCH_PAYMENT_SIZES   invoices per payment             [100,1000]
#                       (lists: "10,100" or "10 100"; beyond 100, multiples of 100)
#   --statement-items N BENCH_STATEMENT_ITEMS open invoices of the statement   [10000, 0: none]
#   --statement-repeat K BENCH_STATEMENT_REPEAT measured statement PDFs        [3]
#   --statement-only                          only the statement and Odoo's invoice PDF
#   --port P            BENCH_PORT            HTTP port on 127.0.0.1           [8076]
#   --addon-ref REF     IPP_ADDON_REF         measure a git ref (e.g. HEAD) instead of the
#                                             working tree; either way the addon is copied
#                                             at start, so concurrent edits do not leak in
#   --log-dir DIR       BENCH_LOG_DIR         install and server logs         [.test-logs]
#   KEEP_DB=1           keep the database (its name is printed)
#   ODOO_PATH, ODOO_PYTHON                    where Odoo 19 is (scripts/common.sh)

set -uo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
run_measurement benchmark.py 36 "$@"
