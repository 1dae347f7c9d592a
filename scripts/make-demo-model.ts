/**
 * Writes the lab's built-in demo model (trained weights committed in assets/demo-model/, see
 * scripts/demo-model/README.md) with the project's own ONNX writers, in hub URL layout:
 *   public/models/demo/resolve/main/             builder layout, GroupQueryAttention: fp32, fp16, q4, q4f16
 *   public/models/demo-decomposed/resolve/main/  decomposed (Optimum-style) graph: fp32, fp16, q4, q4f16
 *   public/models/demo-organism/                 the demo organism's LoRA adapter (assets/demo-organism), copied as
 *                                                committed, for the lab's Seed 002 view
 *   public/models/demo-organism-merged/resolve/main/  the demo model with that adapter merged into its weights, a
 *                                                second full checkpoint (builder, GQA: fp32, q4) for "model B"
 * Generated, never committed (public/models is git-ignored). Rewritten when the weights are newer, or with --force.
 */
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEMO_DIR, writeDemoRepo } from '../tests/fixtures/demoModel';
import { ORGANISM_DIR, writeMergedOrganismRepo } from '../tests/fixtures/demoOrganism';
import type { FixtureConfig, FixtureDtype } from '../tests/fixtures/spec';

const DTYPES: FixtureDtype[] = ['q4', 'fp32', 'fp16', 'q4f16'];
const VARIANTS: { id: string; cfg: Partial<FixtureConfig> }[] = [
  { id: 'demo', cfg: { layout: 'builder', attention: 'gqa' } },
  { id: 'demo-decomposed', cfg: { layout: 'decomposed', attention: 'gqa' } },
];

const weights = `${DEMO_DIR}/model.safetensors`;
const repoDir = (id: string) => fileURLToPath(new URL(`../public/models/${id}/resolve/main/`, import.meta.url));
/** Missing, older than any of its sources, or --force. */
const stale = (dir: string, sources: string[]) => process.argv.includes('--force') || !existsSync(`${dir}/config.json`)
  || sources.some((f) => statSync(`${dir}/config.json`).mtimeMs < statSync(f).mtimeMs);
for (const v of VARIANTS) {
  const dir = repoDir(v.id);
  if (stale(dir, [weights])) {
    await writeDemoRepo(dir, { ...v.cfg, dtype: DTYPES[0] }, DTYPES.slice(1));
    console.log(`demo model (${v.id}) written to ${dir}`);
  }
}

const merged = repoDir('demo-organism-merged');
if (stale(merged, [weights, `${ORGANISM_DIR}/adapter_model.safetensors`])) {
  await writeMergedOrganismRepo(merged, { layout: 'builder', attention: 'gqa', dtype: 'fp32' }, ['q4']);
  console.log(`demo organism, merged (demo-organism-merged) written to ${merged}`);
}

const organism = fileURLToPath(new URL('../assets/demo-organism/', import.meta.url));
const organismOut = fileURLToPath(new URL('../public/models/demo-organism/', import.meta.url));
mkdirSync(organismOut, { recursive: true });
for (const f of ['adapter_config.json', 'adapter_model.safetensors']) copyFileSync(organism + f, organismOut + f);
