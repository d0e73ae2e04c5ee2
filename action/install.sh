#!/usr/bin/env bash
# Installs the postwright binary for the runner: a pinned release asset,
# checked against its published SHA-256, or — when the release has no asset
# for this platform, or version is "source" — `cargo install --locked` from
# the action's own source. The binary lands in ~/.postwright/bin (cached by
# the action between runs) and that folder goes on GITHUB_PATH.
#
# Environment: INPUT_VERSION, ACTION_PATH (the action's checkout),
# RUNNER_OS/RUNNER_ARCH (set by the runner). POSTWRIGHT_BIN, when set,
# is a ready binary to use instead (tests, self-built runners).
# POSTWRIGHT_RELEASES overrides the release download base URL.
set -euo pipefail

version="${INPUT_VERSION:-0.1.0}"
dest="${POSTWRIGHT_INSTALL_DIR:-$HOME/.postwright/bin}"
exe=postwright
[ "${RUNNER_OS:-}" = "Windows" ] && exe=postwright.exe
mkdir -p "$dest"

publish_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$dest" >> "$GITHUB_PATH"
  fi
  echo "postwright: $("$dest/$exe" --version)"
}

if [ -n "${POSTWRIGHT_BIN:-}" ]; then
  cp "$POSTWRIGHT_BIN" "$dest/$exe"
  chmod +x "$dest/$exe"
  publish_path
  exit 0
fi

if [ -x "$dest/$exe" ] && [ "$version" != "source" ] \
  && "$dest/$exe" --version | grep -qx "postwright $version"; then
  echo "postwright $version from the cache"
  publish_path
  exit 0
fi

from_source() {
  echo "building postwright from the action's source with cargo (this takes a few minutes)"
  cargo install --locked --path "$ACTION_PATH" --root "$dest/.." --force
  publish_path
}

if [ "$version" = "source" ]; then
  from_source
  exit 0
fi

case "${RUNNER_OS:-Linux}-${RUNNER_ARCH:-X64}" in
  Linux-X64) target=x86_64-unknown-linux-musl ;;
  Linux-ARM64) target=aarch64-unknown-linux-musl ;;
  macOS-X64) target=x86_64-apple-darwin ;;
  macOS-ARM64) target=aarch64-apple-darwin ;;
  Windows-X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac

base="${POSTWRIGHT_RELEASES:-https://github.com/postwright/postwright/releases/download}/v$version"
asset="postwright-v$version-$target.tar.gz"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ -n "$target" ] \
  && curl -fsSL --retry 3 -o "$tmp/$asset" "$base/$asset" \
  && curl -fsSL --retry 3 -o "$tmp/$asset.sha256" "$base/$asset.sha256"; then
  expected="$(cut -d' ' -f1 < "$tmp/$asset.sha256")"
  if command -v sha256sum >/dev/null; then
    actual="$(sha256sum "$tmp/$asset" | cut -d' ' -f1)"
  else
    actual="$(shasum -a 256 "$tmp/$asset" | cut -d' ' -f1)"
  fi
  if [ "$expected" != "$actual" ]; then
    echo "::error title=postwright install::checksum mismatch for $asset (expected $expected, got $actual)"
    exit 1
  fi
  tar -xzf "$tmp/$asset" -C "$tmp"
  cp "$tmp/$exe" "$dest/$exe"
  chmod +x "$dest/$exe"
  publish_path
else
  echo "no release asset $asset at $base; falling back to cargo install"
  from_source
fi
