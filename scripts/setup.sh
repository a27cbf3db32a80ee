#!/usr/bin/env bash
# Installs what SafeMap needs from Debian's packages when it is missing: PostgreSQL (server
# binaries for the private cluster of `make run` and the tests), libargon2-dev (password
# hashing), pkg-config, openssl (test and deployment certificates), and protobuf-compiler with libprotobuf-dev when --protoc is given (only
# for regenerating Shared/API). Safe to run again: it installs nothing that is already there.
set -euo pipefail

want_protoc=false
[ "${1:-}" = "--protoc" ] && want_protoc=true

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.3 toolchain needed)" >&2; exit 1; }

missing=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
{ [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; } || command -v initdb >/dev/null || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -f /usr/include/argon2.h ] || missing+=(libargon2-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
# The TLS tests mint a throwaway CA and certificates with openssl; deploy/tls/ uses it too.
command -v openssl >/dev/null || missing+=(openssl)
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
echo "setup: ready"
