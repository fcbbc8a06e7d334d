#!/usr/bin/env bash
# Quick start, command 1: installs whatever is missing, then runs a local QSFS node with
# embedded defaults. Until qsfs-cli exists, that node is one zdb-server on localhost.
#   QSFS_HOME (default ./.qsfs-local) holds its data; QSFS_PORT (default 9900) its port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

home=${QSFS_HOME:-$PWD/.qsfs-local}
port=${QSFS_PORT:-9900}
mkdir -p "$home"
cat >&2 <<MSG

A zdb-server is starting on 127.0.0.1:$port, data in $home. From another shell:
  redis-cli -p $port PING
  redis-cli -p $port SET hello world
  redis-cli -p $port GET hello
  redis-cli -p $port INFO
Stop it with Ctrl-C.

MSG
exec node packages/zdb-server/dist/cli.js --listen 127.0.0.1 --port "$port" \
  --data "$home/zdb-data" --index "$home/zdb-index"
