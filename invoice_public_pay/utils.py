"""Small helpers without Odoo: QR code images of links, the reason of a bounced email, short lines."""

import base64
import io

import qrcode
from qrcode.image.pure import PyPNGImage


def make_qr_png(text, box_size=6, border=2):
    """Return the PNG bytes of a QR code holding ``text`` (medium error correction)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=border,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


def make_qr_data_uri(text, **options):
    """Return a ``data:image/png;base64`` URI of the QR code of ``text``, for emails and PDFs."""
    return "data:image/png;base64," + base64.b64encode(make_qr_png(text, **options)).decode()


def bounce_diagnostic(email_message):
    """The reason a bounce (an RFC 3464 delivery status notification) gives, on one line.

    The first recipient's ``Diagnostic-Code`` without its type (``smtp;``), else its
    ``Status``; empty when ``email_message`` has no delivery status part.
    """
    for part in email_message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        # The first block describes the report, each next one a recipient.
        for recipient_fields in part.get_payload()[1:]:
            diagnostic = " ".join(str(recipient_fields.get("Diagnostic-Code") or "").split())
            if diagnostic:
                return diagnostic.split(";", 1)[-1].strip()
            if recipient_fields.get("Status"):
                return str(recipient_fields["Status"]).strip()
    return ""


def shorten_line(text, max_length):
    """``text`` on one line (runs of whitespace made one space), cut to ``max_length`` characters.

    A cut text ends with an ellipsis, within ``max_length``.
    """
    line = " ".join((text or "").split())
    if len(line) <= max_length:
        return line
    return line[:max_length - 1].rstrip() + "…"
