/**
 * Writes the lab's built-in "tiny test model" (random weights, clearly labelled as such) into
 * public/models/tiny-test/resolve/main/ — the hub URL layout — so the app loads it through the
 * same hub code path as a real model. Generated, never committed. Used by the e2e tests.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeFixtureRepo } from '../tests/fixtures/hubRepo';
import { fixtureConfig } from '../tests/fixtures/weights';

const dir = fileURLToPath(new URL('../public/models/tiny-test/resolve/main/', import.meta.url));
if (!existsSync(`${dir}/config.json`) || process.argv.includes('--force')) {
  // Builder layout with MHA: batches of different prompt lengths stay batched (GQA would split them).
  const cfg = fixtureConfig({ family: 'llama', layout: 'builder', attention: 'mha', dtype: 'q4', hiddenSize: 64, numLayers: 4 });
  await writeFixtureRepo(cfg, dir, { extraDtypes: ['fp32', 'q4f16'] });
  console.log(`tiny test model written to ${dir}`);
}
