from . import mail_compose_message
from . import mail_compose_message_statement
