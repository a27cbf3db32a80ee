#!/usr/bin/env bash
# Regenerates Shared/API from Proto/ with protoc and the Swift plugins built from the pinned
# packages (in their own scratch folder, so the main build never compiles them).
# Usage: scripts/generate-protos.sh [--check]   (--check fails if the committed code differs)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc missing: apt-get install protobuf-compiler" >&2; exit 1; }
SCRATCH=.build-protoc
swift build --scratch-path "$SCRATCH" --product protoc-gen-swift >/dev/null
swift build --scratch-path "$SCRATCH" --product protoc-gen-grpc-swift-2 >/dev/null
BIN=$(swift build --scratch-path "$SCRATCH" --show-bin-path)

OUT=Shared/API/Generated
rm -rf "$OUT" && mkdir -p "$OUT"
mapfile -t PROTOS < <(cd Proto && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
OPTS=Visibility=Public,UseAccessLevelOnImports=true,FileNaming=PathToUnderscores
(cd Proto && protoc --plugin="$BIN/protoc-gen-swift" -I . \
  --swift_out="../$OUT" --swift_opt="$OPTS" "${PROTOS[@]}")
SERVICES=$(cd Proto && grep -l '^service ' "${PROTOS[@]}")
(cd Proto && protoc --plugin="$BIN/protoc-gen-grpc-swift-2" -I . \
  --grpc-swift-2_out="../$OUT" --grpc-swift-2_opt="$OPTS,Server=true,Client=true" $SERVICES)

if [ "${1:-}" = "--check" ]; then
  git diff --exit-code -- "$OUT" && [ -z "$(git status --porcelain -- "$OUT")" ] \
    || { echo "Shared/API/Generated is out of date: run scripts/generate-protos.sh" >&2; exit 1; }
fi
echo "generated $(ls "$OUT" | wc -l) files into $OUT"
