#!/usr/bin/env bash
# Opt-in: the pay page's Stripe scenarios against Stripe's own TEST MODE.
#
#   STRIPE_TEST_SECRET_KEY=sk_test_... ./scripts/stripe-test-mode.sh
#
# The default test command proves our requests and the books against a fake Stripe on
# 127.0.0.1 (tests/fake_stripe.py); only this run proves that Stripe accepts those
# requests (ConfirmationToken read, PaymentIntent created and confirmed server-side with
# it, 3-D Secure asked, a used token refused). It needs network access to api.stripe.com
# and a Stripe account in test mode; nothing is charged. It creates a fresh database,
# runs the Odoo tests tagged invoice_pay_stripe_test_mode (tests/test_stripe_test_mode.py,
# never selected by the default run) and drops the database (KEEP_DB=1 keeps it).
#
# Exit status: 0 all passed, 1 a test failed, 2 the run could not start.
set -uo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ "${STRIPE_TEST_SECRET_KEY:-}" == sk_test_* ]] ||
    { ipp_warn "set STRIPE_TEST_SECRET_KEY to a Stripe test mode secret key (sk_test_...)"; exit 2; }
odoo_available || ensure_odoo || { ipp_warn "Odoo 19 is needed ($IPP_ODOO_UNAVAILABLE_REASON)"; exit 2; }
ensure_postgres || exit 2
ensure_odoo_python_packages || exit 2

db="ipp_stripe_test_mode_$(date +%s)"
port="$(ipp_free_port 8180 8199)" || { ipp_warn "no free port in 8180-8199"; exit 2; }
log_dir="${IPP_TEST_LOG_DIR:-$IPP_REPO_ROOT/.test-logs}"
mkdir -p "$log_dir"
log="$log_dir/stripe-test-mode.log"
[[ -n "${KEEP_DB:-}" ]] || trap 'ipp_drop_db "$db"' EXIT

ipp_say "Stripe test mode run on database $db (log: $log)"
ipp_odoo -d "$db" --addons-path="$(ipp_addons_path)" -i invoice_public_pay,payment_demo --without-demo=all \
    --test-tags invoice_pay_stripe_test_mode --stop-after-init --http-port="$port" --log-level=test \
    >"$log" 2>&1
status=$?
grep -E "tests? (passed|failed)|ERROR|FAIL" "$log" | tail -20
if ((status != 0)) || grep -qE "^.* (ERROR|CRITICAL) " "$log"; then
    ipp_warn "Stripe test mode run FAILED"
    exit 1
fi
ipp_say "Stripe test mode run passed"
