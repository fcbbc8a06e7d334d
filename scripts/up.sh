#!/usr/bin/env bash
# Quick start, command 1: installs whatever is missing, then runs a whole QSFS node on this
# machine with the embedded default (`qsfs init --local 4`: four backend zdbs run by the node
# itself), in the foreground. Ctrl-C unmounts, uploads what is pending and stops.
#   QSFS_DIR (default ./.qsfs-local) is the node directory; any arguments go to `qsfs up`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export QSFS_DIR=${QSFS_DIR:-$PWD/.qsfs-local}
qsfs=(node packages/qsfs-cli/dist/cli/main.js)
if [ ! -f "$QSFS_DIR/qsfs.toml" ]; then
  "${qsfs[@]}" init --dir "$QSFS_DIR"
fi
cat >&2 <<MSG

From another shell:
  cp some-file $QSFS_DIR/mnt/          # write into QSFS
  ${qsfs[*]} status --dir $QSFS_DIR
  ${qsfs[*]} check --deep --dir $QSFS_DIR
  ${qsfs[*]} down --dir $QSFS_DIR        # or Ctrl-C here
The status page is at the address printed below.

MSG
exec "${qsfs[@]}" up --dir "$QSFS_DIR" "$@"
