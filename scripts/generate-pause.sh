#!/usr/bin/env bash
# Prints the machine code of the pause program for each architecture, as the hex strings
# that Sources/OCIImage/PauseImage.swift holds: assembled by clang (the Swift toolchain's)
# from Sources/OCIImage/pause/pause-<arch>.S, the .text section alone.
set -euo pipefail
cd "$(dirname "$0")/../Sources/OCIImage/pause"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for arch in x86_64 aarch64; do
  clang --target="$arch-linux-gnu" -c "pause-$arch.S" -o "$tmp/$arch.o"
  llvm-objcopy -O binary -j .text "$tmp/$arch.o" "$tmp/$arch.bin" 2>/dev/null \
    || objcopy -O binary -j .text "$tmp/$arch.o" "$tmp/$arch.bin"
  echo "$arch: $(od -An -v -tx1 "$tmp/$arch.bin" | tr -d ' \n')"
done
