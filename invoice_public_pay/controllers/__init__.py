from . import main
from . import statement
