#!/usr/bin/env bash
# Fails on any swift-format finding (the repository's .swift-format: 2 spaces, 100 columns, …)
# over every Swift file of the tree except the generated code, which protoc's plugins write
# (scripts/generate-protos.sh) and `make check-generated` compares byte for byte.
# `swift format format -i` fixes most findings.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find . -name '*.swift' -not -path './.build*' -not -path './Shared/API/Generated/*' | sort)
swift format lint --strict "${files[@]}"
echo "lint: ${#files[@]} files, no findings"
