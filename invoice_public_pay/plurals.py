"""Which of two whole phrases a count takes in a language: the singular or the plural one.

Odoo's translation system has one translation per phrase and no plural forms, so a
counted phrase is written twice, each translated whole ("(1 open invoice)", "(%s open
invoices)"), and the language's own rule (CLDR's, through Babel) picks one: 1 takes the
singular in English and Spanish, 0 and 1 do in French. Languages with more forms (Polish,
Russian, Arabic, ...) get the plural phrase for every count that is not singular; their
translators word it so that it reads right for any number ("open invoices: %s").
"""

from babel import Locale, UnknownLocaleError


def takes_singular(lang_code, count):
    """Whether ``count`` takes the singular phrase in the language ``lang_code`` (``fr_FR``, ``es``)."""
    try:
        locale = Locale.parse(lang_code or "en_US")
    except (ValueError, TypeError, UnknownLocaleError):
        locale = Locale.parse("en_US")
    return locale.plural_form(count) == "one"
