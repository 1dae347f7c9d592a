/**
 * The lab's residual-norm cache on the real engine with a fixture model: one prompt-only pass per model and
 * prompt (every layer at once), passes one at a time, failures not cached, and the numbers those of
 * measureResidualNorms on the same prompt (whose own test checks them against the float64 reference pass).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';
import { createNormCache, fmtStrength, normKey, promptText, strengthBasis } from '../../../src/app/residualNorms';
import { measureResidualNorms } from '../../../src/engine/clients/vectors/strength';
import type { ChatMessage } from '../../../src/engine/shared/api';

describe('createNormCache', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama', layout: 'decomposed', dtype: 'fp32' }); });
  afterAll(async () => fx?.close());

  it('measures each model × prompt once, every layer in one pass, one pass at a time', async () => {
    const engine = countingEngine(fx.engine);
    const { numLayers: L, hiddenSize: D } = fx.engine.info()!;
    const layers = Array.from({ length: L }, (_, l) => l);
    let running = 0, most = 0;
    const cache = createNormCache(async (prompt) => {
      most = Math.max(most, ++running);
      try { return await measureResidualNorms((r) => engine.generate(r), prompt, layers, D); } finally { running--; }
    });
    const a: ChatMessage[] = [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Tell me about the sea.' }];
    const b = 'Tell me about the land.';
    const [ea, eb, ea2] = await Promise.all([cache.ensure('m1', a), cache.ensure('m1', b), cache.ensure('m1', [...a])]);
    expect(engine.calls).toBe(2);
    expect(most).toBe(1);
    expect(ea2).toBe(ea);
    expect(ea!.norms).toHaveLength(L);
    expect(ea!.norms).toEqual((await measureResidualNorms((r) => fx.engine.generate(r), a, layers, D)).norms);
    expect(eb!.norms[0]).not.toBeCloseTo(ea!.norms[0], 3);
    expect(ea!.measuredOn).toBe('[system] Be kind. Tell me about the sea.');
    // Cached: no new pass for the same prompt; another model key is measured again.
    await cache.ensure('m1', a);
    expect(engine.calls).toBe(2);
    await cache.ensure('m2', a);
    expect(engine.calls).toBe(3);
    expect(cache.store.getState()[normKey('m1', b)]).toBe(eb);
  });

  it('keeps a failure as its message and measures again when asked again', async () => {
    let fail = true;
    const cache = createNormCache(async () => { if (fail) throw new Error('The model is being replaced.'); return { norms: [3], positions: 4 }; });
    expect(await cache.ensure('m', 'hi')).toBeNull();
    expect(cache.store.getState()[normKey('m', 'hi')]).toEqual({ error: 'The model is being replaced.' });
    fail = false;
    expect((await cache.ensure('m', 'hi'))!.norms).toEqual([3]);
  });

  it('formats strengths and says what the norm was measured on', () => {
    expect(fmtStrength(0.7912)).toBe('0.79');
    expect(fmtStrength(-1.5)).toBe('−1.50');
    expect(fmtStrength(0)).toBe('0');
    expect(fmtStrength(NaN)).toBe('—');
    expect(promptText('plain')).toBe('plain');
    const t = strengthBasis({ norms: [10, 12.5], positions: 7, measuredOn: 'What can you tell me about the sea?', model: 'demo#q4' }, 1, 5);
    expect(t).toContain('mean |h| = 12.500 at L1');
    expect(t).toContain('|v| = 5.000');
    expect(t).toContain('measured on "What can you tell me about the sea?" (7 tokens, demo#q4)');
  });
});
