"""Small helpers without Odoo: QR code images of links."""

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
