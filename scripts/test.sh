#!/usr/bin/env bash
# THE test command of invoice_public_pay:  ./scripts/test.sh
#
# Runs, in one go, and adds up:
#   1. core:      pytest on tests_core/ (the Odoo-free core) in the dev venv .venv
#   2. lint:      pylint-odoo on invoice_public_pay/ (.pylintrc), counted as one test
#   3. precommit: pre-commit run --all-files (.pre-commit-config.yaml), one test per hook
#   4. upgrade:   a database of the baseline release (scripts/upgrade-baseline.txt) filled
#                 with data, upgraded with -u to the working tree: nothing lost or changed
#                 (scripts/upgrade_check.py), one test per check
#   5. wheel:     the addon's wheel built with whool, installed into a copy of Odoo's venv,
#                 Odoo started without this repository: the demo pay link answers 200
#                 (scripts/wheel_check.py), one test per step
#   6. odoo:      the addon's Odoo tests on a FRESH database with a real Odoo 19
#                 (odoo-bin -i invoice_public_pay,payment_demo,payment_custom --test-tags ...);
#                 skipped Odoo tests count as FAILED
#   7. odoo-upstream: Odoo's own suites of the modules the addon extends (account_payment,
#                 payment) and of the providers (payment_demo, payment_stripe,
#                 payment_custom), with the addon installed, on a FRESH database; counted
#                 as the part odoo
# and ends with its duration and one line "N passed, N failed[, N skipped]". Exit status
# 1 when anything failed or crashed, else 0. Odoo 19 is installed into ODOO_PATH first when
# it holds none (ensure_odoo in scripts/common.sh): from ODOO_SOURCE, else from a shallow
# clone of the official source; without network the Odoo parts do not run (banner).
#
# Environment (all optional; see README.md "Environment variables"):
#   ODOO_PATH, ODOO_PYTHON     where Odoo 19 is             [/opt/odoo19, $ODOO_PATH/venv/bin/python]
#   ODOO_SOURCE                where to install it from when missing: source tree or GIT_DIR@COMMIT
#   ODOO_TEST_TAGS             Odoo --test-tags (odoo)      [/invoice_public_pay]
#   ODOO_UPSTREAM_TEST_TAGS    Odoo --test-tags (odoo-upstream) [/account_payment,/payment,...]
#   ODOO_TEST_HTTP_PORT        HTTP port of the test servers [first free port from 8069]
#   ODOO_TEST_DB_PREFIX        test database name prefix    [ipp_test] (all Odoo parts)
#   ODOO_TEST_WITH_DEMO=1      install with demo data       [no demo data]
#   ODOO_TEST_ARGS             extra odoo-bin arguments (split on spaces)
#   ODOO_ALLOW_NO_TESTS=1      accept an Odoo run with 0 tests (else 1 failure)
#   KEEP_DB=1                  keep the test databases (their names are printed)
#   IPP_REQUIRE_ODOO=1         count a missing Odoo as a failure (default: banner only)
#   IPP_TEST_PARTS             parts to run, e.g. "core lint"   [all: core ... odoo odoo-upstream]
#   IPP_TEST_LOG_DIR           where logs go                [.test-logs]

set -uo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$IPP_REPO_ROOT" || exit 1

STARTED_AT=$SECONDS
RUN_ID="$(date +%Y%m%d-%H%M%S)-$$"
LOG_DIR="${IPP_TEST_LOG_DIR:-$IPP_REPO_ROOT/.test-logs}/$RUN_ID"
mkdir -p "$LOG_DIR" || exit 1
PARTS="${IPP_TEST_PARTS:-core lint precommit upgrade wheel odoo odoo-upstream}"
ODOO_TAGS="${ODOO_TEST_TAGS:-/$IPP_ADDON}"
# Odoo's modules whose own suites run with the addon installed (the part odoo-upstream):
# account_payment and payment, which the addon extends, and the providers it is used with;
# sale only for payment_custom's test_communication_for_sale_order (skipped without it).
# Left out: payment's test_updating_state_resets_post_processing_status, which Odoo skips
# whenever account_payment is installed (the addon depends on it).
UPSTREAM_MODULES="payment_demo,payment_stripe,payment_custom,sale"
UPSTREAM_TAGS="${ODOO_UPSTREAM_TEST_TAGS:-/account_payment,/payment,/payment_demo,/payment_stripe,/payment_custom}"
UPSTREAM_TAGS+=",-/payment:TestPaymentTransaction.test_updating_state_resets_post_processing_status"

# Per-part results, in the order the summary table shows them.
PART_KEYS=(core lint precommit upgrade wheel odoo odoo-upstream)
declare -A PART_LABEL=(
    [core]="core: pytest tests_core/"
    [lint]="lint: pylint-odoo"
    [precommit]="pre-commit: all hooks"
    [upgrade]="upgrade: baseline -> working tree"
    [wheel]="wheel: build, pip install, serve"
    [odoo]="Odoo: $ODOO_TAGS"
    [odoo-upstream]="odoo-upstream: Odoo's own suites"
)
declare -A PART_PASSED=() PART_FAILED=() PART_SKIPPED=() PART_NOTE=()

record_part() { # KEY PASSED FAILED SKIPPED NOTE
    PART_PASSED[$1]="$2"
    PART_FAILED[$1]="$3"
    PART_SKIPPED[$1]="$4"
    PART_NOTE[$1]="$5"
}

# record_from_file KEY RESULT_FILE: read what ipp_results.py wrote.
record_from_file() {
    local key="$1" file="$2" passed failed skipped note
    if ! { read -r passed failed skipped && IFS= read -r note; } <"$file" 2>/dev/null ||
        [[ ! "$passed$failed$skipped" =~ ^[0-9]+$ ]]; then
        record_part "$key" 0 1 0 "could not read the parsed results ($file)"
        return
    fi
    record_part "$key" "$passed" "$failed" "$skipped" "$note"
}

wants_part() { [[ " $PARTS " == *" $1 "* ]]; }

section() { printf '\n========== %s ==========\n' "$*"; }

# --------------------------------------------------------------------------
# 1. core: pytest
# --------------------------------------------------------------------------
run_core() {
    section "core: pytest tests_core/"
    if ! ensure_dev_venv; then
        record_part core 0 1 0 "could not set up the dev venv .venv"
        return
    fi
    if [[ ! -d tests_core ]]; then
        ipp_say "no tests_core/ folder: 0 core tests"
        record_part core 0 0 0 "no tests_core/ folder"
        return
    fi
    local xml="$LOG_DIR/pytest-junit.xml" rc
    rm -f "$xml"
    "$IPP_DEV_VENV/bin/python" -m pytest tests_core -q -ra -p no:cacheprovider \
        --junitxml="$xml" 2>&1 | tee "$LOG_DIR/pytest.log"
    rc=${PIPESTATUS[0]}
    python3 "$IPP_SCRIPTS_DIR/ipp_results.py" pytest-junit "$xml" --rc "$rc" --out "$LOG_DIR/core.result"
    record_from_file core "$LOG_DIR/core.result"
}

# --------------------------------------------------------------------------
# 2. Odoo: the addon's tests in a real Odoo 19 on a fresh database
# --------------------------------------------------------------------------
ODOO_TEST_DB=""

drop_test_db() {
    [[ -n "$ODOO_TEST_DB" ]] || return 0
    if [[ "${KEEP_DB:-0}" == 1 ]]; then
        ipp_say "KEEP_DB=1: keeping database $ODOO_TEST_DB"
    elif ipp_drop_db "$ODOO_TEST_DB"; then
        ipp_say "dropped database $ODOO_TEST_DB"
    else
        ipp_warn "could not drop database $ODOO_TEST_DB"
    fi
    ODOO_TEST_DB=""
}
trap drop_test_db EXIT

# odoo_part_ready KEY: true when a part that needs Odoo (odoo, odoo-upstream, upgrade,
# wheel) can run; otherwise records KEY's result (not run, or failed) and returns 1. A
# missing Odoo is installed first (ensure_odoo: from ODOO_SOURCE, else a shallow clone of
# the pinned official source); when that fails, the banner is printed once.
_odoo_banner_shown=""
odoo_part_ready() {
    local key="$1"
    if ! ensure_odoo; then
        if [[ -z "$_odoo_banner_shown" ]]; then
            local help
            help="$(ipp_odoo_install_help ./scripts/test.sh)"
            mapfile -t help_lines <<<"$help"
            ipp_banner \
                "THE ODOO TEST SUITES DID NOT RUN (the addon's, Odoo's own, the upgrade and wheel checks)." \
                "No working Odoo 19 at ODOO_PATH=$ODOO_PATH: $IPP_ODOO_UNAVAILABLE_REASON" \
                "Only the Odoo-free parts (pytest tests_core/, pylint-odoo, pre-commit) run now." \
                "" "${help_lines[@]}"
            _odoo_banner_shown=1
        fi
        if [[ "${IPP_REQUIRE_ODOO:-0}" == 1 ]]; then
            record_part "$key" 0 1 0 "DID NOT RUN: no Odoo 19 (IPP_REQUIRE_ODOO=1)"
        else
            record_part "$key" 0 0 0 "DID NOT RUN: no Odoo 19 at $ODOO_PATH"
        fi
        return 1
    fi
    local problem=""
    ensure_debian_packages || problem="missing Debian packages (${IPP_DEBIAN_PACKAGES[*]})"
    if [[ -z "$problem" ]]; then
        ensure_odoo_python_packages || problem="could not install requirements-odoo.txt into $ODOO_PYTHON"
    fi
    if [[ -z "$problem" ]]; then
        ensure_postgres || problem="PostgreSQL is not available"
    fi
    if [[ -n "$problem" ]]; then
        ipp_warn "$problem: the part $key cannot run"
        record_part "$key" 0 1 0 "DID NOT RUN: $problem"
        return 1
    fi
}

# test_http_port: print the HTTP port for a test server; status 1 when there is none.
NO_PORT_NOTE="no free HTTP port in 8069-8199 (set ODOO_TEST_HTTP_PORT)"
test_http_port() {
    local port="${ODOO_TEST_HTTP_PORT:-}"
    [[ -n "$port" ]] || port="$(ipp_free_port 8069 8199)" || return 1
    printf '%s\n' "$port"
}

# run_odoo_tests KEY MODULES TAGS: the parts odoo and odoo-upstream. A FRESH database,
# odoo-bin -i MODULES --test-tags TAGS, counted from Odoo's closing line (ipp_results.py).
run_odoo_tests() {
    local key="$1" modules="$2" tags="$3" port
    odoo_part_ready "$key" || return
    command -v chromium >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 ||
        ipp_warn "no chromium on PATH: every tour will be skipped (and counted as failed)"
    port="$(test_http_port)" || { record_part "$key" 0 1 0 "$NO_PORT_NOTE"; return; }
    local db_infix=""
    [[ "$key" == odoo ]] || db_infix="_${key#odoo-}"
    ODOO_TEST_DB="${ODOO_TEST_DB_PREFIX:-ipp_test}${db_infix}_$(date +%s)_$$"
    local log="$LOG_DIR/$key.log" rc
    local args=(
        -d "$ODOO_TEST_DB"
        --addons-path="$(ipp_addons_path)"
        -i "$modules"
        --test-tags "$tags"
        --stop-after-init
        --http-interface=127.0.0.1
        --http-port="$port"
        --log-level=test
    )
    if [[ "${ODOO_TEST_WITH_DEMO:-0}" == 1 ]]; then
        args+=(--with-demo)
    fi
    if [[ -n "${ODOO_TEST_ARGS:-}" ]]; then
        local extra
        read -r -a extra <<<"$ODOO_TEST_ARGS"
        args+=("${extra[@]}")
    fi
    ipp_say "fresh database $ODOO_TEST_DB, HTTP port $port, -i $modules, --test-tags $tags"
    ipp_say "log: $log"
    ipp_say "running: $ODOO_PYTHON $ODOO_PATH/odoo-bin ${args[*]}"
    ipp_odoo "${args[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    ipp_say "odoo-bin exited with status $rc"
    drop_test_db
    local allow=()
    [[ "${ODOO_ALLOW_NO_TESTS:-0}" == 1 ]] && allow=(--allow-no-tests)
    python3 "$IPP_SCRIPTS_DIR/ipp_results.py" odoo-log "$log" --rc "$rc" \
        --out "$LOG_DIR/$key.result" "${allow[@]}"
    record_from_file "$key" "$LOG_DIR/$key.result"
}

run_odoo() {
    section "Odoo: tests of the addon in Odoo 19"
    # payment_custom: the wire transfer provider the tests pay by transfer with (not a dependency).
    run_odoo_tests odoo "$IPP_ADDON,payment_demo,payment_custom" "$ODOO_TAGS"
}

# Odoo's own suites of the modules the addon extends, with the addon installed: a
# failure there is a change of Odoo's behaviour that the addon makes.
run_odoo_upstream() {
    section "Odoo upstream: Odoo's own tests of the modules the addon extends, addon installed"
    run_odoo_tests odoo-upstream "$IPP_ADDON,$UPSTREAM_MODULES" "$UPSTREAM_TAGS"
}

# --------------------------------------------------------------------------
# 3. lint: pylint-odoo, one test
# --------------------------------------------------------------------------
run_lint() {
    section "lint: pylint-odoo on $IPP_ADDON/"
    if ! ensure_dev_venv; then
        record_part lint 0 1 0 "could not set up the dev venv .venv"
        return
    fi
    if [[ ! -f "$IPP_ADDON/__manifest__.py" ]]; then
        record_part lint 0 1 0 "no $IPP_ADDON/__manifest__.py"
        return
    fi
    local rc
    "$IPP_DEV_VENV/bin/pylint" --rcfile="$IPP_REPO_ROOT/.pylintrc" "$IPP_ADDON" 2>&1 |
        tee "$LOG_DIR/pylint.log"
    rc=${PIPESTATUS[0]}
    if ((rc == 0)); then
        ipp_say "pylint-odoo: clean"
        record_part lint 1 0 0 "clean"
    else
        local count
        count="$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: [A-Z][0-9]{4}' "$LOG_DIR/pylint.log" || true)"
        ipp_say "pylint-odoo: exit status $rc, $count message(s) (see above)"
        record_part lint 0 1 0 "$count message(s), pylint exit $rc"
    fi
}

# --------------------------------------------------------------------------
# 4. precommit: the repository's pre-commit hooks, one test per hook
# --------------------------------------------------------------------------
run_precommit() {
    section "pre-commit: .pre-commit-config.yaml on every tracked file"
    if ! ensure_dev_venv; then
        record_part precommit 0 1 0 "could not set up the dev venv .venv"
        return
    fi
    # The prettier hook runs on the machine's Node.js (Debian's nodejs and npm).
    ensure_node || ipp_warn "no Node.js/npm: the prettier hook cannot install"
    local log="$LOG_DIR/pre-commit.log" rc
    # Hooks only check (none rewrites a file); untracked files are not looked at.
    "$IPP_DEV_VENV/bin/pre-commit" run --all-files --color never 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    python3 "$IPP_SCRIPTS_DIR/ipp_results.py" pre-commit "$log" --rc "$rc" --out "$LOG_DIR/precommit.result"
    record_from_file precommit "$LOG_DIR/precommit.result"
}

# --------------------------------------------------------------------------
# 5. upgrade and 6. wheel: the harness's own checks, one test per check
# --------------------------------------------------------------------------
run_upgrade() {
    section "upgrade: the baseline's database upgraded with -u to the working tree"
    odoo_part_ready upgrade || return
    local port
    port="$(test_http_port)" || { record_part upgrade 0 1 0 "$NO_PORT_NOTE"; return; }
    "$ODOO_PYTHON" "$IPP_SCRIPTS_DIR/upgrade_check.py" --out "$LOG_DIR/upgrade.result" \
        --port "$port" --log-dir "$LOG_DIR"
    record_from_file upgrade "$LOG_DIR/upgrade.result"
}

run_wheel() {
    section "wheel: built with whool, installed with pip, served without the repository"
    odoo_part_ready wheel || return
    if ! ensure_dev_venv; then
        record_part wheel 0 1 0 "could not set up the dev venv .venv (whool)"
        return
    fi
    local port
    port="$(test_http_port)" || { record_part wheel 0 1 0 "$NO_PORT_NOTE"; return; }
    python3 "$IPP_SCRIPTS_DIR/wheel_check.py" --out "$LOG_DIR/wheel.result" \
        --port "$port" --log-dir "$LOG_DIR"
    record_from_file wheel "$LOG_DIR/wheel.result"
}

# --------------------------------------------------------------------------
ipp_say "test run $RUN_ID, logs in ${LOG_DIR#"$IPP_REPO_ROOT"/}"
# Quick parts first so that their result shows before the long Odoo log.
wants_part core && run_core
wants_part lint && run_lint
wants_part precommit && run_precommit
wants_part upgrade && run_upgrade
wants_part wheel && run_wheel
wants_part odoo && run_odoo
wants_part odoo-upstream && run_odoo_upstream

total_passed=0 total_failed=0 total_skipped=0
section "summary"
printf '%-34s %7s %7s %8s  %s\n' "part" "passed" "failed" "skipped" "notes"
for key in "${PART_KEYS[@]}"; do
    if [[ -z "${PART_PASSED[$key]+set}" ]]; then
        wants_part "$key" || continue
        # A part that was asked for but recorded nothing has crashed.
        record_part "$key" 0 1 0 "crashed before reporting a result"
    fi
    printf '%-34s %7s %7s %8s  %s\n' "${PART_LABEL[$key]}" "${PART_PASSED[$key]}" \
        "${PART_FAILED[$key]}" "${PART_SKIPPED[$key]}" "${PART_NOTE[$key]}"
    total_passed=$((total_passed + PART_PASSED[$key]))
    total_failed=$((total_failed + PART_FAILED[$key]))
    total_skipped=$((total_skipped + PART_SKIPPED[$key]))
done
printf 'logs: %s\n' "$LOG_DIR"
for key in odoo odoo-upstream upgrade wheel; do
    if [[ "${PART_NOTE[$key]:-}" == "DID NOT RUN"* ]]; then
        printf '!! The part %s DID NOT RUN (%s): these counts do not cover it.\n' \
            "$key" "${PART_NOTE[$key]#DID NOT RUN: }"
    fi
done
if ((total_passed + total_failed + total_skipped == 0)); then
    printf '!! No test ran at all.\n'
fi
elapsed=$((SECONDS - STARTED_AT))
printf 'duration: %dm%02ds\n' $((elapsed / 60)) $((elapsed % 60))
echo
closing="$total_passed passed, $total_failed failed"
if ((total_skipped > 0)); then
    closing+=", $total_skipped skipped"
fi
printf '%s\n' "$closing"
if ((total_failed > 0)); then
    exit 1
fi
exit 0
