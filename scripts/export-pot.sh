#!/usr/bin/env bash
# Regenerate invoice_public_pay/i18n/invoice_public_pay.pot from a throwaway database
# with the addon installed. The Odoo suite checks that the committed file is current
# (tests/test_i18n.py), so run this after changing any user-facing string.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/common.sh
source scripts/common.sh

odoo_available || ipp_die "Odoo 19 is needed to export translations ($IPP_ODOO_UNAVAILABLE_REASON)"
ensure_postgres
db="ipp_pot_$(date +%s)_$$"
config="$(mktemp)"
trap 'rm -f "$config"; "$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" db drop "$db" >/dev/null 2>&1 || dropdb --if-exists "$db"' EXIT
printf '[options]\naddons_path = %s\n' "$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$PWD" >"$config"
"$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" -c "$config" -d "$db" -i invoice_public_pay --stop-after-init \
    --log-level=warn --http-port=0 >/dev/null
"$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" i18n export -c "$config" -d "$db" invoice_public_pay
ipp_say "wrote invoice_public_pay/i18n/invoice_public_pay.pot"
