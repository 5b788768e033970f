#!/bin/sh
# Builds wasm/eigen.wasm from wasm/eigen.c (clang ≥ 14 with the wasm32 target and wasm-ld).
# The built file is committed, so installing the package needs no compiler;
# test/accel/eigen-wasm.test.ts checks that it matches a rebuild when clang is present.
set -eu
cd "$(dirname "$0")"
CLANG="${CLANG:-clang}"
OUT="${1:-eigen.wasm}"
"$CLANG" --target=wasm32 -msimd128 -O3 -nostdlib -ffreestanding -fno-builtin-memset \
  -Wl,--no-entry -Wl,--export=__heap_base -Wl,--strip-all -Wl,-z,stack-size=65536 \
  -o "$OUT" eigen.c
