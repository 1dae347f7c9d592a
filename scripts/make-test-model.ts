/**
 * Writes the lab's built-in "tiny test model" (random weights, clearly labelled as such) into
 * public/models/tiny-test/resolve/main/ — the hub URL layout — so the app loads it through the
 * same hub code path as a real model. Generated, never committed. Used by the e2e tests.
 * Rewritten when its config.json is not the one this script writes (e.g. after a config change), or with --force.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hfConfig, writeFixtureRepo } from '../tests/fixtures/hubRepo';
import type { FixtureDtype } from '../tests/fixtures/spec';
import { fixtureConfig } from '../tests/fixtures/weights';

const dir = fileURLToPath(new URL('../public/models/tiny-test/resolve/main/', import.meta.url));
// Builder layout with MHA: batches of different prompt lengths stay batched (GQA would split them).
const cfg = fixtureConfig({ family: 'llama', layout: 'builder', attention: 'mha', dtype: 'q4', hiddenSize: 64, numLayers: 4,
  // Enough positions that every view's defaults fit (the judge prompts alone are ~500 tokens).
  maxPositions: 2048 });
const extraDtypes: FixtureDtype[] = ['fp32', 'q4f16'];
const want = JSON.stringify(hfConfig(cfg, [cfg.dtype, ...extraDtypes]));
const have = existsSync(`${dir}/config.json`) ? JSON.stringify(JSON.parse(readFileSync(`${dir}/config.json`, 'utf8'))) : null;
if (have !== want || process.argv.includes('--force')) {
  await writeFixtureRepo(cfg, dir, { extraDtypes });
  console.log(`tiny test model written to ${dir}`);
}
