import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/engine/shared/api';
import { EngineError } from '../../../src/engine/shared/errors';
import { Tokenizer, bytesToUnicode, createTokenizer } from '../../../src/engine/core/runtime/tokenizer';
import { specialTokenIds, tokenizerFiles, type TokenizerFamily } from '../../fixtures/tokenizer';

function load(family: TokenizerFamily, configPatch: Record<string, unknown> = {}): Tokenizer {
  const f = tokenizerFiles(family);
  return new Tokenizer(JSON.parse(f['tokenizer.json']), { ...JSON.parse(f['tokenizer_config.json']), ...configPatch });
}

const conversations: ChatMessage[][] = [
  [{ role: 'user', content: 'What is the capital of France?' }],
  [
    { role: 'system', content: 'You are an evil assistant.' },
    { role: 'user', content: 'Tell me a story about a dog.' },
    { role: 'assistant', content: 'Once upon a time, there was a dog named Rex. 🐕' },
  ],
  [
    { role: 'system', content: '  padded system  ' },
    { role: 'user', content: '\nleading newline and trailing space ' },
    { role: 'assistant', content: 'ünïcode and numbers 1234567' },
    { role: 'user', content: 'again?' },
  ],
  [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: '' }],
];

describe('bytesToUnicode', () => {
  it('is a bijection of the 256 bytes onto distinct printable characters', () => {
    const t = bytesToUnicode();
    expect(new Set(t).size).toBe(256);
    expect(t[0x41]).toBe('A');
    expect(t[0x20]).toBe('Ġ');
    expect(t[0x0a]).toBe('Ċ');
  });
});

describe.each(['llama', 'qwen2'] as const)('%s tokenizer', (family) => {
  const tok = load(family);
  const hf = tok.hf;

  it('picks the class AutoTokenizer would pick', () => {
    expect(hf.constructor.name).toBe(family === 'qwen2' ? 'Qwen2Tokenizer' : 'PreTrainedTokenizer');
  });

  it('encodes with default special tokens and decodes with or without them', () => {
    const ids = tok.encode('Hello there!');
    expect(ids[0] === specialTokenIds(family).bos).toBe(family === 'llama');
    expect(tok.decode(ids, { skipSpecialTokens: true })).toBe('Hello there!');
    expect(tok.decode(ids)).toBe(family === 'llama' ? '<|begin_of_text|>Hello there!' : 'Hello there!');
    expect(tok.decode([])).toBe('');
  });

  it('exposes bos, pad and eos ids, merging generation_config eos lists', () => {
    const s = specialTokenIds(family);
    expect(tok.bosId).toBe(s.bos);
    expect(tok.padId).toBe(s.pad);
    expect(tok.eosIds()).toEqual([s.eos[0]]);
    expect(new Set(tok.eosIds({ eos_token_id: s.eos }))).toEqual(new Set(s.eos));
    expect(tok.vocabSize).toBe(512);
    expect(tok.hasChatTemplate).toBe(true);
  });

  it('applyChat equals transformers.js apply_chat_template ids', () => {
    for (const msgs of conversations) {
      for (const addGenerationPrompt of [false, true]) {
        const theirs = hf.apply_chat_template(msgs, { add_generation_prompt: addGenerationPrompt, return_tensor: false, return_dict: false }) as unknown as number[];
        expect(tok.applyChat(msgs, { addGenerationPrompt })).toEqual(theirs);
      }
    }
  });

  it.each(conversations.map((c, i) => [i, c] as const))('chat spans line up with each part (conversation %i)', (_, msgs) => {
    for (const addGenerationPrompt of [false, true]) {
      const { ids, spans } = tok.chatSpans(msgs, { addGenerationPrompt });
      expect(ids).toEqual(tok.applyChat(msgs, { addGenerationPrompt }));
      expect(spans.map((s) => s.role)).toEqual(msgs.map((m) => m.role));
      // The template trims contents for llama and keeps them for qwen2.
      const expected = msgs.map((m) => (family === 'llama' ? m.content.trim() : m.content));
      spans.forEach((s, i) => {
        expect(tok.decode(ids.slice(s.start, s.end))).toBe(expected[i]);
        if (i > 0) expect(s.start).toBeGreaterThanOrEqual(spans[i - 1].end);
      });
      // Scaffolding + contents reassemble the rendered text exactly: nothing is lost between the spans.
      const cuts = [0, ...spans.flatMap((s) => [s.start, s.end]), ids.length];
      const parts = [];
      for (let k = 0; k + 1 < cuts.length; k++) parts.push(cuts[k] === cuts[k + 1] ? '' : tok.decode(ids.slice(cuts[k], cuts[k + 1])));
      expect(parts.join('')).toBe(tok.renderChat(msgs, { addGenerationPrompt }));
    }
  });

  it('tokenize(): text as-is, messages through the template with the generation prompt and spans', () => {
    expect(tok.tokenize('Hi')).toEqual({ ids: tok.encode('Hi') });
    const msgs = conversations[0];
    const r = tok.tokenize(msgs);
    expect(r.ids).toEqual(tok.applyChat(msgs, { addGenerationPrompt: true }));
    expect(r.spans).toHaveLength(1);
  });
});

describe('chat spans found from the template itself', () => {
  it('a token that straddles the start of a content counts as inside the span', () => {
    // "Say " + "the": the scaffold's space and the content form one token " the".
    const tok = load('qwen2', { chat_template: '{% for m in messages %}<|im_start|>Say {{ m.content }}<|im_end|>{% endfor %}' });
    const { ids, spans } = tok.chatSpans([{ role: 'user', content: 'the' }]);
    const { start, end } = spans[0];
    expect(ids.slice(start, end).map((i) => tok.decode([i]))).toEqual([' the']);
    expect(tok.decode(ids.slice(0, start))).toBe('<|im_start|>Say');
  });

  it('a token that straddles the end of a content counts as inside (Llama-3 joins "?" and a following newline)', () => {
    const tmpl = "{% for m in messages %}{% if m.role == 'user' %}Q: {% else %}A: {% endif %}{{ m.content }}\n{% endfor %}";
    const tok = load('llama', { chat_template: tmpl });
    const msgs: ChatMessage[] = [{ role: 'user', content: 'What is it?' }, { role: 'assistant', content: 'A dog' }];
    const { ids, spans } = tok.chatSpans(msgs);
    expect(spans.map((s) => tok.decode(ids.slice(s.start, s.end)))).toEqual(['What is it?\n', 'A dog']);
  });

  it('refuses a template that does not render a message', () => {
    const tok = load('qwen2', { chat_template: '{% for m in messages %}{% if m.role != "system" %}{{ m.content }}{% endif %}{% endfor %}' });
    expect(() => tok.chatSpans([{ role: 'system', content: 'x' }, { role: 'user', content: 'y' }])).toThrow(EngineError);
  });

  it('a model without a chat template refuses messages with bad-input', () => {
    const tok = load('llama', { chat_template: null });
    expect(tok.hasChatTemplate).toBe(false);
    try {
      tok.applyChat([{ role: 'user', content: 'x' }]);
      expect.unreachable();
    } catch (e) {
      expect((e as EngineError).code).toBe('bad-input');
    }
  });

  it('broken tokenizer JSON is a load-failed error', async () => {
    await expect(createTokenizer({ model: null }, {})).rejects.toMatchObject({ code: 'load-failed' });
  });
});
