#!/usr/bin/env bash
# PDF flood through one pay link:  ./scripts/pdf_flood.sh [options]
#
# Creates its own fresh database ipp_flood_<timestamp>, two customers with open
# invoices (none sent: no stored invoice PDF) and payments of the first one made
# through its page (receipts not stored yet), starts a real Odoo on
# 127.0.0.1:8079 with --workers=2 and no cron, then fires parallel PDF requests
# (invoice PDFs and receipts, 8 by default: more than the workers) through the
# first customer's link while the second customer's page is loaded every half
# second. Refused requests (503) come back after their Retry-After.
# Prints a table per request and checks: the other page always within 2 s,
# every PDF request answered with a PDF or a 503, every PDF delivered in the
# end, receipts stored once made; stops the server and drops the database.
#
# Exit status: 0 every check passed, 1 a check failed, 2 the run failed.
#
# Options (or environment variables):
#   --requests K          FLOOD_REQUESTS          parallel PDF requests             [8]
#   --receipts K          FLOOD_RECEIPTS          of which receipts                 [2]
#   --invoices K          FLOOD_INVOICES          open invoices of the customer     [12]
#   --retries K           FLOOD_RETRIES           comebacks after a 503             [8]
#   --workers K           FLOOD_WORKERS           Odoo HTTP workers                 [2]
#   --port P              FLOOD_PORT              HTTP port on 127.0.0.1            [8079]
#   --gevent-port P       FLOOD_GEVENT_PORT       Odoo's gevent (websocket) port    [8080]
#   --request-timeout S   FLOOD_REQUEST_TIMEOUT   seconds a visitor waits           [150]
#   --db-prefix NAME      FLOOD_DB_PREFIX         database name prefix              [ipp_flood]
#   --addon-ref REF       IPP_ADDON_REF           test a git ref (e.g. HEAD~1) instead of the
#                                                 working tree (copied at start either way)
#   --log-dir DIR         FLOOD_LOG_DIR           install and server logs           [.test-logs]
#   KEEP_DB=1             keep the database (its name is printed)
#   ODOO_PATH, ODOO_PYTHON                        where Odoo 19 is (scripts/common.sh)

set -uo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
run_measurement pdf_flood.py 32 "$@"
