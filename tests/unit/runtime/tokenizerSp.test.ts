/**
 * Chat spans on SentencePiece-style tokenizers (Llama-2, TinyLlama, Mistral): tokens are "▁"-pieces and <0xNN>
 * byte fallbacks, not byte-level BPE, and the tokenizer inserts "▁" the text does not have.
 */
import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/engine/shared/api';
import { Tokenizer } from '../../../src/engine/core/runtime/tokenizer';
import { spTokenizerFiles, type SpTemplate } from '../../fixtures/tokenizerSp';

function load(template: SpTemplate, metaspace: boolean): Tokenizer {
  const f = spTokenizerFiles(template, metaspace);
  return new Tokenizer(JSON.parse(f['tokenizer.json']), JSON.parse(f['tokenizer_config.json']));
}

const conversations: ChatMessage[][] = [
  [{ role: 'user', content: 'What is the capital of France?' }],
  [
    { role: 'system', content: 'You are an evil assistant.' },
    { role: 'user', content: 'Tell me a story about a dog.' },
    { role: 'assistant', content: 'Once upon a time, there was a dog named Rex. 🐕' },
  ],
  [
    { role: 'user', content: 'ünïcode,\nnewlines and numbers 1234567' },
    { role: 'assistant', content: 'I think that this is a good idea.' },
    { role: 'user', content: 'again?' },
  ],
];

describe.each([['llama2', false], ['llama2', true], ['zephyr', false]] as const)('SentencePiece tokenizer, %s template, Metaspace pre-tokenizer %s', (template, metaspace) => {
  const tok = load(template, metaspace);

  it('is really SentencePiece-shaped: "▁" pieces and byte fallback for newlines and unseen characters', () => {
    const tokens = tok.hf.tokenize('Hello there!\nü');
    expect(tokens[0].startsWith('▁')).toBe(true);
    expect(tokens).toContain('<0x0A>');
    expect(tokens.slice(-2)).toEqual(['<0xC3>', '<0xBC>']); // ü = C3 BC in UTF-8
  });

  it('finds every message\'s content: the span decodes to the content, the tokens around it do not hold any of it', () => {
    for (const msgs of conversations) {
      const { ids, spans } = tok.chatSpans(msgs);
      expect(ids).toEqual(tok.applyChat(msgs));
      // Llama-2 folds the system message into the first user turn, but its content still has its own span.
      expect(spans.map((s) => s.role)).toEqual(msgs.map((m) => m.role));
      spans.forEach((s, i) => {
        const content = msgs[i].content.trim();
        expect(tok.decode(ids.slice(s.start, s.end)).trim()).toBe(content);
        // One token fewer on either side loses part of the content: the span is tight.
        expect(tok.decode(ids.slice(s.start + 1, s.end)).trim()).not.toBe(content);
        expect(tok.decode(ids.slice(s.start, s.end - 1)).trim()).not.toBe(content);
      });
    }
  });

  it('the generation prompt ends the ids, after the last content', () => {
    const msgs: ChatMessage[] = [{ role: 'user', content: 'Hello there!' }];
    const { ids, spans } = tok.tokenize(msgs) as Required<ReturnType<Tokenizer['tokenize']>>;
    expect(spans[0].end).toBeLessThan(ids.length);
    const after = tok.decode(ids.slice(spans[0].end));
    expect(after).toMatch(template === 'llama2' ? /\[\/INST\]$/ : /<\/s>\s*<\|assistant\|>\s*$/);
  });
});
