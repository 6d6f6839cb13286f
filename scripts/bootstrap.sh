#!/bin/sh
# Prepare this machine for `make run` (PostGIS) or `make test` (also Chromium and GDAL's command-line tools),
# then a virtualenv in .venv with the project installed. Idempotent; as root it installs missing Debian
# packages with apt-get, otherwise it names them.
set -eu
cd "$(dirname "$0")/.."
purpose="${1:-run}"

packages="postgresql-postgis libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"  # pango: PDFs (WeasyPrint)
if [ "$purpose" = "test" ]; then
    packages="$packages chromium gdal-bin poppler-utils nodejs"  # nodejs: tests/test_ogc_client.py
fi

missing=""
for package in $packages; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
        echo "installing Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        # shellcheck disable=SC2086
        apt-get install -y -q --no-install-recommends $missing >/dev/null
    else
        echo "missing Debian packages:$missing -- run: sudo apt-get install$missing" >&2
        exit 1
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=".venv/.installed-$purpose"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    if [ "$purpose" = "test" ]; then
        .venv/bin/python -m pip install -q -e ".[test]"
    else
        .venv/bin/python -m pip install -q -e .
    fi
    touch "$stamp"
fi
