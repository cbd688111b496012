#!/usr/bin/env bash
# Builds our OpenTelemetry Collector distribution (collector/build/manifest.yaml) with the
# OpenTelemetry Collector Builder (OCB) into .build/otelcol-aurastream.
#
# The build happens outside the repo, in a cache keyed by the sha256 of the manifest, this
# script, the Go version and the Go settings that change the binary:
#   ${AURASTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aurastream}/otelcol-<key>/
# so a second run is a hard link (or copy) and a changed manifest rebuilds.
# Prints one line: cache hit, or how long the build took.
set -euo pipefail

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
cd "$(dirname "$SELF")/.."

BUILDER_VERSION=v0.152.0 # keep at the manifest's collector release
MANIFEST=collector/build/manifest.yaml
NAME=otelcol-aurastream
OUT=.build/$NAME
CACHE_ROOT=${AURASTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aurastream}

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH=/usr/local/go/bin:$PATH # the official tarball's place, not always on a bare PATH
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-collector: go not found on PATH (nor in /usr/local/go/bin)" >&2
  exit 1
fi

# OCB builds with CGO_ENABLED=0, -trimpath and -ldflags='-s -w' by default; GOFLAGS
# (e.g. -buildvcs=false) from the environment is passed through to the go command.
export CGO_ENABLED=0

key=$(
  {
    cat "$MANIFEST" "$SELF"
    go env GOVERSION GOOS GOARCH GOAMD64 GOARM64 GOFLAGS
  } | sha256sum | cut -c1-16
)
entry=$CACHE_ROOT/otelcol-$key
mkdir -p "$CACHE_ROOT" .build

install_output() {
  # Hard link when the cache is on the same filesystem (instant), else copy; atomic rename.
  if [ "$OUT" -ef "$entry/$NAME" ]; then
    return 0 # already this very file
  fi
  local tmp=$OUT.tmp.$$
  ln -f "$entry/$NAME" "$tmp" 2>/dev/null || cp -f "$entry/$NAME" "$tmp"
  mv -f "$tmp" "$OUT" || {
    rm -f "$tmp"
    return 1
  }
}

if [ -x "$entry/$NAME" ]; then
  install_output
  touch "$entry" # newest-used first when pruning
  echo "build-collector: cache hit ($entry) -> $OUT"
  exit 0
fi

start=$(date +%s%N)

# The builder itself, pinned at the manifest's release, installed into the cache.
builder=$CACHE_ROOT/ocb-$BUILDER_VERSION/builder
if [ ! -x "$builder" ]; then
  if ! GOBIN=$CACHE_ROOT/ocb-$BUILDER_VERSION go install -trimpath -ldflags='-s -w' \
    "go.opentelemetry.io/collector/cmd/builder@$BUILDER_VERSION" >"$CACHE_ROOT/ocb-install.log" 2>&1; then
    echo "build-collector: go install of the builder failed:" >&2
    cat "$CACHE_ROOT/ocb-install.log" >&2
    exit 1
  fi
fi

work=$CACHE_ROOT/otelcol-$key.tmp.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
# Same manifest with dist.output_path pointed at the cache entry's sources.
sed "s|^  output_path: .*|  output_path: $work/src|" "$MANIFEST" >"$work/manifest.yaml"
if ! grep -q "^  output_path: $work/src\$" "$work/manifest.yaml"; then
  echo "build-collector: could not set dist.output_path in a copy of $MANIFEST" >&2
  exit 1
fi

# --skip-strict-versioning=false: fail if dependency resolution moved any component (or the
# core) off the manifest's release instead of quietly mixing releases.
if ! "$builder" --config="$work/manifest.yaml" --skip-strict-versioning=false >"$work/build.log" 2>&1; then
  cp "$work/build.log" "$CACHE_ROOT/last-failed-build.log" 2>/dev/null || true
  echo "build-collector: ocb failed; last lines of its log ($CACHE_ROOT/last-failed-build.log):" >&2
  tail -n 40 "$work/build.log" >&2
  exit 1
fi
mv "$work/src/$NAME" "$work/$NAME"
# The entry keeps the binary, the generated sources with their go.mod/go.sum, and build.log.
if ! mv -T "$work" "$entry" 2>/dev/null; then
  rm -rf "$work" # another run finished the same key first
fi
trap - EXIT

# Keep the three newest cache entries.
find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -name 'otelcol-????????????????' -printf '%T@ %p\n' |
  sort -rn | tail -n +4 | cut -d' ' -f2- | while IFS= read -r old; do rm -rf "$old"; done

rm -f "$CACHE_ROOT/last-failed-build.log"
install_output
end=$(date +%s%N)
secs=$(((end - start) / 1000000000))
echo "build-collector: built $OUT in ${secs}s ($(go env GOVERSION), ocb $BUILDER_VERSION, cache $entry)"
