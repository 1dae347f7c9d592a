import { describe, expect, it } from 'vitest';
import { choiceForId, hubIdOf, hubSource, HUB_HOST, type ModelChoice } from '../../../src/app/presets';
import { initialState } from '../../../src/app/store';

describe('model choices', () => {
  it('the lab opens on the trained demo model, which it serves itself', () => {
    expect(initialState.choice).toEqual({ kind: 'demo' });
    expect(hubSource(initialState.choice, 'q4', 'auto', 'http://lab.test')).toEqual({
      source: { kind: 'hub', id: 'demo' }, options: { dtype: 'q4', device: 'auto', remoteHost: 'http://lab.test/models/' },
    });
  });

  it('served models map to their folder under /models/ and back (share links reopen them)', () => {
    const served: [ModelChoice, string][] = [[{ kind: 'demo' }, 'demo'], [{ kind: 'demo-decomposed' }, 'demo-decomposed'], [{ kind: 'tiny' }, 'tiny-test']];
    for (const [choice, id] of served) {
      expect(hubIdOf(choice)).toBe(id);
      expect(choiceForId(id)).toEqual(choice);
      expect(hubSource(choice, 'fp32', 'wasm', 'http://x')?.options.remoteHost).toBe('http://x/models/');
    }
  });

  it('hub models still load from the hub', () => {
    expect(hubSource({ kind: 'hub', id: 'org/demo' }, 'q4', 'auto', 'http://x')?.options.remoteHost).toBe(HUB_HOST);
    expect(choiceForId('org/demo')).toEqual({ kind: 'hub', id: 'org/demo' });
  });
});
