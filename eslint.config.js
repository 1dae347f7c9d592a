import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

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
  {
    // In the product only one module may import onnxruntime: the engine's runtime/ort.ts. (Fixture
    // tests run the fixture graphs on onnxruntime directly, independently of the engine they test.)
    files: ['src/**', 'workers/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['onnxruntime-web', 'onnxruntime-web/*', 'onnxruntime-node', 'onnxruntime-common'], message: 'Import onnxruntime only in src/engine/runtime/ort.ts.' }] }],
    },
  },
  { files: ['src/engine/runtime/ort.ts'], rules: { 'no-restricted-imports': 'off' } },
  // The engine is pure: no DOM, no React.
  { files: ['src/engine/**/*.ts'], rules: { 'no-restricted-globals': ['error', 'document', 'window'] } },
);
