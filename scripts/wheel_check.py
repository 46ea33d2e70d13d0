#!/usr/bin/env python3
"""Wheel check: the addon installs the way integrators install it, from its wheel.

Part "wheel" of scripts/test.sh:

    python3 scripts/wheel_check.py --out RESULT_FILE [--port PORT] [--log-dir DIR]

1. Builds the wheel with whool (invoice_public_pay/pyproject.toml) from the dev venv .venv:
   ``pip wheel --no-deps --no-build-isolation``.
2. Reads its metadata: distribution odoo-addon-invoice_public_pay, the manifest's version,
   Requires-Dist on odoo==19.0.* and on each Python package of the manifest's
   external_dependencies.
3. Copies Odoo's venv (the interpreter's sys.prefix) to a temporary folder and installs the
   wheel there with ``<copy>/bin/python -m pip install --no-index``: its requirements must resolve
   from what is installed, Odoo itself included (scripts/setup-odoo.sh installs Odoo's source
   tree as the ``odoo`` distribution).
4. Creates a fresh database with demo data and installs the module with odoo-bin run by the copy,
   WITHOUT this repository on --addons-path, checks that Odoo loaded the addon from the copy's
   site-packages, then serves the database and asks for the demo customer's pay link: 200.

Each step counts as one test. The database and the copy are removed at the end (KEEP_DB=1 keeps
the database). Environment: ODOO_PATH, ODOO_PYTHON, ODOO_TEST_DB_PREFIX (default ipp_test).
"""

import argparse
import contextlib
import email.parser
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile

from ipp_checks import Checks, odoo_log_problems, read_manifest

SCRIPTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(SCRIPTS_DIR)
ODOO_PATH = os.environ.get("ODOO_PATH", "/opt/odoo19")
ODOO_PYTHON = os.environ.get("ODOO_PYTHON", os.path.join(ODOO_PATH, "venv", "bin", "python"))
ADDON = "invoice_public_pay"
DISTRIBUTION = "odoo-addon-invoice_public_pay"
ODOO_REQUIREMENT = "odoo==19.0.*"
DEMO_PARTNER = "invoice_public_pay.demo_partner_customer_company"
HOST = "127.0.0.1"
# Run in `odoo-bin shell`: where the addon was loaded from, and the demo customer's link.
SHELL_SCRIPT = f"""
import odoo.modules.module
print("IPP-MODULE-PATH=" + (odoo.modules.module.get_module_path("{ADDON}") or ""))
env["ir.config_parameter"].set_param("web.base.url", "http://{HOST}:%(port)d")
partner = env.ref("{DEMO_PARTNER}")
print("IPP-PAY-URL=" + partner._invoice_pay_ensure_url())
print("IPP-PARTNER=" + partner.name)
env.cr.commit()
"""


class WheelCheck(Checks):
    def __init__(self, args):
        super().__init__("wheel")
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="ipp-wheel-")
        self.venv = os.path.join(self.tmp, "venv")
        self.python = os.path.join(self.venv, "bin", "python")
        prefix = os.environ.get("ODOO_TEST_DB_PREFIX") or "ipp_test"
        self.db = f"{prefix}_wheel_{int(time.time())}_{os.getpid()}"
        self.db_created = False
        self.log_dir = args.log_dir
        os.makedirs(self.log_dir, exist_ok=True)
        self.manifest = read_manifest(os.path.join(REPO_ROOT, ADDON, "__manifest__.py"))
        # The manifest's requirements as written ("stripe>=16,<17"), and their distribution names.
        self.requirements = self.manifest.get("external_dependencies", {}).get("python", [])
        self.requirement_names = [re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
                                  for requirement in self.requirements]

    def run_logged(self, command, log_name, **kwargs):
        log_path = os.path.join(self.log_dir, log_name)
        self.say(f"running {' '.join(command)} (log: {log_path})")
        with open(log_path, "w", encoding="utf-8") as log:
            status = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False, **kwargs).returncode
        return status, log_path

    def odoo_command(self, subcommand, *args):
        """odoo-bin run by the venv copy, with Odoo's own addons only: the addon must come from the wheel."""
        addons_path = f"{ODOO_PATH}/addons,{ODOO_PATH}/odoo/addons"
        return [self.python, os.path.join(ODOO_PATH, "odoo-bin"), subcommand, "-d", self.db,
                f"--addons-path={addons_path}", *args]

    def steps(self):
        wheel = self.build()
        if not wheel or not self.check_metadata(wheel):
            return
        if not self.prepare_venv():
            return
        if not self.install(wheel):
            return
        self.db_created = True
        status, log = self.run_logged(
            self.odoo_command("server", "-i", ADDON, "--with-demo", "--stop-after-init", "--no-http",
                              "--max-cron-threads=0", "--log-level=warn"),
            "wheel-3-odoo-install.log",
        )
        problems = odoo_log_problems(log)
        if not self.test(status == 0 and not problems, "Odoo installs the module from the wheel (with demo data)",
                         f"exit {status}, see {log}" + "".join(f"\n{line}" for line in problems[:10])):
            return
        module_path, pay_url, partner_name = self.shell_values()
        site_packages = os.path.join(self.venv, "lib")
        self.test(module_path.startswith(site_packages + os.sep), "the addon was loaded from the installed wheel",
                  f"loaded from {module_path or 'nowhere'}")
        if self.test(bool(pay_url), "the demo customer has a pay link", "see wheel-4-shell.log"):
            self.smoke_test(pay_url, partner_name)

    def build(self):
        dev_python = os.path.join(REPO_ROOT, ".venv", "bin", "python")
        dist = os.path.join(self.tmp, "dist")
        status, log = self.run_logged(
            [dev_python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
             "-w", dist, os.path.join(REPO_ROOT, ADDON)],
            "wheel-1-build.log",
        )
        untracked = subprocess.run(
            ["git", "-C", REPO_ROOT, "ls-files", "--others", "--exclude-standard", ADDON],
            capture_output=True, text=True, check=False,
        ).stdout.split()
        if untracked:
            # whool packs the files git tracks, as a release is built from a commit.
            self.say(f"WARNING: not in the wheel (untracked by git): {', '.join(untracked)}")
        wheels = glob.glob(os.path.join(dist, "*.whl"))
        if not self.test(status == 0 and len(wheels) == 1, "whool builds the wheel",
                         f"{os.path.basename(wheels[0]) if wheels else 'no wheel'}; see {log}"):
            return None
        # Kept next to the logs: the artifact an integrator would install.
        shutil.copy(wheels[0], self.log_dir)
        return wheels[0]

    def check_metadata(self, wheel):
        with zipfile.ZipFile(wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            metadata = email.parser.HeaderParser().parsestr(archive.read(name).decode())
            has_addon = f"odoo/addons/{ADDON}/__manifest__.py" in archive.namelist()
        requires = metadata.get_all("Requires-Dist") or []
        wanted = [ODOO_REQUIREMENT, *self.requirements]
        missing = [requirement for requirement in wanted if requirement not in requires]
        ok = self.test(
            metadata["Name"] == DISTRIBUTION and metadata["Version"] == self.manifest["version"]
            and not missing and has_addon,
            f"wheel metadata: {DISTRIBUTION} {self.manifest['version']}, Requires-Dist {', '.join(wanted)}",
            f"Name {metadata['Name']}, Version {metadata['Version']}, Requires-Dist {requires}, "
            f"missing {missing}, odoo/addons/{ADDON} in the wheel: {has_addon}",
        )
        return ok

    def install(self, wheel):
        """pip installs the wheel into the copy; ``pip check`` finds its requirements met.

        ``--no-deps``: the venv runs Odoo's requirements.txt with psycopg2-binary, while the
        ``odoo`` distribution (Odoo's setup.py) asks for psycopg2 and lxml_html_clean, so pip
        cannot resolve Odoo's own requirements there; it checks ours, Odoo included.
        """
        status, log = self.run_logged(
            [self.python, "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check", wheel],
            "wheel-2-pip-install.log",
        )
        if not self.test(status == 0, "pip installs the wheel into the copy of Odoo's venv",
                         f"exit {status}, see {log}"):
            return False
        check = subprocess.run([self.python, "-m", "pip", "check"], capture_output=True, text=True, check=False)
        normalized = DISTRIBUTION.lower().replace("_", "-")
        ours = [line for line in check.stdout.splitlines() if line.lower().startswith(normalized)]
        versions = subprocess.run(
            [self.python, "-c", "import importlib.metadata as m, sys; "
             "print(', '.join(f'{n} {m.version(n)}' for n in sys.argv[1:]))", "odoo", *self.requirement_names],
            capture_output=True, text=True, check=False,
        )
        return self.test(not ours and versions.returncode == 0, "pip check: the wheel's requirements are met",
                         versions.stdout.strip() if not ours else "\n".join(ours) + versions.stderr[-500:])

    def prepare_venv(self):
        """A copy of Odoo's venv that knows the ``odoo`` distribution."""
        prefix = subprocess.run([ODOO_PYTHON, "-c", "import sys; print(sys.prefix)"],
                                capture_output=True, text=True, check=True).stdout.strip()
        shutil.copytree(prefix, self.venv, symlinks=True)
        has_odoo = subprocess.run([self.python, "-c", "import importlib.metadata as m; print(m.version('odoo'))"],
                                  capture_output=True, text=True, check=False)
        return self.test(
            has_odoo.returncode == 0 and has_odoo.stdout.startswith("19.0"),
            f"a copy of Odoo's venv ({prefix}) has the odoo 19.0 distribution",
            f"odoo {has_odoo.stdout.strip()}" if has_odoo.returncode == 0 else
            f"no `odoo` distribution in {prefix}: install Odoo's source tree into it with "
            f"./scripts/setup-odoo.sh (it extracts setup.py and runs `pip install --no-deps -e {ODOO_PATH}`)",
        )

    def shell_values(self):
        script = SHELL_SCRIPT % {"port": self.args.port}
        log_path = os.path.join(self.log_dir, "wheel-4-shell.log")
        result = subprocess.run(
            self.odoo_command("shell", "--no-http", "--max-cron-threads=0", "--log-level=warn"),
            input=script, capture_output=True, text=True, check=False,
        )
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(result.stdout + result.stderr)
        values = dict(line.split("=", 1) for line in result.stdout.splitlines() if line.startswith("IPP-"))
        return values.get("IPP-MODULE-PATH", ""), values.get("IPP-PAY-URL", ""), values.get("IPP-PARTNER", "")

    def smoke_test(self, pay_url, partner_name):
        log_path = os.path.join(self.log_dir, "wheel-5-server.log")
        command = self.odoo_command("server", f"--db-filter=^{self.db}$", f"--http-interface={HOST}",
                                    f"--http-port={self.args.port}", "--workers=0", "--max-cron-threads=0",
                                    f"--logfile={log_path}", "--log-level=warn")
        self.say(f"serving {self.db} on port {self.args.port} (log: {log_path})")
        server = subprocess.Popen(  # pylint: disable=consider-using-with
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        status, detail = None, "the server did not answer within 120 s"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and server.poll() is None:
                status, body = http_get(f"http://{HOST}:{self.args.port}/web/health")
                if status == 200:
                    status, body = http_get(pay_url)
                    detail = f"HTTP {status}, {len(body)} bytes"
                    if status == 200 and partner_name not in body:
                        status, detail = None, f"the page does not name the demo customer {partner_name!r}"
                    break
                time.sleep(0.5)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)
        self.test(status == 200, "the demo customer's pay link answers 200 (Odoo without the repository)", detail)

    def clean_up(self):
        if self.db_created:
            self.drop_own_database([ODOO_PYTHON, os.path.join(ODOO_PATH, "odoo-bin")], self.db)
        shutil.rmtree(self.tmp, ignore_errors=True)


def http_get(url):
    if not url.startswith(f"http://{HOST}:"):
        raise ValueError(f"only {HOST} is ever asked: {url}")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - local server only
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None, ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="result file (PASSED FAILED SKIPPED, note)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ODOO_TEST_HTTP_PORT") or 8069))
    parser.add_argument("--log-dir", default=os.path.join(REPO_ROOT, ".test-logs"))
    args = parser.parse_args(argv)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(args.out)
    return WheelCheck(args).run(args.out)


if __name__ == "__main__":
    sys.exit(main())
