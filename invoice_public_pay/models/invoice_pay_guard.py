import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

DEFAULT_GUESS_LIMIT = 20
DEFAULT_GUESS_WINDOW_MINUTES = 15


class InvoicePayGuessCounter(models.Model):
    """Failed pay link lookups per client address, per time window.

    Also counts, under keys of their own, other things a visitor makes the server do
    on demand (``card-read:<link id>``: cards looked up with the payment provider).
    Kept in the database so that the limit holds across Odoo workers. Rows are
    written on their own short transaction: a refused JSON request rolls back
    its own transaction, the count must survive it.
    """

    _name = "invoice.pay.guess.counter"
    _description = "Invoice Pay Link Guess Counter"
    _log_access = False

    client_key = fields.Char(required=True, index=True)
    window_start = fields.Datetime(required=True)
    attempts = fields.Integer(required=True, default=0)

    _client_window_unique = models.Constraint(
        "UNIQUE(client_key, window_start)", "One counter per client and window.",
    )

    @api.model
    def _limits(self):
        params = self.env["ir.config_parameter"].sudo()
        limit = int(params.get_param("invoice_public_pay.guess_limit", DEFAULT_GUESS_LIMIT))
        minutes = int(params.get_param("invoice_public_pay.guess_window_minutes", DEFAULT_GUESS_WINDOW_MINUTES))
        return limit, max(minutes, 1)

    @api.model
    def _window_start(self, now, minutes):
        epoch_minutes = int(now.timestamp() // 60)
        return fields.Datetime.from_string("1970-01-01") + timedelta(minutes=epoch_minutes - epoch_minutes % minutes)

    @api.model
    def _is_blocked(self, client_key, limit=None):
        """Whether ``client_key`` made too many failed lookups in the current or previous window.

        ``limit``: another limit than the guess limit, for other counters kept here
        (keys of their own, such as the card reads of one pay link).
        """
        guess_limit, minutes = self._limits()
        limit = limit or guess_limit
        now = fields.Datetime.now()
        since = self._window_start(now, minutes) - timedelta(minutes=minutes)
        rows = self.env.execute_query(SQL(
            "SELECT COALESCE(SUM(attempts), 0) FROM invoice_pay_guess_counter "
            "WHERE client_key = %s AND window_start >= %s",
            client_key, since,
        ))
        return rows[0][0] >= limit

    @api.model
    def _record_failure(self, client_key):
        """Count one failed lookup for ``client_key``, committed at once."""
        _limit, minutes = self._limits()
        window_start = self._window_start(fields.Datetime.now(), minutes)
        upsert = SQL(
            "INSERT INTO invoice_pay_guess_counter (client_key, window_start, attempts) VALUES (%s, %s, 1) "
            "ON CONFLICT (client_key, window_start) DO UPDATE "
            "SET attempts = invoice_pay_guess_counter.attempts + 1",
            client_key, window_start,
        )
        for attempt in range(3):
            try:
                with self.env.registry.cursor() as cr:
                    cr.execute(upsert)
                return
            except psycopg2.errors.SerializationFailure:
                # Another worker counted the same client at the same instant: count again.
                _logger.debug("Guess counter of %s updated concurrently (attempt %s)", client_key, attempt)
        _logger.warning("Could not count a failed pay link lookup of %s", client_key)

    @api.autovacuum
    def _gc_guess_counters(self):
        """Forget counters older than a day."""
        self.search([("window_start", "<", fields.Datetime.now() - timedelta(days=1))]).unlink()
