"""19.0.1.4.0: the payment confirmation email names what was paid, not a reference.

Its subject read "payment received (INV/2026/00010+1)"; it now reads "payment
received for 3 invoices" (or the invoice's number). The template is loaded with
noupdate (companies may reword it): a template nobody edited since it was installed
gets the new subject, in English here; the update of the module's translations that
follows this script fills in the other languages from the addon's translation files.
An edited template is left as it is.
"""

from psycopg2.extras import Json

from odoo import SUPERUSER_ID, api

OLD_SUBJECT = "{{ object.company_id.name }}: payment received ({{ object.reference }})"
NEW_SUBJECT = "{{ object.company_id.name }}: payment received for {{ object._invoice_pay_label() }}"


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    template = env.ref("invoice_public_pay.mail_template_invoice_pay_confirmation", raise_if_not_found=False)
    if not template or template.write_date > template.create_date:
        return
    cr.execute("SELECT subject FROM mail_template WHERE id = %s", [template.id])
    subjects = cr.fetchone()[0] or {}
    if subjects.get("en_US") != OLD_SUBJECT:
        return
    cr.execute("UPDATE mail_template SET subject = %s WHERE id = %s", [Json({"en_US": NEW_SUBJECT}), template.id])
    template.invalidate_recordset(["subject"])
