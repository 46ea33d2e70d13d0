#!/usr/bin/env bash
# Install Odoo 19 Community into $ODOO_PATH (default /opt/odoo19), run from source
# as Odoo's documentation describes, with its own venv at $ODOO_PATH/venv.
#
#   ./scripts/setup-odoo.sh [--force] SOURCE_TREE
#   ./scripts/setup-odoo.sh [--force] --git-dir GIT_DIR --commit SHA
#
# SOURCE_TREE is an Odoo 19 source tree (e.g. a clone of the odoo/odoo repository,
# branch 19.0) holding odoo-bin, odoo/, addons/, requirements.txt, setup.py,
# setup.cfg and setup/. With --git-dir/--commit those are taken from a commit of a
# (bare) git directory with `git archive`. Only those seven are copied to $ODOO_PATH.
#
# Then $ODOO_PATH/venv is created with python3.11 (IPP_ODOO_VENV_PYTHON to change)
# and receives Odoo's requirements.txt, with psycopg2-binary instead of psycopg2
# (no libpq headers needed) and without python-ldap, plus requirements-odoo.txt,
# and the tree itself as the `odoo` distribution (pip install --no-deps -e
# $ODOO_PATH), which the wheels of addons (odoo-addon-*) require.
#
# Idempotent: when $ODOO_PATH already holds a working Odoo 19 it only adds what is
# missing of the `odoo` distribution (setup.py, setup.cfg and setup/ from the
# source when given, then the editable install), unless --force (which replaces the
# copied entries and the venv).

set -euo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

force=0 source_tree="" git_dir="" commit=""
while (($#)); do
    case "$1" in
    --force) force=1 ;;
    --git-dir)
        git_dir="${2:?--git-dir needs a directory}"
        shift
        ;;
    --commit)
        commit="${2:?--commit needs a commit}"
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    -*) ipp_die "unknown option $1 (see --help)" ;;
    *)
        [[ -z "$source_tree" ]] || ipp_die "only one SOURCE_TREE, please"
        source_tree="$1"
        ;;
    esac
    shift
done

if [[ -n "${ODOO_PYTHON:-}" && "$ODOO_PYTHON" != "$ODOO_PATH/venv/bin/python" ]]; then
    ipp_warn "ODOO_PYTHON=$ODOO_PYTHON is ignored here: this script installs $ODOO_PATH/venv"
fi
ODOO_PYTHON="$ODOO_PATH/venv/bin/python"
export ODOO_PYTHON

odoo_entries=(odoo addons odoo-bin requirements.txt)
# What pip needs to install the tree as the `odoo` distribution.
packaging_entries=(setup.py setup.cfg setup)

# extract ENTRY...: copy entries of the source (tree or git commit) to $ODOO_PATH.
extract() {
    if [[ -n "$source_tree" ]]; then
        ipp_say "copying $* from $source_tree to $ODOO_PATH"
        tar -C "$source_tree" --exclude='__pycache__' --exclude='*.pyc' -cf - "$@" | tar -x -C "$ODOO_PATH"
    else
        git --git-dir "$git_dir" cat-file -e "$commit^{commit}" 2>/dev/null ||
            ipp_die "no commit $commit in $git_dir"
        ipp_say "extracting $* of $commit from $git_dir to $ODOO_PATH"
        # A snapshot without some large blobs elsewhere in the tree makes git print
        # "error: invalid object ..." for them; the entries are checked afterwards.
        git --git-dir "$git_dir" archive "$commit" "$@" | tar -x -C "$ODOO_PATH"
    fi
}

# install_odoo_distribution: $ODOO_PATH into its venv as the `odoo` distribution.
install_odoo_distribution() {
    ensure_odoo_distribution || ipp_die "could not install $ODOO_PATH as the odoo distribution into $ODOO_PYTHON"
}

if [[ -n "$git_dir" || -n "$commit" ]]; then
    [[ -n "$git_dir" && -n "$commit" ]] || ipp_die "--git-dir and --commit go together"
    [[ -z "$source_tree" ]] || ipp_die "give either SOURCE_TREE or --git-dir/--commit, not both"
fi

if ((!force)) && odoo_available; then
    version="$("$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" --version 2>/dev/null)"
    if odoo_distribution_installed; then
        ipp_say "$ODOO_PATH already holds a working Odoo 19 ($version), installed as the odoo distribution: nothing to do (--force to reinstall)"
        exit 0
    fi
    ipp_say "$ODOO_PATH holds a working Odoo 19 ($version), not yet installed as the odoo distribution"
    missing=()
    for entry in "${packaging_entries[@]}"; do
        [[ -e "$ODOO_PATH/$entry" ]] || missing+=("$entry")
    done
    if ((${#missing[@]})); then
        [[ -n "$source_tree" || -n "$git_dir" ]] ||
            ipp_die "$ODOO_PATH lacks ${missing[*]}: run again with the Odoo source (SOURCE_TREE or --git-dir/--commit)"
        extract "${missing[@]}"
    fi
    install_odoo_distribution
    exit 0
fi

if [[ -z "$source_tree" && -z "$git_dir" ]]; then
    ipp_say "no working Odoo 19 at $ODOO_PATH (${IPP_ODOO_UNAVAILABLE_REASON:-not checked}) and no source given."
    echo
    usage
    echo
    ipp_odoo_install_help
    exit 2
fi

venv_python="${IPP_ODOO_VENV_PYTHON:-python3.11}"
command -v "$venv_python" >/dev/null 2>&1 ||
    ipp_die "$venv_python not found: Odoo 19's requirements.txt pins work on Python 3.11"

command -v tar >/dev/null 2>&1 || ipp_die "tar is needed"
if [[ -n "$source_tree" ]]; then
    [[ -d "$source_tree" ]] || ipp_die "$source_tree is not a directory"
    for entry in "${odoo_entries[@]}" "${packaging_entries[@]}"; do
        [[ -e "$source_tree/$entry" ]] || ipp_die "$source_tree has no $entry: not an Odoo source tree"
    done
    grep -qE '^version_info = \(19, 0,' "$source_tree/odoo/release.py" ||
        ipp_die "$source_tree/odoo/release.py is not Odoo 19.0"
else
    git --git-dir "$git_dir" cat-file -e "$commit^{commit}" 2>/dev/null ||
        ipp_die "no commit $commit in $git_dir"
    git --git-dir "$git_dir" show "$commit:odoo/release.py" 2>/dev/null | grep -qE '^version_info = \(19, 0,' ||
        ipp_die "odoo/release.py of $commit in $git_dir is not Odoo 19.0"
fi

mkdir -p "$ODOO_PATH"
same_tree=0
if [[ -n "$source_tree" && "$(realpath "$source_tree")" == "$(realpath "$ODOO_PATH")" ]]; then
    same_tree=1
    ipp_say "the source is ODOO_PATH itself: keeping its files, (re)creating only the venv"
fi

if ((!same_tree)); then
    if ((force)); then
        ipp_say "--force: removing the previous ${odoo_entries[*]} ${packaging_entries[*]} and venv from $ODOO_PATH"
        for entry in "${odoo_entries[@]}" "${packaging_entries[@]}" venv; do
            rm -rf "${ODOO_PATH:?}/$entry"
        done
    fi
    extract "${odoo_entries[@]}" "${packaging_entries[@]}"
fi
for entry in "${odoo_entries[@]}" "${packaging_entries[@]}"; do
    [[ -e "$ODOO_PATH/$entry" ]] || ipp_die "$ODOO_PATH/$entry is missing after the copy"
done
grep -qE '^version_info = \(19, 0,' "$ODOO_PATH/odoo/release.py" ||
    ipp_die "$ODOO_PATH/odoo/release.py is not Odoo 19.0"

if ((force)) && [[ -d "$ODOO_PATH/venv" ]]; then
    rm -rf "${ODOO_PATH:?}/venv"
fi
if [[ ! -x "$ODOO_PATH/venv/bin/python" ]]; then
    ipp_say "creating $ODOO_PATH/venv with $("$venv_python" --version 2>&1)"
    "$venv_python" -m venv "$ODOO_PATH/venv"
fi

# Odoo's requirements, adapted: psycopg2 -> psycopg2-binary, python-ldap dropped.
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
sed -E -e 's/^psycopg2([=<>!~ ;]|$)/psycopg2-binary\1/' -e '/^python-ldap([=<>!~ ;]|$)/d' \
    "$ODOO_PATH/requirements.txt" >"$requirements"
ipp_say "installing Odoo's requirements.txt (psycopg2-binary, no python-ldap) into $ODOO_PATH/venv; this takes a few minutes"
"$ODOO_PYTHON" -m pip install -q --disable-pip-version-check -r "$requirements"

ensure_odoo_python_packages
install_odoo_distribution

if odoo_available; then
    ipp_say "Odoo 19 is ready: $("$ODOO_PYTHON" "$ODOO_PATH/odoo-bin" --version 2>/dev/null) at $ODOO_PATH, interpreter $ODOO_PYTHON"
else
    ipp_die "the installed Odoo does not start: $IPP_ODOO_UNAVAILABLE_REASON"
fi
