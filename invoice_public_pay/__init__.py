from . import controllers
from . import models
from . import wizard
from .hooks import post_init_hook
from .logging_filter import install_log_filter

install_log_filter()
