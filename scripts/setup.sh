#!/usr/bin/env bash
# Installs whatever this checkout needs and is missing, then builds it. Idempotent: on a
# machine that has everything it only checks, installs workspace dependencies and builds.
# Needs Debian/Ubuntu with Node.js >= 20 (root, or sudo, for the system packages).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# System packages: libfuse2 (fuse-native loads libfuse.so.2), fuse3 (fusermount), a C/C++
# toolchain and python3 (node-gyp builds the native addons), redis-server and redis-tools
# (protocol peer and benchmark baseline of the tests), chromium (headless browser of the qsfs
# status page tests, driven by playwright-core, which downloads no browser of its own), wabt
# (wat2wasm: a test checks the committed WebAssembly GF(2^8) kernel of zstor-codec against its
# source).
APT_PACKAGES=(libfuse2 fuse3 build-essential python3 redis-server redis-tools fio chromium wabt)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing system packages: ${missing[*]} (and no apt-get to install them)"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "missing system packages: ${missing[*]}; run as root or install them"
    sudo=(sudo)
  fi
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  # policy-rc.d keeps the redis-server package from starting a system-wide service.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

command -v node >/dev/null || die "Node.js >= 20 is required (https://nodejs.org)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "Node.js >= 20 is required, found $(node --version)"

PNPM_VERSION=12.21.0
if ! command -v pnpm >/dev/null || [[ $(pnpm --version 2>/dev/null) != "$PNPM_VERSION" ]]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

# node-gyp cannot download Node headers offline; use the system's when it has them.
if [[ -z ${npm_config_nodedir:-} && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

say "installing workspace dependencies"
pnpm install --frozen-lockfile --reporter=silent
say "building"
pnpm -s turbo run build --output-logs=errors-only
