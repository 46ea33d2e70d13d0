#!/usr/bin/env bash
# THE demo command of invoice_public_pay:  ./scripts/demo.sh [--reset | --keep] [--no-serve]
#
# Builds the demo database (invoice_public_pay + payment_demo + payment_custom, with demo data),
# prints the admin login and the demo customer's pay link, then serves Odoo in
# the foreground on http://127.0.0.1:8069 (Ctrl-C stops it).
#
#   --reset     (default) drop the demo database if it exists and build it anew:
#               ~3 minutes, always the state the current code and demo data give
#   --keep      reuse the demo database if it exists (update invoice_public_pay in
#               it to the current code) instead of rebuilding it
#   --no-serve  stop after printing the login and the pay link (scripts, CI)
#
# Odoo 19 is installed into ODOO_PATH first when it holds none (scripts/setup-odoo.sh):
# from ODOO_SOURCE (an Odoo source tree, or GIT_DIR@COMMIT) when set, else from a shallow
# clone of the official repository (scripts/odoo-source.txt); without network it stops
# with the commands to run.
#
# Environment: ODOO_PATH, ODOO_PYTHON, ODOO_SOURCE (see scripts/common.sh),
#   IPP_DEMO_DB          database name            [invoice_public_pay_demo]
#   IPP_DEMO_HTTP_PORT   HTTP port                [8069]
#   IPP_DEMO_LOG_LEVEL   log level of the server  [warn]

set -euo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$IPP_REPO_ROOT"

DB="${IPP_DEMO_DB:-invoice_public_pay_demo}"
PORT="${IPP_DEMO_HTTP_PORT:-8069}"
BASE_URL="http://127.0.0.1:$PORT"
mode=reset serve=1
while (($#)); do
    case "$1" in
    --reset) mode=reset ;;
    --keep) mode=keep ;;
    --no-serve) serve=0 ;;
    -h | --help)
        sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) ipp_die "unknown argument $1 (see --help)" ;;
    esac
    shift
done

# Odoo first: without it nothing else is worth doing. Installed here when missing
# (from ODOO_SOURCE, else a shallow clone of the pinned official source).
if ! ensure_odoo; then
    mapfile -t help_lines <<<"$(ipp_odoo_install_help ./scripts/demo.sh)"
    ipp_banner "THE DEMO CANNOT RUN: no working Odoo 19 at ODOO_PATH=$ODOO_PATH" \
        "($IPP_ODOO_UNAVAILABLE_REASON)" "" "${help_lines[@]}"
    exit 1
fi

ensure_debian_packages || ipp_die "missing Debian packages: ${IPP_DEBIAN_PACKAGES[*]}"
ensure_dev_venv || ipp_die "could not set up the dev venv .venv"
ensure_odoo_python_packages || ipp_die "could not install requirements-odoo.txt into $ODOO_PYTHON"
ensure_postgres || ipp_die "PostgreSQL is not available"

if ((serve)) && ! ipp_free_port "$PORT" "$PORT" >/dev/null; then
    ipp_die "port $PORT is taken (another Odoo?): stop it or set IPP_DEMO_HTTP_PORT"
fi

LOG_DIR="$IPP_REPO_ROOT/.test-logs"
mkdir -p "$LOG_DIR"
install_log="$LOG_DIR/demo-install-$(date +%Y%m%d-%H%M%S).log"
addons_path="$(ipp_addons_path)"

if ipp_db_exists "$DB" && [[ "$mode" == reset ]]; then
    ipp_say "dropping the existing demo database $DB (--keep to reuse it)"
    ipp_drop_db "$DB" || ipp_die "could not drop $DB (is an Odoo still connected to it?)"
fi

install_args=(-d "$DB" --addons-path="$addons_path" --stop-after-init --no-http --log-level=info)
if ipp_db_exists "$DB"; then
    ipp_say "updating $IPP_ADDON in the existing demo database $DB"
    install_args+=(-i "$IPP_ADDON,payment_demo,payment_custom" -u "$IPP_ADDON")
else
    ipp_say "creating the demo database $DB with demo data (about 3 minutes)"
    install_args+=(-i "$IPP_ADDON,payment_demo,payment_custom" --with-demo)
fi
ipp_say "full log: $install_log"
set +e
ipp_odoo "${install_args[@]}" 2>&1 | tee "$install_log" |
    grep --line-buffered -E ' (WARNING|ERROR|CRITICAL) |Loading module |Modules loaded'
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)); then
    tail -n 60 "$install_log"
    ipp_die "installing $IPP_ADDON into $DB failed (exit status $rc); full log: $install_log"
fi
if grep -qE ' (ERROR|CRITICAL) ' "$install_log"; then
    ipp_warn "the install logged ERROR lines (shown above); full log: $install_log"
fi

# The pay link: asked from the addon itself in an Odoo shell, then committed (the
# link is created on first request). web.base.url is set to where the demo serves.
ipp_say "getting the demo customer's pay link"
snippet="$(
    cat <<PY
xmlid = "$IPP_ADDON.demo_partner_customer_company"
try:
    env["ir.config_parameter"].sudo().set_param("web.base.url", "$BASE_URL")
    # The demo provider, enabled, with two methods: Demo (no fee) and Card (the
    # demo data's card convenience fee).
    provider = env["payment.provider"].search(
        [("code", "=", "demo"), ("company_id", "=", env.company.id)], limit=1)
    card = env.ref("payment.payment_method_card")
    provider.write({"state": "test", "is_published": True,
                    "payment_method_ids": [(4, card.id)]})
    card.active = True
    # Odoo's wire transfer (payment_custom, not a dependency of the addon), next to the
    # card: its instructions list the company's bank accounts (the demo data's one).
    transfer = env["payment.provider"].search(
        [("code", "=", "custom"), ("custom_mode", "=", "wire_transfer"),
         ("company_id", "=", env.company.id)], limit=1)
    if transfer:
        transfer.write({"state": "enabled", "is_published": True})
        transfer._transfer_ensure_pending_msg_is_set()
        transfer.payment_method_ids.active = True
    else:
        print("IPP_DEMO_WARNING=no wire transfer provider (payment_custom) in the demo company")
    partner = env.ref(xmlid, raise_if_not_found=False)
    if not partner:
        print("IPP_DEMO_WARNING=no record %s in the demo data" % xmlid)
    else:
        url = partner._invoice_pay_ensure_url()
        print("IPP_DEMO_PARTNER=%s" % partner.display_name)
        print("IPP_DEMO_PAY_URL=%s" % url)
    # Spanish and French, with their translations, and a customer speaking each:
    # their pay pages open in their language.
    for code, suffix in (("es_ES", "es"), ("fr_FR", "fr")):
        env["res.lang"]._activate_and_install_lang(code)
        customer = env.ref("$IPP_ADDON.demo_partner_customer_" + suffix, raise_if_not_found=False)
        if customer:
            customer.lang = code
            print("IPP_DEMO_LANG_URL=%s (%s)" % (customer._invoice_pay_ensure_url(), customer.display_name))
    env.cr.commit()
except Exception as exc:  # a demo must still start: report and go on
    env.cr.rollback()
    print("IPP_DEMO_WARNING=could not get the pay link: %s: %s" % (type(exc).__name__, exc))
PY
)"
shell_log="$LOG_DIR/demo-shell.log"
set +e
shell_out="$(ipp_odoo shell -d "$DB" --addons-path="$addons_path" --no-http --log-level=warn \
    <<<"$snippet" 2>"$shell_log")"
shell_rc=$?
set -e
pay_url="$(sed -n 's/^IPP_DEMO_PAY_URL=//p' <<<"$shell_out")"
partner="$(sed -n 's/^IPP_DEMO_PARTNER=//p' <<<"$shell_out")"
warning="$(sed -n 's/^IPP_DEMO_WARNING=//p' <<<"$shell_out")"
lang_urls="$(sed -n 's/^IPP_DEMO_LANG_URL=//p' <<<"$shell_out")"
if ((shell_rc != 0)) && [[ -z "$warning" ]]; then
    warning="the Odoo shell exited with status $shell_rc (see $shell_log)"
fi

echo
echo "=============================================================================="
echo " invoice_public_pay demo (database $DB)"
echo "   Odoo:      $BASE_URL/web/login"
echo "   Login:     admin / admin"
if [[ -n "$pay_url" ]]; then
    echo "   Pay link of the demo customer ${partner:+($partner)}:"
    echo "              $pay_url"
else
    echo "   Pay link:  NOT AVAILABLE: ${warning:-no link returned}"
fi
if [[ -n "$lang_urls" ]]; then
    echo "   In Spanish and French (customers speaking them):"
    while IFS= read -r line; do echo "              $line"; done <<<"$lang_urls"
fi
if ((serve)); then
    echo "   Serving on $BASE_URL (log level ${IPP_DEMO_LOG_LEVEL:-warn}); Ctrl-C to stop."
fi
echo "=============================================================================="
echo
[[ -z "$warning" ]] || ipp_warn "$warning"

if ((!serve)); then
    ipp_say "--no-serve: not starting the server"
    exit 0
fi
exec "$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" -d "$DB" --db-filter="^${DB}\$" \
    --addons-path="$addons_path" --http-interface=127.0.0.1 --http-port="$PORT" \
    --log-level="${IPP_DEMO_LOG_LEVEL:-warn}"
