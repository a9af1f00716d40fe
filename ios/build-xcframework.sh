#!/usr/bin/env bash
# Builds SilbatoCoreFFI.xcframework: silbato-ffi as a static library for iOS devices
# (aarch64-apple-ios) and the simulator (aarch64-apple-ios-sim + x86_64-apple-ios, joined with
# lipo), with the UniFFI header and module map, for the SilbatoCoreFFI binary target in
# Package.swift.
#
# Prerequisites (macOS only):
#   - Xcode 16 with its command line tools selected (xcode-select -p)
#   - rustup with the targets:
#       rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   - the generated bindings: ../scripts/generate-bindings writes Sources/SilbatoCore/*.swift
#     and Sources/SilbatoCoreFFI/silbato_ffiFFI.{h,modulemap}. Generate them from the same
#     sources as this build, or the Swift side stops at its API checksum check.
#
# Environment:
#   IPHONEOS_DEPLOYMENT_TARGET  minimum iOS version compiled for (default 16.0, as Package.swift)
#   CARGO_TARGET_DIR            cargo's target directory (default ../target)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
ffi_dir="$here/Sources/SilbatoCoreFFI"
out="$here/SilbatoCoreFFI.xcframework"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
stage="$target_dir/silbato-xcframework"
lib="libsilbato_ffi.a"
device_target="aarch64-apple-ios"
sim_targets=(aarch64-apple-ios-sim x86_64-apple-ios)

export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-16.0}"

fail() {
    echo "build-xcframework: $*" >&2
    exit 1
}

[[ "$(uname -s)" == "Darwin" ]] || fail "needs macOS with Xcode"
for tool in cargo rustup xcodebuild lipo; do
    command -v "$tool" >/dev/null || fail "'$tool' not found"
done
installed="$(rustup target list --installed)"
for t in "$device_target" "${sim_targets[@]}"; do
    grep -qx "$t" <<<"$installed" || fail "missing Rust target $t: rustup target add $t"
done

header="$ffi_dir/silbato_ffiFFI.h"
modulemap="$ffi_dir/silbato_ffiFFI.modulemap"
[[ -f "$header" && -f "$modulemap" ]] ||
    fail "no generated header/modulemap in $ffi_dir: run ../scripts/generate-bindings first"
grep -q '^module SilbatoCoreFFI' "$modulemap" ||
    fail "$modulemap does not declare 'module SilbatoCoreFFI' (a static library needs a plain module, not a framework module)"

for t in "$device_target" "${sim_targets[@]}"; do
    echo "==> silbato-ffi for $t"
    cargo rustc \
        --manifest-path "$root/Cargo.toml" \
        --package silbato-ffi \
        --lib \
        --profile mobile \
        --target "$t" \
        --crate-type staticlib
done

rm -rf "$stage"
mkdir -p "$stage/include" "$stage/ios" "$stage/ios-simulator"

# The module map must be called module.modulemap for Clang to find it in the headers directory.
cp "$header" "$stage/include/"
cp "$modulemap" "$stage/include/module.modulemap"

cp "$target_dir/$device_target/mobile/$lib" "$stage/ios/$lib"
sim_libs=()
for t in "${sim_targets[@]}"; do
    sim_libs+=("$target_dir/$t/mobile/$lib")
done
lipo -create "${sim_libs[@]}" -output "$stage/ios-simulator/$lib"

rm -rf "$out"
xcodebuild -create-xcframework \
    -library "$stage/ios/$lib" -headers "$stage/include" \
    -library "$stage/ios-simulator/$lib" -headers "$stage/include" \
    -output "$out"

echo "==> $out"
