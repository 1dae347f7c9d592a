import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Connect, type Plugin } from 'vite';

/** wasm threads need SharedArrayBuffer, which browsers only give cross-origin isolated pages. */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The package's exports map hides package.json and dist/, so locate it on disk.
const ortDist = fileURLToPath(new URL('./node_modules/onnxruntime-web/dist', import.meta.url));
/** The runtime files onnxruntime-web fetches at session creation (the engine sets wasmPaths to /ort/). */
const ortFiles = () => readdirSync(ortDist).filter((f) => /^ort-wasm.*\.(wasm|mjs)$/.test(f));

/** Serves onnxruntime-web's runtime under /ort/ in dev and preview, and copies it into the build. */
function ortRuntime(): Plugin {
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const name = req.url?.match(/^\/ort\/([^/?#]+)/)?.[1];
    if (!name || !ortFiles().includes(name)) return next();
    res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
    for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
    createReadStream(join(ortDist, name)).pipe(res);
  };
  return {
    name: 'steering-lab:ort-runtime',
    configureServer: (server) => { server.middlewares.use(serve); },
    configurePreviewServer: (server) => { server.middlewares.use(serve); },
    generateBundle() {
      for (const f of ortFiles()) this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
    },
  };
}

export default defineConfig({
  plugins: [react(), ortRuntime()],
  worker: { format: 'es' },
  // transformers.js nests its own onnxruntime-web build; one runtime (ours, pinned) is enough.
  resolve: { dedupe: ['onnxruntime-web', 'onnxruntime-common'] },
  // Pre-bundling would rewrite ort's own dynamic imports of its wasm glue; load them as shipped.
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  server: { headers: ISOLATION, host: '127.0.0.1' },
  preview: { headers: ISOLATION, host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 5000 },
});
