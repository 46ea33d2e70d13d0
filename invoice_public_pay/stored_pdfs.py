"""PDFs the public pages printed, kept as attachments until what they show changes.

A stored PDF belongs to one record (a transaction's receipt, a link's copy of an
invoice) and carries a description ``<family><fingerprint>``: the family names
what it is, the fingerprint is a checksum of what it shows. A PDF whose
fingerprint no longer matches is printed again and replaces the older copies of
its family.
"""


def _family_attachments(record, family):
    return record.env["ir.attachment"].sudo().search([
        ("res_model", "=", record._name), ("res_id", "=", record.id), ("description", "=like", f"{family}%"),
    ])


def find_stored_pdf(record, family, fingerprint):
    """The PDF of ``family`` stored on ``record`` for ``fingerprint`` (sudo), if any."""
    description = family + fingerprint
    return _family_attachments(record, family).filtered(lambda attachment: attachment.description == description)[:1]


def store_pdf(record, family, fingerprint, name, content):
    """Keep ``content`` on ``record`` as the only PDF of ``family``; return ``content``.

    Only a real PDF is stored (in test mode Odoo renders reports as HTML).
    """
    if content.startswith(b"%PDF"):
        _family_attachments(record, family).unlink()
        record.env["ir.attachment"].sudo().create({
            "name": name,
            "res_model": record._name,
            "res_id": record.id,
            "mimetype": "application/pdf",
            "raw": content,
            "description": family + fingerprint,
        })
    return content
