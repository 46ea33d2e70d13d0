import werkzeug.exceptions

from odoo import SUPERUSER_ID, models
from odoo.http import request

from .invoice_pay_link import INVOICE_PAY_ROUTE

#: Cookie (one per link: the prefix and the link's id) keeping the language chosen with the switcher.
CHOICE_COOKIE_PREFIX = "invoice_pay_lang_"
CHOICE_MAX_AGE = 365 * 24 * 3600


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _match(cls, path):
        """Override of http_routing: the pay page speaks the customer's language first.

        Odoo picks a page's language from the URL (``/es/...``), then the visitor's
        ``frontend_lang`` cookie, then the website default. That cookie is left by every
        page the visitor saw on the site (another customer's link, the shop): it says
        nothing of a choice made for this link. A pay page without a language in its URL
        gets the language chosen for this link with the switcher (a URL in another
        language than the customer's, kept in a cookie of the link), else the customer's
        when it is installed, else the website default, through Odoo's own redirects to
        the language's URL (``/es/invoice-pay/<token>``).
        """
        # Rerouted requests (/es/... rewritten) and URLs built while rendering are matched again.
        if not hasattr(request, "is_frontend"):
            cls._invoice_pay_page_lang(path)
        return super()._match(path)

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        """Override of http_routing: the pay page's JavaScript strings are translated too."""
        return [*super()._get_translation_frontend_modules_name(), "invoice_public_pay"]

    @classmethod
    def _invoice_pay_page_lang(cls, path):
        """Apply the pay page's language rules to the request of ``path`` (see :meth:`_match`)."""
        first, _slash, rest = path[1:].partition("/")
        on_link = path.startswith(f"{INVOICE_PAY_ROUTE}/")
        prefixed = not on_link and f"/{rest}".startswith(f"{INVOICE_PAY_ROUTE}/")
        if not (on_link or prefixed):
            return
        link_path = f"/{rest}" if prefixed else path
        token = link_path.removeprefix(f"{INVOICE_PAY_ROUTE}/").partition("/")[0]
        # No user on the request yet: read the link and the languages as the superuser.
        env = request.env(user=SUPERUSER_ID)
        link = env["invoice.pay.link"]._find_by_token(token)
        if not link:
            return
        frontend_langs = env["res.lang"]._get_frontend()
        default_lang = cls._invoice_pay_default_lang(env)
        customer_lang = link.partner_id.lang if link.partner_id.lang in frontend_langs else default_lang
        choice_cookie = f"{CHOICE_COOKIE_PREFIX}{link.id}"
        reading = request.httprequest.method in ("GET", "HEAD")
        if prefixed:
            # A URL in a language: the switcher's choice, kept for this link when it is not the customer's.
            url_lang = env["res.lang"]._get_data(url_code=first).code or first
            if url_lang not in frontend_langs or not reading:
                return
            if url_lang == default_lang:
                # Odoo redirects to the plain URL itself, but drops the cookies set while matching.
                response = request.redirect_query(f"/{rest}", request.httprequest.args)
                response.set_cookie("frontend_lang", url_lang)
                cls._invoice_pay_keep_choice(response, choice_cookie, url_lang, customer_lang)
                werkzeug.exceptions.abort(response)
            cls._invoice_pay_keep_choice(request.future_response, choice_cookie, url_lang, customer_lang)
            return
        wanted = request.cookies.get(choice_cookie)
        if wanted not in frontend_langs:
            wanted = customer_lang
        cookie_lang = request.cookies.get("frontend_lang")
        if cookie_lang in (None, wanted) or not reading or env["ir.http"].is_a_bot():
            # Nothing says otherwise: Odoo's routing takes the language from the context.
            request.update_context(lang=wanted)
            return
        # Another page of the site left another language in the cookie: this link's language.
        if wanted == default_lang:
            response = request.redirect_query(path, request.httprequest.args)
        else:
            url_code = env["res.lang"]._get_data(code=wanted).url_code
            response = request.redirect_query(f"/{url_code}{path}", request.httprequest.args)
        response.set_cookie("frontend_lang", wanted)
        werkzeug.exceptions.abort(response)

    @classmethod
    def _invoice_pay_default_lang(cls, env):
        """The site's default language, as Odoo's routing reads it (the website's, with website)."""
        real_env = request.env
        try:
            request.env = env
            return cls._get_default_lang().code
        finally:
            request.env = real_env

    @staticmethod
    def _invoice_pay_keep_choice(response, cookie, lang, customer_lang):
        """Remember on ``response`` the language chosen for one link (forgotten when it is the customer's)."""
        if lang == customer_lang:
            if request.cookies.get(cookie):
                response.set_cookie(cookie, "", max_age=0, expires=0, httponly=True, samesite="Lax")
        else:
            response.set_cookie(cookie, lang, max_age=CHOICE_MAX_AGE, httponly=True, samesite="Lax")
