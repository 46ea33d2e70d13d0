"""Keep pay link tokens out of the server log.

Odoo's HTTP server logs the path of every request at INFO level; a pay link
token in that log would let anyone who reads it pay, or look at, a customer's
invoices. The filter rewrites the token before any handler formats the record.
"""

import logging

from .pay_core.tokens import mask_pay_link_tokens

# werkzeug: one line per request; odoo.http: errors raised while serving it;
# odoo.sql_db: failed statements (and all of them at debug_sql), which may hold a
# transaction's landing route.
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
    """Attach the filter once per process to the loggers that print request paths."""
    for name in MASKED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, PayLinkTokenFilter) for existing in logger.filters):
            logger.addFilter(PayLinkTokenFilter())
