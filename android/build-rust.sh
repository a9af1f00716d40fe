#!/usr/bin/env bash
# Builds the Rust core's UniFFI library (crate silbato-ffi, libsilbato_ffi.so) for the Android
# ABIs the app ships, with the `mobile` profile, into core/src/main/jniLibs/<abi>/.
#
# Prerequisites, once per machine:
#   rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   cargo install cargo-ndk --locked          # 3.x: `cargo ndk -t ABI -o DIR build ...`
#   Android NDK r27 or newer, found through ANDROID_NDK_HOME, or through ANDROID_HOME
#   (or ANDROID_SDK_ROOT) with the NDK installed by the SDK manager under $ANDROID_HOME/ndk/.
#
# Usage: ./build-rust.sh            (from android/; any working directory works)
# Then:  ../scripts/generate-bindings   (writes core/src/main/kotlin)
#        ./gradlew :app:assembleDebug
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="$here/core/src/main/jniLibs"

if ! command -v cargo-ndk >/dev/null 2>&1; then
    echo "cargo-ndk is not installed: cargo install cargo-ndk --locked" >&2
    exit 1
fi
if [[ -z "${ANDROID_NDK_HOME:-}" && -z "${ANDROID_NDK_ROOT:-}" \
      && -z "${ANDROID_HOME:-}" && -z "${ANDROID_SDK_ROOT:-}" ]]; then
    echo "Set ANDROID_NDK_HOME to an NDK (r27 or newer), or ANDROID_HOME to an SDK with one." >&2
    exit 1
fi
for target in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
    if ! rustup target list --installed | grep -qx "$target"; then
        echo "Missing Rust target $target: rustup target add $target" >&2
        exit 1
    fi
done

# The size settings of ../scripts/build-mobile-lib (which says why each is there), with Android's
# own packed relocations instead of RELR: the app's minSdk is 26 and RELR needs API 28.
# The last unwind tables (the standard library's and C code's) are dropped at link time, as in
# scripts/build-mobile-lib; with --target, these RUSTFLAGS never reach the build scripts.
no_eh_frame="-C link-arg=-Wl,--no-eh-frame-hdr -C link-arg=-Wl,-T,$(cd "$(dirname "$0")/.." && pwd)/scripts/mobile-no-eh-frame.ld"
size_flags="-C force-unwind-tables=no -C link-arg=-Wl,--pack-dyn-relocs=android -C link-arg=-Wl,--icf=all -C link-arg=-Wl,--no-undefined $no_eh_frame"
export CFLAGS="${CFLAGS:-} -fno-asynchronous-unwind-tables -fno-unwind-tables"
export CARGO_TARGET_ARMV7_LINUX_ANDROIDEABI_RUSTFLAGS="${CARGO_TARGET_ARMV7_LINUX_ANDROIDEABI_RUSTFLAGS:-} $size_flags"
# Android 15 devices may use 16 KB memory pages; 64-bit libraries must be linked for them
# (NDK r28 does this by default, r27 needs the flag).
export CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS="${CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS:-} $size_flags -C link-arg=-Wl,-z,max-page-size=16384"
export CARGO_TARGET_X86_64_LINUX_ANDROID_RUSTFLAGS="${CARGO_TARGET_X86_64_LINUX_ANDROID_RUSTFLAGS:-} $size_flags -C link-arg=-Wl,-z,max-page-size=16384"

mkdir -p "$out"
cd "$repo"
# --platform 26: the app's minSdk. The `mobile` profile (size-optimised, LTO, panic = "abort")
# does not strip; the Android Gradle plugin strips the libraries when it packages them.
cargo ndk \
    --platform 26 \
    -t arm64-v8a \
    -t armeabi-v7a \
    -t x86_64 \
    -o "$out" \
    build --profile mobile --locked -p silbato-ffi

echo "Built:"
find "$out" -name 'libsilbato_ffi.so' -exec ls -l {} \;
