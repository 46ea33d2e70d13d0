# shellcheck shell=bash
# Shared settings and helpers of the invoice_public_pay developer harness.
#
# Sourced (never executed) by scripts/test.sh, scripts/demo.sh,
# scripts/setup-odoo.sh, scripts/benchmark.sh, scripts/load.sh and .ci/run.
# Safe under `set -euo pipefail`.
#
# Environment (all optional):
#   ODOO_PATH       Odoo 19 source tree (odoo-bin, odoo/, addons/)   [/opt/odoo19]
#   ODOO_PYTHON     interpreter that runs Odoo                       [$ODOO_PATH/venv/bin/python]
#   IPP_REPO_ROOT   this repository (holds invoice_public_pay/)      [parent of scripts/]
#   IPP_DEV_PYTHON  interpreter used to create .venv                 [python3.11]
#   IPP_SKIP_APT=1  never call apt-get (report missing Debian packages instead)
#   ODOO_SOURCE     where ensure_odoo installs Odoo from when $ODOO_PATH has none: an Odoo
#                   source tree, or GIT_DIR@COMMIT   [shallow clone, scripts/odoo-source.txt]
#   IPP_ODOO_AUTO_SETUP=0  never install Odoo (ensure_odoo only checks)

if [[ -n "${_IPP_COMMON_SOURCED:-}" ]]; then
    return 0
fi
_IPP_COMMON_SOURCED=1

IPP_ADDON=invoice_public_pay
IPP_SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
IPP_REPO_ROOT="${IPP_REPO_ROOT:-$(cd "$IPP_SCRIPTS_DIR/.." && pwd)}"
ODOO_PATH="${ODOO_PATH:-/opt/odoo19}"
ODOO_PYTHON="${ODOO_PYTHON:-$ODOO_PATH/venv/bin/python}"
IPP_DEV_VENV="$IPP_REPO_ROOT/.venv"
# Debian packages the addon, its tests and its demo need on the machine.
IPP_DEBIAN_PACKAGES=(chromium wkhtmltopdf poppler-utils fonts-dejavu-core)
export ODOO_PATH ODOO_PYTHON IPP_REPO_ROOT

# --------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------

ipp_say() { printf '[%s] %s\n' "$IPP_ADDON" "$*"; }
ipp_warn() { printf '[%s] WARNING: %s\n' "$IPP_ADDON" "$*" >&2; }
ipp_die() {
    printf '[%s] ERROR: %s\n' "$IPP_ADDON" "$*" >&2
    exit 1
}

# ipp_banner LINE...: a block that cannot be missed in a long log.
ipp_banner() {
    local bar='##########################################################################'
    printf '\n%s\n' "$bar"
    local line
    for line in "$@"; do
        printf '## %s\n' "$line"
    done
    printf '%s\n\n' "$bar"
}

# ipp_odoo_install_help [COMMAND]: how to get Odoo 19 (printed by test.sh and demo.sh
# when ensure_odoo could not set it up); COMMAND is the command to run again.
ipp_odoo_install_help() {
    local again="${1:-./scripts/demo.sh}" env_prefix=""
    [[ "$ODOO_PATH" == /opt/odoo19 ]] || env_prefix="ODOO_PATH=$ODOO_PATH "
    cat <<EOF
Odoo 19 Community is not published on PyPI or Debian: it runs from its source.
It could not be set up here: ${IPP_ODOO_SETUP_FAILURE:-no set-up was tried}.
Either set ODOO_SOURCE to a copy of the source and run the same command again (it then
installs Odoo into ODOO_PATH, now $ODOO_PATH, itself):
    ${env_prefix}ODOO_SOURCE=/path/to/odoo-19-tree $again
    ${env_prefix}ODOO_SOURCE=/path/to/odoo.git@<commit> $again
  (a tree holding odoo-bin, odoo/, addons/, requirements.txt, setup.py, setup.cfg and
  setup/, or a (bare) git directory and an Odoo 19.0 commit in it),
or install it first yourself, then run the same command again:
    git clone --depth 1 --branch $(ipp_pinned_odoo branch) $(ipp_pinned_odoo url) /some/dir
    ${env_prefix}./scripts/setup-odoo.sh /some/dir
  or from a (bare) git directory:
    ${env_prefix}./scripts/setup-odoo.sh --git-dir /path/to/odoo.git --commit <sha>
See README.md, section "Requirements / Installing Odoo 19".
EOF
}

# --------------------------------------------------------------------------
# Odoo
# --------------------------------------------------------------------------

# odoo_available: true when $ODOO_PATH holds a working Odoo 19.0. On failure the
# reason is left in IPP_ODOO_UNAVAILABLE_REASON.
export IPP_ODOO_UNAVAILABLE_REASON=""
odoo_available() {
    IPP_ODOO_UNAVAILABLE_REASON=""
    if [[ ! -f "$ODOO_PATH/odoo-bin" ]]; then
        IPP_ODOO_UNAVAILABLE_REASON="no odoo-bin in ODOO_PATH=$ODOO_PATH"
        return 1
    fi
    if [[ ! -x "$ODOO_PYTHON" ]]; then
        IPP_ODOO_UNAVAILABLE_REASON="no interpreter at ODOO_PYTHON=$ODOO_PYTHON"
        return 1
    fi
    local version
    if ! version="$("$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" --version 2>/dev/null)"; then
        IPP_ODOO_UNAVAILABLE_REASON="'$ODOO_PYTHON $ODOO_PATH/odoo-bin --version' failed"
        return 1
    fi
    if [[ ! "$version" =~ (^|[^0-9.])19\.0($|[^0-9]) ]]; then
        IPP_ODOO_UNAVAILABLE_REASON="odoo-bin --version says '$version', not 19.0"
        return 1
    fi
    return 0
}

# ipp_pinned_odoo KEY: url, branch or commit of scripts/odoo-source.txt (the Odoo source
# the project pins; an empty commit means the head of the branch).
ipp_pinned_odoo() {
    sed -n "s/^$1=//p" "$IPP_SCRIPTS_DIR/odoo-source.txt" | tail -n 1
}

# ipp_odoo_source_args SOURCE: set IPP_ODOO_SETUP_ARGS to setup-odoo.sh's arguments for
# ODOO_SOURCE: an Odoo source tree (a directory with odoo-bin), or GIT_DIR@COMMIT (a
# (bare) git directory and a commit, branch or tag in it).
IPP_ODOO_SETUP_ARGS=()
ipp_odoo_source_args() {
    local source="$1"
    if [[ -f "$source/odoo-bin" ]]; then
        IPP_ODOO_SETUP_ARGS=("$source")
    elif [[ "$source" == *@* && -d "${source%@*}" && -n "${source##*@}" ]]; then
        IPP_ODOO_SETUP_ARGS=(--git-dir "${source%@*}" --commit "${source##*@}")
    elif [[ -d "$source" ]] && git --git-dir "$source" rev-parse --git-dir >/dev/null 2>&1; then
        IPP_ODOO_SETUP_FAILURE="ODOO_SOURCE=$source is a git directory without a commit: set ODOO_SOURCE=$source@<commit>"
        return 1
    else
        IPP_ODOO_SETUP_FAILURE="ODOO_SOURCE=$source is neither an Odoo source tree (no odoo-bin) nor GIT_DIR@COMMIT"
        return 1
    fi
}

# ipp_fetch_pinned_odoo: fetch the Odoo source scripts/odoo-source.txt pins (its commit,
# else the head of its branch), shallow, into a bare git directory in the user's cache
# (IPP_ODOO_CLONE_DIR to change) and set IPP_ODOO_SETUP_ARGS to it.
ipp_fetch_pinned_odoo() {
    local url branch commit dir sha
    url="$(ipp_pinned_odoo url)" branch="$(ipp_pinned_odoo branch)" commit="$(ipp_pinned_odoo commit)"
    dir="${IPP_ODOO_CLONE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/invoice_public_pay/odoo-$branch.git}"
    if ! command -v git >/dev/null 2>&1; then
        IPP_ODOO_SETUP_FAILURE="git is not installed: cannot clone $url"
        return 1
    fi
    # Without network this fails within seconds, not after a long clone attempt.
    if ! GIT_TERMINAL_PROMPT=0 timeout 60 git ls-remote --exit-code "$url" "refs/heads/$branch" >/dev/null 2>&1; then
        IPP_ODOO_SETUP_FAILURE="cannot reach $url (no network?)"
        return 1
    fi
    ipp_say "fetching ${commit:-the head of branch $branch} of $url (depth 1) into $dir"
    if [[ ! -d "$dir" ]] && ! { mkdir -p "$(dirname "$dir")" && git init -q --bare "$dir"; }; then
        IPP_ODOO_SETUP_FAILURE="could not create the git directory $dir"
        return 1
    fi
    if ! GIT_TERMINAL_PROMPT=0 git --git-dir "$dir" fetch --depth 1 "$url" "${commit:-refs/heads/$branch}"; then
        IPP_ODOO_SETUP_FAILURE="git fetch --depth 1 $url ${commit:-refs/heads/$branch} failed"
        return 1
    fi
    sha="$(git --git-dir "$dir" rev-parse FETCH_HEAD)" || return 1
    IPP_ODOO_SETUP_ARGS=(--git-dir "$dir" --commit "$sha")
}

# ensure_odoo: a working Odoo 19 at $ODOO_PATH. When there is none, install it with
# scripts/setup-odoo.sh from ODOO_SOURCE, else from a shallow clone of the official
# repository at what scripts/odoo-source.txt pins. On failure, odoo_available's reason is
# in IPP_ODOO_UNAVAILABLE_REASON and what the set-up ran into in IPP_ODOO_SETUP_FAILURE,
# which is exported: a failed set-up is not tried again by a child script (.ci/run, then
# test.sh) nor by a second call.
export IPP_ODOO_SETUP_FAILURE="${IPP_ODOO_SETUP_FAILURE:-}"
ensure_odoo() {
    odoo_available && return 0
    [[ -z "$IPP_ODOO_SETUP_FAILURE" ]] || return 1
    local reason="$IPP_ODOO_UNAVAILABLE_REASON"
    if [[ "${IPP_ODOO_AUTO_SETUP:-1}" == 0 ]]; then
        IPP_ODOO_SETUP_FAILURE="IPP_ODOO_AUTO_SETUP=0: not installing it"
    elif [[ -n "${ODOO_SOURCE:-}" ]]; then
        ipp_odoo_source_args "$ODOO_SOURCE"
    else
        ipp_say "no working Odoo 19 at $ODOO_PATH ($reason) and no ODOO_SOURCE: fetching the official source"
        ipp_fetch_pinned_odoo
    fi
    if [[ -z "$IPP_ODOO_SETUP_FAILURE" ]]; then
        ipp_banner "No working Odoo 19 at ODOO_PATH=$ODOO_PATH ($reason): installing it with" \
            "./scripts/setup-odoo.sh ${IPP_ODOO_SETUP_ARGS[*]}" \
            "(a few minutes: a venv with Odoo's requirements)"
        if ! bash "$IPP_SCRIPTS_DIR/setup-odoo.sh" "${IPP_ODOO_SETUP_ARGS[@]}"; then
            IPP_ODOO_SETUP_FAILURE="./scripts/setup-odoo.sh ${IPP_ODOO_SETUP_ARGS[*]} failed (see above)"
        elif ! odoo_available; then
            IPP_ODOO_SETUP_FAILURE="Odoo does not start after ./scripts/setup-odoo.sh ${IPP_ODOO_SETUP_ARGS[*]}"
        fi
    fi
    [[ -z "$IPP_ODOO_SETUP_FAILURE" ]] && return 0
    odoo_available && IPP_ODOO_UNAVAILABLE_REASON="its set-up did not finish"
    return 1
}

# The --addons-path for this repository's addon on top of Odoo's own addons.
ipp_addons_path() {
    printf '%s,%s,%s' "$ODOO_PATH/addons" "$ODOO_PATH/odoo/addons" "$IPP_REPO_ROOT"
}

# ipp_odoo ARGS...: run odoo-bin with Odoo's interpreter.
ipp_odoo() {
    "$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" "$@"
}

# ipp_db_exists NAME
ipp_db_exists() {
    local found
    found="$(psql -X -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" 2>/dev/null)" || return 1
    [[ "$found" == 1 ]]
}

# ipp_drop_db NAME: drop a database and its filestore (through Odoo when it can).
ipp_drop_db() {
    local db="$1"
    ipp_db_exists "$db" || return 0
    if ! ipp_odoo db drop "$db" >/dev/null 2>&1; then
        dropdb --if-exists "$db" || return 1
    fi
    ! ipp_db_exists "$db"
}

# ipp_free_port START END: print the first TCP port in [START, END] nobody listens on.
ipp_free_port() {
    local start="$1" end="$2"
    python3 - "$start" "$end" <<'PY'
import socket
import sys

start, end = int(sys.argv[1]), int(sys.argv[2])
for port in range(start, end + 1):
    free = True
    for host in ("0.0.0.0", "127.0.0.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                free = False
                break
    if free:
        print(port)
        sys.exit(0)
sys.exit(1)
PY
}

# --------------------------------------------------------------------------
# Machine set-up (each helper is idempotent and cheap when nothing is missing)
# --------------------------------------------------------------------------

# ensure_postgres: make sure the local PostgreSQL answers.
ensure_postgres() {
    if ! command -v pg_isready >/dev/null 2>&1; then
        ipp_warn "pg_isready not found (Debian package postgresql-client); cannot check PostgreSQL"
        return 1
    fi
    if pg_isready -q; then
        return 0
    fi
    ipp_say "PostgreSQL does not answer; starting it"
    local version
    # shellcheck disable=SC2012  # plain version directory names
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$version" ]]; then
        ipp_warn "no cluster under /etc/postgresql: install and start PostgreSQL first"
        return 1
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    local attempt
    for attempt in $(seq 1 30); do
        if pg_isready -q; then
            ipp_say "PostgreSQL $version is up (after ${attempt}s)"
            return 0
        fi
        sleep 1
    done
    ipp_warn "PostgreSQL $version did not answer within 30s"
    return 1
}

# ensure_debian_packages: apt-get install whichever of IPP_DEBIAN_PACKAGES is missing.
ensure_debian_packages() {
    ipp_apt_install "${IPP_DEBIAN_PACKAGES[@]}"
}

_ipp_apt_updated=""
# ipp_apt_install PACKAGE...: install the missing ones; no apt-get call at all
# when none is missing, and apt-get update at most once per process.
ipp_apt_install() {
    local missing=() package status
    for package in "$@"; do
        status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
        if [[ "$status" != 'install ok installed' ]]; then
            missing+=("$package")
        fi
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    if [[ "${IPP_SKIP_APT:-0}" == 1 ]]; then
        ipp_warn "missing Debian packages (IPP_SKIP_APT=1, not installing): ${missing[*]}"
        return 1
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        ipp_warn "missing Debian packages and no apt-get here: ${missing[*]}"
        return 1
    fi
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null 2>&1 || {
            ipp_warn "missing Debian packages ${missing[*]}: run as root or install them"
            return 1
        }
        sudo=(sudo)
    fi
    ipp_say "installing Debian packages: ${missing[*]}"
    if [[ -z "$_ipp_apt_updated" ]]; then
        "${sudo[@]}" apt-get update -qq || return 1
        _ipp_apt_updated=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || return 1
    ipp_say "installed: ${missing[*]}"
}

# ensure_node: Node.js and npm on PATH (the pre-commit hook `prettier` runs on them):
# Debian's `nodejs`, and `npm` only when no npm came with the Node.js already there.
ensure_node() {
    command -v node >/dev/null 2>&1 || ipp_apt_install nodejs || return 1
    command -v npm >/dev/null 2>&1 || ipp_apt_install npm || return 1
}

# _ipp_stamp_matches STAMP_FILE HASH
_ipp_stamp_matches() {
    [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]
}

# ensure_dev_venv: create .venv (python3.11) if missing and install
# requirements-dev.txt when that file changed since the last install.
ensure_dev_venv() {
    local requirements="$IPP_REPO_ROOT/requirements-dev.txt"
    local stamp="$IPP_DEV_VENV/.ipp-requirements-dev.sha256"
    [[ -f "$requirements" ]] || {
        ipp_warn "missing $requirements"
        return 1
    }
    if [[ ! -x "$IPP_DEV_VENV/bin/python" ]]; then
        local python="${IPP_DEV_PYTHON:-python3.11}"
        if ! command -v "$python" >/dev/null 2>&1; then
            ipp_warn "$python not found; falling back to python3"
            python=python3
        fi
        ipp_say "creating the dev venv $IPP_DEV_VENV with $("$python" --version 2>&1)"
        "$python" -m venv "$IPP_DEV_VENV" || return 1
    fi
    local wanted
    wanted="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if _ipp_stamp_matches "$stamp" "$wanted"; then
        return 0
    fi
    ipp_say "installing requirements-dev.txt into .venv"
    "$IPP_DEV_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" || return 1
    printf '%s\n' "$wanted" >"$stamp"
}

# ensure_odoo_python_packages: install requirements-odoo.txt into ODOO_PYTHON when
# the file (or the interpreter) changed since the last install, or when one of
# its modules does not import. Odoo's requirements.txt is passed as constraints so
# that none of Odoo's pins moves.
ensure_odoo_python_packages() {
    local requirements="$IPP_REPO_ROOT/requirements-odoo.txt"
    [[ -f "$requirements" ]] || {
        ipp_warn "missing $requirements"
        return 1
    }
    [[ -x "$ODOO_PYTHON" ]] || {
        ipp_warn "no Odoo interpreter at $ODOO_PYTHON"
        return 1
    }
    local prefix stamp wanted
    prefix="$("$ODOO_PYTHON" -c 'import sys; print(sys.prefix)')" || return 1
    if [[ -w "$prefix" ]]; then
        stamp="$prefix/.ipp-requirements-odoo.sha256"
    else
        mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/invoice_public_pay"
        stamp="${XDG_CACHE_HOME:-$HOME/.cache}/invoice_public_pay/requirements-odoo.sha256"
    fi
    wanted="$( (cat "$requirements"; printf '%s\n' "$ODOO_PYTHON") | sha256sum | cut -d' ' -f1)"
    if _ipp_stamp_matches "$stamp" "$wanted" &&
        "$ODOO_PYTHON" -c 'import qrcode, zxingcpp, websocket, stripe, packaging' >/dev/null 2>&1; then
        return 0
    fi
    local constraints=()
    if [[ -f "$ODOO_PATH/requirements.txt" ]]; then
        constraints=(-c "$ODOO_PATH/requirements.txt")
    fi
    ipp_say "installing requirements-odoo.txt into Odoo's interpreter $ODOO_PYTHON"
    "$ODOO_PYTHON" -m pip install -q --disable-pip-version-check -r "$requirements" "${constraints[@]}" || return 1
    printf '%s\n' "$wanted" >"$stamp"
}

# odoo_distribution_installed: pip knows the `odoo` distribution in ODOO_PYTHON.
odoo_distribution_installed() {
    "$ODOO_PYTHON" -c 'import importlib.metadata as m; m.version("odoo")' >/dev/null 2>&1
}

# ensure_odoo_distribution: install the source tree $ODOO_PATH into ODOO_PYTHON as the
# `odoo` distribution (pip install --no-deps -e), which the wheels of addons require.
# Needs Odoo's setup.py, setup.cfg and setup/ in $ODOO_PATH (scripts/setup-odoo.sh
# extracts them from the source).
ensure_odoo_distribution() {
    odoo_distribution_installed && return 0
    local entry
    for entry in setup.py setup.cfg setup; do
        if [[ ! -e "$ODOO_PATH/$entry" ]]; then
            ipp_warn "$ODOO_PATH/$entry is missing: run ./scripts/setup-odoo.sh with the Odoo source to add it"
            return 1
        fi
    done
    ipp_say "installing $ODOO_PATH into $ODOO_PYTHON as the odoo distribution (pip install --no-deps -e)"
    "$ODOO_PYTHON" -m pip install -q --disable-pip-version-check --no-deps -e "$ODOO_PATH" || return 1
    # pip leaves odoo.egg-info in the tree: not part of Odoo.
    rm -rf "$ODOO_PATH/odoo.egg-info"
    odoo_distribution_installed
}

# run_measurement SCRIPT HELP_LAST_LINE [ARGS...]: the shared start of benchmark.sh and
# load.sh. Prints the calling script's header comment for --help, checks what a
# measurement needs (exit 2 when it cannot run: 1 means a target missed or a check
# failed), then replaces the shell by the Python script in Odoo's interpreter.
run_measurement() {
    local script="$1" help_last_line="$2" caller="${BASH_SOURCE[1]}"
    shift 2
    local arg
    for arg in "$@"; do
        if [[ "$arg" == -h || "$arg" == --help ]]; then
            sed -n "2,${help_last_line}p" "$caller" | sed 's/^# \{0,1\}//'
            exit 0
        fi
    done
    cd "$IPP_REPO_ROOT" || exit 2
    odoo_available || { ipp_warn "$IPP_ODOO_UNAVAILABLE_REASON"; exit 2; }
    ensure_postgres || { ipp_warn "PostgreSQL is not available"; exit 2; }
    "$ODOO_PYTHON" -c 'import requests' 2>/dev/null \
        || { ipp_warn "the requests package is missing in $ODOO_PYTHON"; exit 2; }
    exec "$ODOO_PYTHON" "$IPP_SCRIPTS_DIR/$script" "$@"
}
