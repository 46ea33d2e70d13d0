"""Pytest setup for the Odoo-free core: import path, odoo guard, hypothesis profile."""

import ast
import importlib
import os
import pathlib
import sys
import tempfile

from hypothesis import settings

ADDON_DIR = pathlib.Path(__file__).resolve().parent.parent / "invoice_public_pay"
CORE_DIR = ADDON_DIR / "pay_core"

# The core is imported as a top-level package, exactly as it must work
# without Odoo: no addon package, no odoo.addons namespace.
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))

# Deterministic and database-free: the same examples on every run. Hypothesis
# still caches some data (e.g. unicode tables); keep it out of the repository.
# Read lazily by hypothesis, so setting it here is early enough.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "pay_core_hypothesis")
)
settings.register_profile(
    "pay_core", max_examples=200, deadline=None, derandomize=True, database=None
)
settings.load_profile("pay_core")


def _modules_importing_odoo():
    """Return core source files that mention an ``odoo`` import anywhere.

    Catches imports inside functions too, which a sys.modules check only sees
    once that function runs.
    """
    offenders = []
    for source in sorted(CORE_DIR.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            if any(name == "odoo" or name.startswith("odoo.") for name in names):
                offenders.append(source.name)
    return offenders


def _assert_core_is_odoo_free():
    for source in sorted(CORE_DIR.glob("*.py")):
        module_name = "pay_core" if source.stem == "__init__" else f"pay_core.{source.stem}"
        importlib.import_module(module_name)
    if "odoo" in sys.modules:
        raise RuntimeError("importing pay_core pulled odoo into sys.modules")
    offenders = _modules_importing_odoo()
    if offenders:
        raise RuntimeError(f"pay_core modules import odoo: {offenders}")


_assert_core_is_odoo_free()
