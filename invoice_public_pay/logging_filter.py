"""Keep pay link tokens out of the server log.

Odoo's HTTP server logs the path of every request at INFO level; a pay link
token in that log would let anyone who reads it pay, or look at, a customer's
invoices. The filter rewrites the token before any handler formats the record.
"""

import logging

from .pay_core.tokens import mask_pay_link_tokens

# werkzeug: one line per request; odoo.http: errors raised while serving it;
# odoo.sql_db: failed statements (and all of them at debug_sql), which may hold a
# transaction's landing route. Handlers added to these loggers later (tests) see
# masked records too; every other logger (http_routing's warnings, stack dumps)
# is masked by the filter on the root logger's handlers.
MASKED_LOGGERS = ("werkzeug", "odoo.http", "odoo.sql_db")


class PayLinkTokenFilter(logging.Filter):
    """Replace the token of any ``/invoice-pay/<token>`` path in a log record."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        masked = mask_pay_link_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def install_log_filter():
    """Attach the filter once per process to the loggers that print request paths and to
    the handlers of the root logger, which every other logger's records reach."""
    targets = [logging.getLogger(name) for name in MASKED_LOGGERS] + logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(existing, PayLinkTokenFilter) for existing in target.filters):
            target.addFilter(PayLinkTokenFilter())
