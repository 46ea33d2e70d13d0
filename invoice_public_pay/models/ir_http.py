from odoo import SUPERUSER_ID, models
from odoo.http import request

from .invoice_pay_link import INVOICE_PAY_ROUTE


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _match(cls, path):
        """Override of http_routing: the pay page speaks the customer's language first.

        Odoo picks a page's language from the URL (``/es/...``), then the visitor's
        ``frontend_lang`` cookie (set by the language switcher and by every page
        shown), then the browser's, then the website default. A visitor who has
        chosen nothing yet on this site gets the language of the customer whose link
        it is when it is installed, else the website default, through Odoo's own
        redirect to the language's URL (``/es/invoice-pay/<token>``).
        """
        # Rerouted requests (/es/... rewritten) and URLs built while rendering are matched again.
        if not hasattr(request, "is_frontend") and not request.cookies.get("frontend_lang"):
            lang_code = cls._invoice_pay_page_lang(path)
            if lang_code:
                request.update_context(lang=lang_code)
        return super()._match(path)

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        """Override of http_routing: the pay page's JavaScript strings are translated too."""
        return [*super()._get_translation_frontend_modules_name(), "invoice_public_pay"]

    @classmethod
    def _invoice_pay_page_lang(cls, path):
        """The language of the pay page at ``path`` for a new visitor: the customer's, else the default one."""
        prefix = f"{INVOICE_PAY_ROUTE}/"
        if not path.startswith(prefix):
            return None
        token = path.removeprefix(prefix).partition("/")[0]
        # No user on the request yet: read the link and the languages as the superuser.
        env = request.env(user=SUPERUSER_ID)
        link = env["invoice.pay.link"]._find_by_token(token)
        if not link:
            return None
        frontend_langs = env["res.lang"]._get_frontend()
        customer_lang = link.partner_id.lang
        if customer_lang in frontend_langs:
            return customer_lang
        default_lang = env["ir.default"]._get("res.partner", "lang")
        return default_lang if default_lang in frontend_langs else next(iter(frontend_langs), None)
