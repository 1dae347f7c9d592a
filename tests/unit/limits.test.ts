/**
 * One coefficient limit: engine validation, the share link and the coefficient list parser accept exactly the same
 * range, ±MAX_ABS_COEFF, and the slider's range lies inside it.
 */
import { describe, expect, it } from 'vitest';
import { decodeShareLink, encodeShareLink, type ShareState } from '../../src/engine/clients/io/shareLink';
import { parseNumberList } from '../../src/engine/clients/io/lists';
import { COEFF_SLIDER_RANGE, MAX_ABS_COEFF } from '../../src/engine/shared/limits';
import { resolveSpec } from '../../src/engine/shared/steering';

const dims = { numLayers: 2, hiddenSize: 2 };
const engineTakes = (coeff: number): boolean => {
  try { resolveSpec({ layer: 0, vector: [1, 0], coeff, positions: 'all' }, dims); return true; } catch { return false; }
};
const state = (coeff: number): ShareState => ({
  modelId: 'org/model', dtype: 'q4', vector: new Float32Array([0.5, -1]), traitName: 't', layer: 0, coeff,
  mode: 'all', prompt: 'p', systemPrompt: '', seed: 0, temperature: 0, maxTokens: 8,
});
const linkTakes = (coeff: number): boolean => {
  try { return decodeShareLink(encodeShareLink(state(coeff))).coeff === coeff; } catch { return false; }
};
const parserTakes = (coeff: number): boolean => Array.isArray(parseNumberList(String(coeff)));

describe('the coefficient limit', () => {
  it('engine, share link and parser all accept ±MAX_ABS_COEFF and all refuse just beyond it', () => {
    for (const c of [MAX_ABS_COEFF, -MAX_ABS_COEFF, 0, 250]) {
      expect([engineTakes(c), linkTakes(c), parserTakes(c)]).toEqual([true, true, true]);
    }
    for (const c of [MAX_ABS_COEFF + 1, -(MAX_ABS_COEFF + 1), MAX_ABS_COEFF * 10]) {
      expect([engineTakes(c), linkTakes(c), parserTakes(c)]).toEqual([false, false, false]);
    }
  });

  it('the slider range is a positive part of the allowed range', () => {
    expect(COEFF_SLIDER_RANGE).toBeGreaterThan(0);
    expect(COEFF_SLIDER_RANGE).toBeLessThanOrEqual(MAX_ABS_COEFF);
  });
});
