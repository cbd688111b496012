#!/usr/bin/env bash
# Installs the real tools the integration tests use when they are missing:
# Debian's prometheus (with promtool) and prometheus-alertmanager (with amtool).
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tools: missing ${need[*]} and cannot apt-get here; tests that need them will skip" >&2
  exit 0
fi
echo "install-tools: apt-get install ${need[*]}"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
