import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';


const ORT = ['onnxruntime-web', 'onnxruntime-web/*', 'onnxruntime-node', 'onnxruntime-common'];
/** Import paths of each layer, as relative imports spell them from anywhere in the tree. */
const LAYER_GLOBS = {
  core: ['**/engine/core/**', '**/core/onnx/**', '**/core/runtime/**'],
  clients: ['**/engine/clients/**', '**/clients/vectors/**', '**/clients/eval/**', '**/clients/io/**', '**/clients/scheduler'],
  app: ['**/src/app/**', '**/app/*', '../app/**', '../../app/**'],
  workers: ['**/workers/**'],
  cli: ['**/src/cli/**', '**/cli/*'],
};
/**
 * The UI thread's own: the heavy client maths runs in the compute worker (src/engine/clients/vectors/compute.ts,
 * workers/compute.worker.ts), so the page never imports it to call it; types stay importable.
 */
const OFF_THREAD = [
  { group: ['**/vectors/probe', '**/vectors/detection'], allowTypeImports: true, message: 'Probe training runs in the compute worker: call getCompute() (src/app/actions.ts) instead of importing it on the UI thread.' },
  { group: ['**/vectors/projection'], importNames: ['cosineMatrix', 'layerCosineMatrix', 'layerwiseCosine'], message: 'Cosine matrices run in the compute worker: call getCompute() (src/app/actions.ts) instead.' },
];
/** One no-restricted-imports rule per layer: its forbidden layers, plus onnxruntime everywhere but ort.ts, plus `extra`. */
function layerRules(layers) {
  return layers.map(({ files, forbid, extra = [] }) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ORT, message: 'Import onnxruntime only in src/engine/core/runtime/ort.ts.' },
        ...forbid.map((layer) => ({ group: LAYER_GLOBS[layer], message: `This layer must not import ${layer}: imports run downward only (see eslint.config.js).` })),
        ...extra,
      ] }],
    },
  }));
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'test-results/**', 'public/ort/**', 'public/models/**', '.stryker-tmp/**', 'reports/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node, ...globals.worker } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Layers, lowest first: engine/shared (the Engine contract and the maths both sides need) <- engine/core
  // (owns onnxruntime: graph edits and the runtime) and engine/clients (vectors, eval, io: pure functions and
  // workflows over the Engine interface, run anywhere) <- workers/ (the thin host of the core) and src/cli
  // <- src/app (the UI). No import runs upward; the app never imports the core.
  ...layerRules([
    { files: ['src/engine/shared/**'], forbid: ['core', 'clients', 'app', 'workers', 'cli'] },
    { files: ['src/engine/core/**'], forbid: ['clients', 'app', 'workers', 'cli'] },
    { files: ['src/engine/clients/**'], forbid: ['core', 'app', 'workers', 'cli'] },
    { files: ['workers/**'], forbid: ['app', 'cli'] },
    { files: ['src/cli/**'], forbid: ['app', 'workers'] },
    { files: ['src/app/**'], forbid: ['core', 'cli'], extra: OFF_THREAD },
  ]),
  { files: ['src/engine/core/runtime/ort.ts'], rules: { 'no-restricted-imports': 'off' } },
  // The engine is pure: no DOM, no React.
  { files: ['src/engine/**/*.ts'], rules: { 'no-restricted-globals': ['error', 'document', 'window'] } },
);
