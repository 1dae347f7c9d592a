/** The lab-twin commands refuse bad flags with what was wrong and what to give, before loading any model. */
import { describe, expect, it } from 'vitest';
import { labCommands } from '../../../src/cli/labCommands';

const NO_MODEL = '/nonexistent/model-folder';
const refuse = (cmd: string, v: Record<string, unknown>, message: RegExp) =>
  expect(labCommands[cmd].run(NO_MODEL, v)).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(message) });

describe('steer-lab monitor / detect / ablate: flag errors', () => {
  it('monitor names the missing flag or system prompt', async () => {
    await refuse('monitor', {}, /needs --vector FILE/);
    await refuse('monitor', { vector: 'v.json' }, /needs --layer L \(0-based/);
    await refuse('monitor', { vector: 'v.json', layer: '1' }, /needs --coeff C/);
    await refuse('monitor', { vector: 'v.json', layer: '1', coeff: 'lots' }, /--coeff must be a number; got "lots"/);
    await refuse('monitor', { vector: 'v.json', layer: '1', coeff: '2' }, /needs a system prompt: give --trait .* or --system TEXT/);
    await refuse('monitor', { vector: 'v.json', layer: '1', coeff: '2', system: 'Be kind.' }, /Give the questions with --prompts FILE/);
  });

  it('detect needs both prompt sets and a vector format it can write', async () => {
    await refuse('detect', {}, /needs --set-a FILE/);
    await refuse('detect', { 'set-a': '/nonexistent/a.txt' }, /\/nonexistent\/a\.txt: no such file; give a prompts file/);
    await refuse('detect', { 'set-a': 'a.txt', out: 'ab.npy' }, /--out ab\.npy: use a \.json, \.safetensors or \.gguf file name/);
  });

  it('ablate needs a vector, a layer range and prompts', async () => {
    await refuse('ablate', {}, /needs --vector FILE/);
    await refuse('ablate', { vector: 'v.json' }, /needs --layers LO-HI/);
    await refuse('ablate', { vector: 'v.json', layers: '1-2' }, /needs --prompts FILE/);
  });
});
