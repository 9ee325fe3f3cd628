#!/usr/bin/env bash
# Install code-server (VS Code in the browser) from the npm registry for the extension's
# in-editor test (tests/browser/test_vscode_extension.py). Usage, as root on Debian:
#   bash editors/vscode/scripts/install-code-server.sh [PREFIX]    # default /opt/code-server-4.100.3
# then CODE_SERVER=PREFIX/bin/code-server. Safe to run again: an installed PREFIX is kept.
#
# Why not plain `npm install code-server`: its postinstall builds VS Code's native modules
# (node-pty, spdlog, kerberos, …) and downloads ripgrep from GitHub, which this project's machines
# cannot reach. So the packages come from the npm registry without their scripts, ripgrep comes
# from Debian, and the native modules are built here against the machine's Node.js headers.
set -euo pipefail

VERSION=4.100.3 # the last code-server whose postinstall accepts Node.js 20 (4.104 wants 22)
PREFIX=${1:-/opt/code-server-$VERSION}
BIN="$PREFIX/bin/code-server"

if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "code-server $VERSION is installed: $BIN"
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  echo "code-server $VERSION needs Node.js 20 (found $(node --version))" >&2
  exit 1
fi

# Compilers and the headers VS Code's native modules include; ripgrep for its search.
missing=()
for pkg in g++ make pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep git; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

# node-gyp builds against the installed Node.js headers instead of downloading them, and may
# fetch its own package from the npm registry without asking.
export npm_config_nodedir=/usr npm_config_yes=true
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

rm -rf "$PREFIX"
mkdir -p "$PREFIX"
cd "$PREFIX"
npm init -y >/dev/null
npm install --ignore-scripts --save-exact "code-server@$VERSION"
npm rebuild argon2 # code-server's own native module (password hashing)

cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg # its postinstall then skips GitHub
nice npm rebuild --omit=dev
# What code-server's postinstall.sh does after installing the modules.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev)

mkdir -p "$PREFIX/bin"
ln -sf "$PREFIX/node_modules/.bin/code-server" "$BIN"
"$BIN" --version
echo "code-server $VERSION is installed: $BIN"
