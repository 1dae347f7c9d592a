#!/usr/bin/env bash
# Runs the GPU check from a kit made by bench/gpu/kit.sh, on an x86-64 Linux machine with a Vulkan
# driver and nothing else (no node, no browser, no network): unpacks into $WORK (default /tmp/gpucheck),
# prints the GPU, and runs the bundled script with the given options (e.g. --out DIR/summary.json).
# VK_DRIVER_FILES defaults to the NVIDIA ICD where it is mounted at /usr/local/nvidia.
set -uo pipefail
KIT=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-/tmp/gpucheck}
mkdir -p "$WORK/lib"
unxz() { if command -v xz >/dev/null; then xz -dc "$1" > "$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi; }
unxz "$KIT/node.xz" "$WORK/node" && chmod +x "$WORK/node"
unxz "$KIT/dawn.node.xz" "$WORK/dawn.node"
unxz "$KIT/ort-wasm-simd-threaded.asyncify.wasm.xz" "$WORK/ort-wasm-simd-threaded.asyncify.wasm"
cp "$KIT/gpu-check.mjs" "$KIT/ort-wasm-simd-threaded.asyncify.mjs" "$WORK/"
# The Vulkan loader: the system's when it has one, else the kit's.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  cp "$KIT/libvulkan.so.1" "$WORK/lib/" && export LD_LIBRARY_PATH="$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
NV_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NV_ICD" ] && export VK_DRIVER_FILES=$NV_ICD
echo "gpu: $(nvidia-smi -L 2>/dev/null || echo 'no nvidia-smi')"
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} node $("$WORK/node" --version)"
cd "$WORK" && exec "$WORK/node" "$WORK/gpu-check.mjs" "$@"
