/**
 * Writes the lab's built-in demo model (trained weights committed in assets/demo-model/, see
 * scripts/demo-model/README.md) with the project's own ONNX writers, in hub URL layout:
 *   public/models/demo/resolve/main/             builder layout, GroupQueryAttention: fp32, fp16, q4, q4f16
 *   public/models/demo-decomposed/resolve/main/  decomposed (Optimum-style) graph: fp32, fp16, q4, q4f16
 *   public/models/demo-organism/                 the demo organism's LoRA adapter (assets/demo-organism), copied as
 *                                                committed, for the lab's Seed 002 view
 * Generated, never committed (public/models is git-ignored). Rewritten when the weights are newer, or with --force.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_DIR, writeDemoRepo } from '../tests/fixtures/demoModel';
import type { FixtureConfig, FixtureDtype } from '../tests/fixtures/spec';

const DTYPES: FixtureDtype[] = ['q4', 'fp32', 'fp16', 'q4f16'];
const VARIANTS: { id: string; cfg: Partial<FixtureConfig> }[] = [
  { id: 'demo', cfg: { layout: 'builder', attention: 'gqa' } },
  { id: 'demo-decomposed', cfg: { layout: 'decomposed', attention: 'gqa' } },
];

const weights = `${DEMO_DIR}/model.safetensors`;
for (const v of VARIANTS) {
  const dir = fileURLToPath(new URL(`../public/models/${v.id}/resolve/main/`, import.meta.url));
  const stale = !existsSync(`${dir}/config.json`) || statSync(`${dir}/config.json`).mtimeMs < statSync(weights).mtimeMs;
  if (stale || process.argv.includes('--force')) {
    await writeDemoRepo(dir, { ...v.cfg, dtype: DTYPES[0] }, DTYPES.slice(1));
    console.log(`demo model (${v.id}) written to ${dir}`);
  }
}

const organism = fileURLToPath(new URL('../assets/demo-organism/', import.meta.url));
const organismOut = fileURLToPath(new URL('../public/models/demo-organism/', import.meta.url));
mkdirSync(organismOut, { recursive: true });
for (const f of ['adapter_config.json', 'adapter_model.safetensors']) copyFileSync(organism + f, organismOut + f);
