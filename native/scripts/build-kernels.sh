#!/bin/sh
# Builds native/kernels/*.cl into native/kernels/xpuscope.spv (committed; normal builds need no clang).
# Needs clang (OpenCL C -> LLVM bitcode for spir64) and llvm-spirv-14 (bitcode -> SPIR-V 1.0).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CLANG=${CLANG:-clang}
LLVM_SPIRV=${LLVM_SPIRV:-llvm-spirv-14}
bcs=""
for cl in "$here"/kernels/*.cl; do
  base=$(basename "$cl" .cl)
  "$CLANG" -cc1 -triple spir64-unknown-unknown -cl-std=CL1.2 -finclude-default-header -O2 -emit-llvm-bc -o "$tmp/$base.bc" "$cl"
  bcs="$bcs $tmp/$base.bc"
done
# one module holding every kernel
if [ "$(echo $bcs | wc -w)" -gt 1 ]; then
  llvm-link-14 -o "$tmp/all.bc" $bcs
else
  cp $bcs "$tmp/all.bc"
fi
"$LLVM_SPIRV" --spirv-max-version=1.2 "$tmp/all.bc" -o "$here/kernels/xpuscope.spv"
echo "built $here/kernels/xpuscope.spv ($(wc -c < "$here/kernels/xpuscope.spv") bytes)"
