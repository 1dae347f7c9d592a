/**
 * Bundles bench/gpu/main.ts into one ES module for Node that carries everything but onnxruntime-web's
 * runtime (.wasm and its .mjs loader) and Dawn's dawn.node (placed beside it): `npx tsx bench/gpu/bundle.ts [outDir]` (default
 * .cache/gpu). Two substitutions make Node run what a browser runs:
 *  - onnxruntime-web resolves to its WebGPU build (ort.webgpu.bundle.min.mjs, the browsers' build; the
 *    package's Node build has no WebGPU EP), also for transformers.js and bench/ortGlobal.ts, so one
 *    instance and one `env` serve every caller;
 *  - @huggingface/transformers resolves to its web build (its Node build pulls onnxruntime-node and sharp
 *    in; the engine only uses its tokenizers).
 * src/engine/core/runtime/ort.ts picks the Node build at run time through a variable; the bundle
 * rewrites that one import to the WebGPU build.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const ROOT = new URL('../..', import.meta.url).pathname;
const ORT_DIST = join(ROOT, 'node_modules/onnxruntime-web/dist');
/** The runtime files the WebGPU build loads beside the bundle in Node (it imports its own .mjs there, not the inlined one). */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];

const browserBuilds: Plugin = {
  name: 'browser-builds',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-web(\/webgpu)?$/ }, () => ({ path: join(ORT_DIST, 'ort.webgpu.bundle.min.mjs') }));
    b.onResolve({ filter: /^@huggingface\/transformers$/ }, () => ({ path: join(ROOT, 'node_modules/@huggingface/transformers/dist/transformers.web.js') }));
    b.onLoad({ filter: /src\/engine\/core\/runtime\/ort\.ts$/ }, (a) => {
      const src = readFileSync(a.path, 'utf8');
      const from = 'await import(/* @vite-ignore */ nodeBuild)';
      if (!src.includes(from)) throw new Error(`ort.ts no longer imports the Node build as "${from}": update bench/gpu/bundle.ts`);
      return { contents: src.replace(from, "await import('onnxruntime-web/webgpu')"), loader: 'ts' };
    });
  },
};

export async function bundle(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'gpu-check.mjs');
  await build({
    entryPoints: [join(ROOT, 'bench/gpu/main.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    plugins: [browserBuilds], logLevel: 'warning',
    // Bundled CommonJS dependencies (protobufjs) call require(): give the ES module one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  for (const f of ORT_FILES) copyFileSync(join(ORT_DIST, f), join(outDir, f));
  return outfile;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const out = await bundle(process.argv[2] ?? join(ROOT, '.cache/gpu'));
  console.log(`bundled ${out} (+ ${ORT_FILES.join(', ')}); add dawn.node beside it or set DAWN_NODE`);
}
