#!/usr/bin/env bash
# Regenerate invoice_public_pay/i18n/invoice_public_pay.pot from a throwaway database
# with the addon installed, then merge the translations (es.po, fr.po, any other
# <lang>.po) with it: new strings come in untranslated, strings gone from the code are
# kept as obsolete (#~) entries, changed strings are marked fuzzy with their old
# translation. The Odoo suite checks that the .pot is current and that every string is
# translated, with the same placeholders (tests/test_i18n.py), so run this after
# changing any user-facing string, then translate what it reports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/common.sh
source scripts/common.sh

odoo_available || ipp_die "Odoo 19 is needed to export translations ($IPP_ODOO_UNAVAILABLE_REASON)"
command -v msgmerge >/dev/null 2>&1 || ipp_apt_install gettext || ipp_die "msgmerge (Debian's gettext) is needed"
# polib, the version OCA's po checks use (requirements-dev.txt), lays the .po files out.
ensure_dev_venv || ipp_die "could not set up the dev venv $IPP_DEV_VENV"
ensure_postgres
db="ipp_pot_$(date +%s)_$$"
config="$(mktemp)"
trap 'rm -f "$config"; "$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" db drop "$db" >/dev/null 2>&1 || dropdb --if-exists "$db"' EXIT
printf '[options]\naddons_path = %s\n' "$ODOO_PATH/addons,$ODOO_PATH/odoo/addons,$PWD" >"$config"
"$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" -c "$config" -d "$db" -i invoice_public_pay --stop-after-init \
    --log-level=warn --http-port=0 >/dev/null
"$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" i18n export -c "$config" -d "$db" invoice_public_pay
ipp_say "wrote invoice_public_pay/i18n/invoice_public_pay.pot"

i18n=invoice_public_pay/i18n
for po in "$i18n"/*.po; do
    [[ -e "$po" ]] || continue
    # The references (#:) and comments come from the .pot; --previous shows what a fuzzy entry was.
    msgmerge --quiet --update --backup=none --previous "$po" "$i18n/invoice_public_pay.pot"
    # OCA's layout (its po-pretty-format check): entries sorted, wrapped at 78 columns, and
    # a translation equal to its source left empty; tests/test_i18n.py accepts an empty one
    # only with the translator comment "Same as the source." on the entry.
    "$IPP_DEV_VENV/bin/python" - "$po" <<'PY'
import sys

import polib

path = sys.argv[1]
catalog = polib.pofile(path)
catalog.sort(key=lambda entry: entry.msgid)
for entry in catalog:
    if entry.msgstr == entry.msgid:
        entry.msgstr = ""
        entry.tcomment = "Same as the source."
with open(path, "w", encoding="utf-8") as po_file:
    po_file.write(str(catalog))
current = [entry for entry in catalog if not entry.obsolete]
fuzzy = sum("fuzzy" in entry.flags for entry in current)
untranslated = sum(not entry.msgstr and "Same as the source." not in entry.tcomment for entry in current)
print(f"merged {path}: {untranslated} untranslated, {fuzzy} fuzzy (to translate, or check)")
PY
done
