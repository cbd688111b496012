#!/usr/bin/env bash
# Builds the AWS Lambda Runtime Interface Emulator (aws-lambda-rie) from the Go module proxy
# into .build/aws-lambda-rie, and our collector extension wrapper (scripts/lambda-extension,
# standard library only) into .build/aurastream-lambda-extension, for running Lambda handlers
# locally without Docker, collectorless or with the collector as an external extension:
#   .build/aws-lambda-rie --runtime-interface-emulator-address 127.0.0.1:9000 \
#     --runtime-api-address 127.0.0.1:9001 python -m awslambdaric module.handler
# Nothing from the emulator's repository is kept here: `go install module@version` fetches it
# from the module proxy (GOPROXY, without the `direct` fallback). The binary is cached outside
# the repository, keyed by this script, the version and `go version`, so a second run is a copy.
# Needs go >= 1.26.6 (the module's go line; an older go fetches that toolchain from the proxy).
set -euo pipefail

RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
# The proxy serves this pseudo-version (a commit of the main branch), not the v1.x release tags.
RIE_VERSION=${RIE_VERSION:-v0.0.0-20261030222936-bef5c4ba774d}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="$repo_root/.build/aws-lambda-rie"
cache_root=${AURASTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aurastream}

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH=/usr/local/go/bin:$PATH # the official tarball's place, not always on a bare PATH
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-lambda-rie: go not found on PATH nor in /usr/local/go/bin (install Go >= 1.26.6)" >&2
  exit 1
fi

go_version=$(go version)
key=$(
  {
    cat "${BASH_SOURCE[0]}"
    printf '%s\n' "$RIE_MODULE@$RIE_VERSION" "$go_version"
  } | sha256sum | cut -c1-16
)
cached="$cache_root/lambda-rie/$key/aws-lambda-rie"

install_copy() {
  mkdir -p "$(dirname "$out")"
  cp "$cached" "$out.tmp.$$"
  mv -f "$out.tmp.$$" "$out"
}

# The extension wrapper: a local build of our own source (no module download), cached by the
# hash of its source and the Go version like the emulator.
build_extension() {
  local src="$repo_root/scripts/lambda-extension" ext_out="$repo_root/.build/aurastream-lambda-extension"
  local ext_key ext_cached
  ext_key=$(cat "$src/go.mod" "$src/main.go" <(printf '%s\n' "$go_version") | sha256sum | cut -c1-16)
  ext_cached="$cache_root/lambda-extension/$ext_key/aurastream-lambda-extension"
  if [ ! -x "$ext_cached" ]; then
    mkdir -p "$(dirname "$ext_cached")"
    GOTOOLCHAIN=local CGO_ENABLED=0 \
      go build -C "$src" -trimpath -ldflags='-s -w' -o "$ext_cached.tmp.$$" .
    mv -f "$ext_cached.tmp.$$" "$ext_cached"
    echo "aurastream-lambda-extension: built -> .build/aurastream-lambda-extension"
  fi
  mkdir -p "$(dirname "$ext_out")"
  cp "$ext_cached" "$ext_out.tmp.$$"
  mv -f "$ext_out.tmp.$$" "$ext_out"
}
build_extension

if [ -x "$cached" ]; then
  install_copy
  echo "aws-lambda-rie $RIE_VERSION: cache hit ($cached) -> .build/aws-lambda-rie"
  exit 0
fi

# Proxy only: drop a `direct` fallback (which would clone the repository) from GOPROXY.
proxy=$(go env GOPROXY | tr ',|' '\n\n' | grep -v -x -e direct -e '' | paste -sd, - || true)
proxy=${proxy:-https://proxy.golang.org}

mkdir -p "$cache_root/lambda-rie"
work=$(mktemp -d "$cache_root/lambda-rie/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT

start=${EPOCHREALTIME/,/.}
if ! GOPROXY="$proxy" GOBIN="$work/bin" CGO_ENABLED=0 \
  go install -trimpath -ldflags='-s -w' "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION" \
  >"$work/build.log" 2>&1; then
  cat "$work/build.log" >&2
  echo "build-lambda-rie: go install $RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION failed (GOPROXY=$proxy)" >&2
  exit 1
fi
end=${EPOCHREALTIME/,/.}

mkdir -p "$(dirname "$cached")"
mv -f "$work/bin/aws-lambda-rie" "$cached.tmp.$$"
mv -f "$cached.tmp.$$" "$cached"
install_copy
awk -v s="$start" -v e="$end" -v v="$RIE_VERSION" -v go="$(go env GOVERSION)" \
  'BEGIN { printf "aws-lambda-rie %s: built in %.1f s (%s, CGO_ENABLED=0) -> .build/aws-lambda-rie\n", v, e - s, go }'
