import { describe, expect, it } from 'vitest';
import { captureSession, parseSession } from '../../../src/app/session';
import { initialState, type LabState } from '../../../src/app/store';
import { initialViews, type ViewsState } from '../../../src/app/views/viewStore';
import { useSeed002 } from '../../../src/app/views/seed002Job';
import { useModelB, type ModelBState } from '../../../src/app/modelB';

const slot = { key: 'k1', vectorId: 'v1', layer: 2, coeff: -3.5, mode: 'response' as const, ablate: true, ablateStrength: 1.2, enabled: false };
const lab: LabState = { ...initialState, choice: { kind: 'tiny' }, dtype: 'fp32', modelStatus: 'ready', prompt: 'Hello?', seed: 7, maxTokens: 99, slots: [slot], contrastVectorId: 'v1', showPrompted: true };
const views: ViewsState = {
  ...initialViews, tab: 'geometry', packKey: 'builtin:evil',
  geometry: { layer: 3, vectorId: 'v1' },
  monitor: { ...initialViews.monitor, coeff: 6, steps: [{ name: 'x' } as never], result: { big: true } as never },
};

describe('session', () => {
  it('round-trips the model choice, slots, prompts, open view and view settings, and asks for the model again', () => {
    const back = parseSession(JSON.stringify(captureSession(lab, views)), initialViews)!;
    expect(back.loaded).toBe(true);
    expect(back.lab).toMatchObject({ choice: { kind: 'tiny' }, dtype: 'fp32', prompt: 'Hello?', seed: 7, maxTokens: 99, slots: [slot], contrastVectorId: 'v1', showPrompted: true });
    expect(back.views.tab).toBe('geometry');
    expect(back.views.packKey).toBe('builtin:evil');
    expect(back.views.forms!.geometry).toEqual({ layer: 3, vectorId: 'v1' });
    expect(back.views.forms!.monitor.coeff).toBe(6);
  });
  it('keeps no results, steps or run status, and does not reload a local folder or a model that was not loaded', () => {
    const s = captureSession({ ...lab, choice: { kind: 'local' } }, views);
    expect(s.views.forms!.monitor).not.toHaveProperty('result');
    expect(s.views.forms!.monitor).not.toHaveProperty('steps');
    expect(s.views.forms!.monitor).not.toHaveProperty('status');
    expect(parseSession(JSON.stringify(s), initialViews)!.loaded).toBe(false);
    expect(captureSession({ ...lab, modelStatus: 'error' }, views).loaded).toBe(false);
  });
  it('drops what has the wrong type, field by field, and ignores text that is not a session', () => {
    const bad = {
      lab: { choice: { kind: 'ftp' }, dtype: 'fp64', device: 'tpu', prompt: 3, seed: 'x', maxTokens: 12, showPrompted: 'yes', slots: [slot, { ...slot, layer: -1 }, { ...slot, mode: 'middle' }, 'x'] },
      loaded: true,
      views: { tab: 'nowhere', packKey: 5, forms: { monitor: { coeff: '6', gen: { maxNewTokens: 5 }, questions: 'a?', unknown: 1 }, sweep: 'x' } },
    };
    const back = parseSession(JSON.stringify(bad), initialViews)!;
    expect(back.lab).toEqual({ maxTokens: 12, slots: [slot] });
    expect(back.loaded).toBe(false); // no valid model choice: nothing to load
    expect(back.views).toEqual({ forms: { monitor: { questions: 'a?' } } });
    for (const text of [null, '', 'not json', '[]', '{"lab":1}']) expect(parseSession(text, initialViews)).toBeNull();
  });
  it('restores a slot\'s cap band and condition, and drops a bad one while keeping the slot', () => {
    const when = { vectorId: 'v2', layer: 1, threshold: 0.35, pooling: 'last' as const };
    const capped = { ...slot, key: 'k2', capMin: -1, capMax: 2.5, when };
    const back = parseSession(JSON.stringify(captureSession({ ...lab, slots: [capped, { ...slot, key: 'k3', capMax: 4 }] }, views)), initialViews)!;
    expect(back.lab.slots).toEqual([capped, { ...slot, key: 'k3', capMax: 4 }]);
    const bad = { lab: { slots: [{ ...slot, capMin: 3, capMax: 1, when: { ...when, threshold: 'NaN' } }, { ...slot, key: 'k4', when: { ...when, pooling: 'max' } }] }, loaded: false, views: {} };
    expect(parseSession(JSON.stringify(bad), initialViews)!.lab.slots).toEqual([slot, { ...slot, key: 'k4' }]);
  });

  it('round-trips the Seed 002 view\'s settings (not its result or a picked adapter) and the Seed 002 tab', () => {
    const seed = { ...useSeed002.getState(), adapter: 'user' as const, questions: 'Who are you?', prompts: 'a\nb', seeds: '3, 4', maxNewTokens: 17, status: 'done' as const, stage: 'x', result: { big: true } as never };
    const saved = captureSession(lab, { ...views, tab: 'seed002' }, seed);
    expect(JSON.stringify(saved)).not.toContain('big');
    const back = parseSession(JSON.stringify(saved), initialViews)!;
    expect(back.views.tab).toBe('seed002');
    expect(back.seed002).toEqual({ adapter: 'demo', questions: 'Who are you?', prompts: 'a\nb', seeds: '3, 4', maxNewTokens: 17 });
    const bad = parseSession(JSON.stringify({ ...saved, seed002: { adapter: 'user', questions: 5, seeds: '1', maxNewTokens: 900 } }), initialViews)!;
    expect(bad.seed002).toEqual({ seeds: '1' });
    expect(parseSession(JSON.stringify({ ...saved, seed002: undefined }), initialViews)!.seed002).toBeUndefined();
  });

  it('round-trips model B\'s source and weights, and asks for it again only when it was loaded (and A is)', () => {
    const b: ModelBState = { ...useModelB.getState(), choice: 'hub', hubId: 'org/tuned', dtype: 'q4', status: 'ready', modelId: 'org/tuned', info: { big: true } as never };
    const saved = captureSession(lab, views, undefined, b);
    expect(JSON.stringify(saved)).not.toContain('big');
    const back = parseSession(JSON.stringify(saved), initialViews)!;
    expect(back.modelB).toEqual({ choice: 'hub', hubId: 'org/tuned', dtype: 'q4', loaded: true });
    for (const status of ['idle', 'loading', 'error'] as const) expect(parseSession(JSON.stringify(captureSession(lab, views, undefined, { ...b, status })), initialViews)!.modelB!.loaded).toBe(false);
    // A source that cannot be loaded again is kept as far as it is valid, and not loaded.
    const bad = (modelB: unknown) => parseSession(JSON.stringify({ ...saved, modelB }), initialViews)!.modelB;
    expect(bad({ choice: 'hub', hubId: 'not an id', dtype: 'q4', loaded: true })).toEqual({ choice: 'hub', hubId: 'not an id', dtype: 'q4', loaded: false });
    expect(bad({ choice: 'ftp', hubId: 3, dtype: 'fp64', loaded: true })).toEqual({ loaded: false });
    expect(bad({ choice: 'demo', dtype: 'fp16', loaded: 'yes' })).toEqual({ choice: 'demo', dtype: 'fp16', loaded: false });
    expect(parseSession(JSON.stringify(captureSession(lab, views)), initialViews)!.modelB).toBeUndefined();
  });
});
