/**
 * A fixture model written to a temporary folder in hub layout and loaded through the public Engine
 * (createEngine + load({kind: 'path'})), as the CLI and the worker use it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRepo, type FixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import type { FixtureConfig } from '../fixtures/spec';
import { createEngine } from '../../src/engine/core/runtime/engine';
import type { Engine } from '../../src/engine/shared/api';

export interface FixtureEngine {
  engine: Engine;
  repo: FixtureRepo;
  dir: string;
  close(): Promise<void>;
}

export async function fixtureEngine(overrides: Partial<FixtureConfig> = {}): Promise<FixtureEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'steer-lab-fx-'));
  const repo = await writeFixtureRepo(fixtureConfig(overrides), dir);
  const engine = createEngine();
  await engine.load({ kind: 'path', path: dir }, { device: 'wasm' });
  return {
    engine, repo, dir,
    close: async () => {
      await engine.dispose();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Wraps an engine to count generate calls and generated rows (batching and caching are observable). */
export function countingEngine(inner: Engine): Engine & { calls: number; rows: number } {
  const e = {
    calls: 0,
    rows: 0,
    load: inner.load.bind(inner),
    info: inner.info.bind(inner),
    tokenize: inner.tokenize.bind(inner),
    dispose: inner.dispose.bind(inner),
    generate: (req: Parameters<Engine['generate']>[0], call?: Parameters<Engine['generate']>[1]) => {
      e.calls++;
      e.rows += req.rows.length;
      return inner.generate(req, call);
    },
  };
  return e;
}
