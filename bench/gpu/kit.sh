#!/usr/bin/env bash
# Packs the GPU check into one folder that travels to a machine without node or a browser:
#   bench/gpu/kit.sh DIR [DAWN_NODE]
# DIR gets the bundled script and onnxruntime-web's runtime (bench/gpu/bundle.ts), this machine's node
# binary, Dawn's dawn.node (default: node_modules/webgpu/dist/linux-x64/dawn.node, from
# `npm install --no-save webgpu`), a Vulkan loader (Chromium's, else the system's) and run.sh. The big
# binaries are xz-compressed (about 40 MB in all); run.sh unpacks them.
set -euo pipefail
DIR=${1:?usage: bench/gpu/kit.sh DIR [DAWN_NODE]}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DAWN=${2:-$ROOT/node_modules/webgpu/dist/linux-x64/dawn.node}
[ -f "$DAWN" ] || { echo "dawn.node not found at $DAWN: run 'npm install --no-save webgpu' or pass its path" >&2; exit 1; }
VULKAN=$(ls /usr/lib/chromium/libvulkan.so.1 /usr/lib/x86_64-linux-gnu/libvulkan.so.1 2>/dev/null | head -1 || true)
[ -n "$VULKAN" ] || { echo "no libvulkan.so.1 here: install libvulkan1 (or chromium)" >&2; exit 1; }
mkdir -p "$DIR"
STAGE=$(mktemp -d)
(cd "$ROOT" && npx tsx bench/gpu/bundle.ts "$STAGE")
cp "$STAGE/gpu-check.mjs" "$STAGE/ort-wasm-simd-threaded.asyncify.mjs" "$DIR/"
xz -T0 -9 -c "$STAGE/ort-wasm-simd-threaded.asyncify.wasm" > "$DIR/ort-wasm-simd-threaded.asyncify.wasm.xz"
[ "$DIR/node.xz" -nt "$(command -v node)" ] || xz -T0 -9 -c "$(command -v node)" > "$DIR/node.xz"
xz -T0 -9 -c "$DAWN" > "$DIR/dawn.node.xz"
cp -L "$VULKAN" "$DIR/libvulkan.so.1"
cp "$ROOT/bench/gpu/run.sh" "$DIR/run.sh"
rm -rf "$STAGE"
du -sh "$DIR"
