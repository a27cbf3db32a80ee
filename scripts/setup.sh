#!/usr/bin/env bash
# Installs what SafeMap needs from Debian's packages when it is missing: PostgreSQL (server
# binaries for the private cluster of `make run` and the tests), libargon2-dev (password
# hashing), pkg-config, openssl (test and deployment certificates), libjs-leaflet and
# libjs-leaflet.markercluster (the web map); with --tests, chromium and chromium-driver (the
# browser tests); with --protoc,
# protobuf-compiler and libprotobuf-dev (only for regenerating Shared/API); with --tests, the
# test tools from PyPI (Tests/requirements.txt) into a virtual environment in
# .build-python. Safe to run again: it installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

want_protoc=false
want_tests=false
for flag in "$@"; do
  case "$flag" in
    --protoc) want_protoc=true ;;
    --tests) want_tests=true ;;
    *) echo "setup: unknown option $flag (--protoc, --tests)" >&2; exit 2 ;;
  esac
done

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.3 toolchain needed)" >&2; exit 1; }

missing=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
{ [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; } || command -v initdb >/dev/null || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -f /usr/include/argon2.h ] || missing+=(libargon2-dev)
# web-service gzips the public map (compress-nio builds against zlib).
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
# The TLS tests mint a throwaway CA and certificates with openssl; deploy/tls/ uses it too.
command -v openssl >/dev/null || missing+=(openssl)
# web-service serves Leaflet and its marker-cluster plugin from Debian's packages (no CDN, no npm).
[ -f /usr/share/javascript/leaflet/leaflet.js ] || missing+=(libjs-leaflet)
[ -f /usr/share/javascript/leaflet/leaflet.markercluster.js ] || missing+=(libjs-leaflet.markercluster)
# The browser tests drive Debian's headless Chromium through its WebDriver.
$want_tests && ! command -v chromium >/dev/null && missing+=(chromium)
$want_tests && ! command -v chromedriver >/dev/null && missing+=(chromium-driver)
$want_protoc && ! command -v protoc >/dev/null && missing+=(protobuf-compiler)
# The well-known types (google/protobuf/timestamp.proto, …) that Proto/ imports: Debian ships
# them in libprotobuf-dev, which protobuf-compiler only recommends.
$want_protoc && [ ! -f /usr/include/google/protobuf/timestamp.proto ] && missing+=(libprotobuf-dev)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if $want_tests; then
  requirements=Tests/requirements.txt
  stamp=.build-python/installed.txt
  if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
    command -v python3 >/dev/null || { echo "setup: python3 is needed for the tests" >&2; exit 1; }
    echo "setup: installing the test tools from PyPI into .build-python"
    python3 -m venv .build-python
    .build-python/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
  fi
  # DeploymentTests renders deploy/kubernetes with kubectl's built-in kustomize (1.27 or later),
  # which Debian does not package at that version: it is on the development machines.
  kubectl kustomize --help >/dev/null 2>&1 \
    || echo "setup: kubectl 1.27+ is missing: DeploymentTests will fail until it is installed" >&2
fi
echo "setup: ready"
