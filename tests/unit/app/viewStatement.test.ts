import { describe, expect, it } from 'vitest';
import { judgeInWords, statementFor } from '../../../src/app/views/ViewStatement';
import { initialViews } from '../../../src/app/views/viewStore';
import type { VectorRecord } from '../../../src/app/db';
import type { ModelInfo } from '../../../src/engine/shared/api';
import type { LabState } from '../../../src/app/store';

const vec = (id: string, name: string) => ({ id, name }) as VectorRecord;
const lab = {
  modelId: 'demo-model', info: { id: 'x' } as ModelInfo, showPrompted: true as boolean | null, prompted: null as LabState['prompted'], vectors: [vec('a', 'scripture'), vec('b', 'quip')],
  slots: [{ key: 'k', vectorId: 'b', layer: 2, coeff: 1, mode: 'all' as const, ablate: false, ablateStrength: 1, enabled: true }],
};

describe('statementFor', () => {
  it('names the model, layer, vector and judge each view runs with', () => {
    expect(statementFor('steer', lab, initialViews)).toMatchObject({ model: 'demo-model', layer: 'L2', vector: 'quip', judge: expect.stringMatching(/^none/) });
    expect(statementFor('steer', lab, initialViews).measures).toContain('prompted');
    // Unset, the column is on only where the vector has a pack instruction: the line follows what is shown.
    expect(statementFor('steer', { ...lab, showPrompted: null }, initialViews).measures).not.toContain('prompted');
    const shown = { pack: 'quip', instruction: 'Answer with a quip.', text: '', projections: [], pieces: [] };
    expect(statementFor('steer', { ...lab, showPrompted: null, prompted: shown }, initialViews).measures).toContain('prompted');
    expect(statementFor('steer', { ...lab, showPrompted: false, prompted: shown }, initialViews).measures).not.toContain('prompted');
    const views = { ...initialViews, sweep: { ...initialViews.sweep, vectorId: 'a', layer: 3, judge: 'auto' as const } };
    // The default pack is scripture, which has marker words: auto means the lexical judge.
    expect(statementFor('sweep', lab, views)).toMatchObject({ layer: 'L3', vector: 'scripture', judge: 'lexical (marker words) · pack scripture' });
    expect(statementFor('sweep', lab, { ...views, sweep: { ...views.sweep, judge: 'local' } }).judge).toBe('local model · pack scripture');
    expect(statementFor('geometry', { ...lab, info: null }, initialViews)).toMatchObject({ model: 'no model loaded', layer: 'its best layer', vector: 'scripture' });
    // Seed 002 on a 16-layer model ablates layers 12–15 (the recipe's last quarter) with the auto judge.
    expect(statementFor('seed002', { ...lab, info: { id: 'x', numLayers: 16 } as ModelInfo }, initialViews)).toMatchObject({
      layer: 'every layer for detection, L12, L13, L14, L15 for ablation', vector: expect.stringContaining('fine-tuned − base'), judge: 'lexical (marker words) · pack scripture',
    });
    for (const tab of ['pipeline', 'monitor', 'detection'] as const) expect(statementFor(tab, lab, initialViews).measures.length).toBeGreaterThan(20);
  });
  it('follows experiments.judgeFor: auto is lexical only when the pack has markers', () => {
    expect(judgeInWords('auto', true)).toBe('lexical (marker words)');
    expect(judgeInWords('auto', false)).toBe('local model');
    expect(judgeInWords('local', true)).toBe('local model');
    expect(judgeInWords('lexical', false)).toMatch(/no marker words/);
  });
});
