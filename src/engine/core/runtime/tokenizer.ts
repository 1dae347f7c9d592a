/**
 * Tokenizer and chat template, loaded from in-memory JSON through transformers.js.
 *
 * transformers.js 4.x builds a tokenizer with `new <Class>(tokenizerJSON, tokenizerConfig)`; AutoTokenizer
 * only adds the hub download and picks <Class> from `tokenizer_config.tokenizer_class` (minus "Fast"),
 * falling back to PreTrainedTokenizer. We do the same pick without the download, since modelFiles.ts has
 * already fetched the two files.
 *
 * chatSpans locates each message's content in the templated ids from the template itself: it renders the
 * conversation once with sentinel contents (to learn the scaffolding between contents) and once for real,
 * aligns the two, and maps character ranges to tokens through the byte extent of every token:
 *  - byte-level BPE (Llama-3, Qwen2, SmolLM2): every character of a token stands for one byte of the normalized text;
 *  - SentencePiece-style (Llama-2, TinyLlama, Mistral, Gemma: Metaspace "▁" for spaces, <0xNN> byte fallback): each
 *    token's surface text ("▁" as a space, <0xNN> as that byte, added tokens as their content) is walked along the
 *    rendered text's bytes. These tokenizers insert a "▁" the text does not have (at the start, and in legacy Llama
 *    after every special token), and added tokens may strip whitespace beside them; both are recognised and given
 *    no width. Anything else that does not line up is refused rather than guessed.
 */
import * as transformers from '@huggingface/transformers';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import type { ChatMessage, TokenizedPrompt } from '../../shared/api';
import { EngineError } from '../../shared/errors';

export type JsonObject = Record<string, unknown>;
export interface ChatOptions {
  addGenerationPrompt?: boolean;
  /** Qwen3-style templates: false renders the generation prompt with an empty think block (no reasoning). */
  enableThinking?: boolean;
}
export interface DecodeOptions { skipSpecialTokens?: boolean }
export type ChatSpan = NonNullable<TokenizedPrompt['spans']>[number];

/** GPT-2's byte-to-character table used by byte-level BPE: entry b is the character standing for byte b. */
export function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  }
  return table;
}

/** What we use of @huggingface/tokenizers' Tokenizer (typed loosely: it is a transitive dependency). */
interface CoreTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[]; tokens: string[] };
  normalizer: ((text: string) => string) | null;
}

type TokenizerClass = new (json: JsonObject, config: JsonObject) => PreTrainedTokenizer;

/** The class AutoTokenizer would pick for this config. */
function tokenizerClass(config: JsonObject): TokenizerClass {
  const name = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
  const candidate = (transformers as unknown as Record<string, unknown>)[name];
  const isTokenizer = typeof candidate === 'function'
    && (candidate === PreTrainedTokenizer || candidate.prototype instanceof PreTrainedTokenizer);
  return isTokenizer ? (candidate as TokenizerClass) : PreTrainedTokenizer;
}

const SENTINEL = (i: number): string => `\uE000${i}\uE001`;

/** True when the tokenizer maps bytes to characters (GPT-2 style ByteLevel pre-tokenizer or decoder). */
function isByteLevel(json: JsonObject): boolean {
  const has = (x: unknown): boolean => {
    if (!x || typeof x !== 'object') return false;
    const o = x as Record<string, unknown>;
    if (o.type === 'ByteLevel') return true;
    return [o.pretokenizers, o.decoders].some((list) => Array.isArray(list) && list.some(has));
  };
  return has(json.pre_tokenizer) || has(json.decoder);
}

const isSpace = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;

export class Tokenizer {
  readonly hf: PreTrainedTokenizer;
  private readonly byteOf: Map<string, number>;
  private readonly addedIds: Set<number>;
  private readonly byteLevel: boolean;
  private readonly utf8 = new TextEncoder();

  constructor(tokenizerJson: JsonObject, tokenizerConfig: JsonObject) {
    try {
      this.hf = new (tokenizerClass(tokenizerConfig))(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new EngineError('load-failed', `tokenizer.json / tokenizer_config.json could not be loaded (${(e as Error).message}).`);
    }
    this.byteOf = new Map(bytesToUnicode().map((ch, b) => [ch, b]));
    this.byteLevel = isByteLevel(tokenizerJson);
    this.addedIds = new Set([...this.core.get_added_tokens_decoder().keys()]);
  }

  private get core(): CoreTokenizer & { get_added_tokens_decoder(): Map<number, unknown> } {
    return this.hf._tokenizer as unknown as CoreTokenizer & { get_added_tokens_decoder(): Map<number, unknown> };
  }

  get hasChatTemplate(): boolean { return this.hf.chat_template != null; }
  get bosId(): number | null { return this.hf.bos_token_id ?? null; }
  get padId(): number | null { return this.hf.pad_token_id ?? null; }
  /** Number of ids the tokenizer can produce (base vocabulary plus added tokens). */
  get vocabSize(): number { return this.hf.get_vocab().size; }

  /** eos ids: generation_config's list (what the model really stops on) plus the tokenizer's eos_token. */
  eosIds(generationConfig?: JsonObject): number[] {
    const fromGen = generationConfig?.eos_token_id;
    const ids: unknown[] = Array.isArray(fromGen) ? [...fromGen] : fromGen == null ? [] : [fromGen];
    if (this.hf.eos_token_id != null) ids.push(this.hf.eos_token_id);
    return [...new Set(ids.filter((x): x is number => Number.isInteger(x)))];
  }

  /** Tokenizes as-is, adding special tokens the way the tokenizer does by default (BOS for Llama-3, none for Qwen2). */
  encode(text: string): number[] {
    return this.hf.encode(text);
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    if (ids.length === 0) return '';
    return this.hf.decode(Array.from(ids), { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** The chat template rendered to text. */
  renderChat(messages: ChatMessage[], options: ChatOptions = {}): string {
    if (!this.hasChatTemplate) throw new EngineError('bad-input', 'This model has no chat template; send the prompt as plain text instead of messages.');
    return this.hf.apply_chat_template(messages, {
      tokenize: false,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...(options.enableThinking === undefined ? {} : { enable_thinking: options.enableThinking }),
    }) as string;
  }

  applyChat(messages: ChatMessage[], options: ChatOptions = {}): number[] {
    return this.encodeRendered(this.renderChat(messages, options)).ids;
  }

  /** Same as chatSpans (the name the engine uses). */
  chat(messages: ChatMessage[], options: ChatOptions = {}): Required<TokenizedPrompt> {
    return this.chatSpans(messages, options);
  }

  /**
   * The templated ids (as applyChat gives them) and, for each message, the [start, end) token span of its
   * content as the template rendered it (e.g. trimmed). A token straddling a content edge counts as inside.
   * An assistant content with a `<think>…</think>` block spans the answer after it (see splitReasoning).
   */
  chatSpans(messages: ChatMessage[], options: ChatOptions = {}): Required<TokenizedPrompt> {
    const rendered = this.renderChat(messages, options);
    const ranges = contentRanges(rendered, this.renderChat(sentinelMessages(messages), options), messages);
    const { ids, tokens } = this.encodeRendered(rendered);
    let ends: number[];
    let byteAt: (charIndex: number) => number;
    if (this.byteLevel) {
      ends = this.tokenByteEnds(ids, tokens);
      byteAt = (charIndex) => this.utf8.encode(this.normalize(rendered.slice(0, charIndex))).length;
      if (ends[ends.length - 1] !== this.utf8.encode(this.normalize(rendered)).length) {
        throw new EngineError('internal', 'Chat spans: the tokens do not cover the templated text byte for byte.');
      }
    } else {
      ends = this.surfaceEnds(ids, tokens, this.utf8.encode(rendered));
      byteAt = (charIndex) => this.utf8.encode(rendered.slice(0, charIndex)).length;
    }
    const spans = ranges.map(([a, b], i) => ({ role: messages[i].role, ...tokenSpan(ends, byteAt(a), byteAt(b)) }));
    return { ids, spans };
  }

  /** ids for a generate row: plain text as-is, messages through the template with the generation prompt. */
  tokenize(prompt: string | ChatMessage[]): TokenizedPrompt {
    if (typeof prompt === 'string') return { ids: this.encode(prompt) };
    return this.chatSpans(prompt, { addGenerationPrompt: true });
  }

  /** Templates already contain their special tokens, so rendered text is encoded without adding more. */
  private encodeRendered(text: string): { ids: number[]; tokens: string[] } {
    return this.core.encode(text, { add_special_tokens: false });
  }

  private normalize(text: string): string {
    const n = this.core.normalizer;
    return n ? n(text) : text;
  }

  /** Cumulative UTF-8 byte end of every token: added tokens are their content, BPE tokens map char -> byte. */
  private tokenByteEnds(ids: number[], tokens: string[]): number[] {
    const ends: number[] = [];
    let at = 0;
    tokens.forEach((token, i) => {
      at += this.addedIds.has(ids[i]) ? this.utf8.encode(token).length : this.byteLength(token);
      ends.push(at);
    });
    return ends;
  }

  private byteLength(token: string): number {
    let n = 0;
    for (const ch of token) {
      if (!this.byteOf.has(ch)) throw new EngineError('internal', `Chat spans: byte-level token "${token}" has a character outside the byte table.`);
      n++;
    }
    return n;
  }

  /** SentencePiece-style tokens walked along the rendered text's bytes (see the header comment); cumulative ends. */
  private surfaceEnds(ids: number[], tokens: string[], text: Uint8Array): number[] {
    const ends: number[] = [];
    let at = 0;
    const fits = (s: Uint8Array, from: number): boolean => from + s.length <= text.length && s.every((b, j) => text[from + j] === b);
    const fail = (i: number): EngineError => new EngineError('unsupported-model',
      `Chat spans: token ${i} ("${tokens[i]}") does not line up with the templated text at byte ${at}; this tokenizer's normalizer changes the text in a way spans cannot follow.`);
    tokens.forEach((token, i) => {
      const added = this.addedIds.has(ids[i]);
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
      let s = added ? this.utf8.encode(token) : byte ? Uint8Array.of(parseInt(byte[1], 16)) : this.utf8.encode(token.replace(/\u2581/g, ' '));
      if (!fits(s, at)) {
        if (!added && s[0] === 0x20 && fits(s.subarray(1), at)) s = s.subarray(1); // a "▁" the tokenizer inserted
        else if ((added || this.addedIds.has(ids[i - 1])) && isSpace(text[at])) { // whitespace an added token stripped
          while (at < text.length && isSpace(text[at]) && !fits(s, at)) at++;
          if (!fits(s, at)) throw fail(i);
        } else throw fail(i);
      }
      at += s.length;
      ends.push(at);
    });
    while (at < text.length && isSpace(text[at]) && tokens.length && this.addedIds.has(ids[ids.length - 1])) at++; // stripped after the last token
    if (at !== text.length) throw new EngineError('internal', `Chat spans: the tokens cover ${at} of the templated text's ${text.length} bytes.`);
    if (ends.length) ends[ends.length - 1] = at;
    return ends;
  }
}

/** Async for callers that may later load tokenizers lazily; construction is synchronous today. */
export async function createTokenizer(tokenizerJson: JsonObject, tokenizerConfig: JsonObject): Promise<Tokenizer> {
  return new Tokenizer(tokenizerJson, tokenizerConfig);
}

const THINK_END = '</think>';

/**
 * An assistant content that carries its reasoning ("<think>…</think>\n\nanswer", as Qwen3 writes it): reasoning
 * templates (Qwen3) move the reasoning into the scaffolding of the last turn and drop it from earlier ones, and
 * render the answer after it. So the reasoning goes with the scaffolding, the same on every template, and the
 * span is the answer.
 */
function splitReasoning(m: ChatMessage): { reasoning: string; answer: string } {
  const k = m.role === 'assistant' ? m.content.lastIndexOf(THINK_END) : -1;
  if (k < 0) return { reasoning: '', answer: m.content };
  const rest = m.content.slice(k + THINK_END.length);
  const answer = rest.replace(/^\n+/, '');
  return { reasoning: m.content.slice(0, m.content.length - answer.length), answer };
}

function sentinelMessages(messages: ChatMessage[]): ChatMessage[] {
  return messages.map((m, i) => ({ role: m.role, content: splitReasoning(m).reasoning + SENTINEL(i) }));
}

/**
 * Character ranges of each message's content in `rendered`. `withSentinels` gives the scaffolding around
 * every content; the content itself may have been transformed by the template (e.g. `| trim`), so each
 * candidate form is tried where it must sit: right after the scaffolding, followed by the next scaffolding.
 */
function contentRanges(rendered: string, withSentinels: string, messages: ChatMessage[]): [number, number][] {
  const pieces: string[] = [];
  let from = 0;
  messages.forEach((_, i) => {
    const at = withSentinels.indexOf(SENTINEL(i), from);
    if (at < 0) throw new EngineError('unsupported-model', `The chat template does not render message ${i} (${messages[i].role}) in place; spans cannot be located.`);
    pieces.push(withSentinels.slice(from, at));
    from = at + SENTINEL(i).length;
  });
  pieces.push(withSentinels.slice(from));
  return alignContents(rendered, pieces, messages);
}

function alignContents(rendered: string, pieces: string[], messages: ChatMessage[]): [number, number][] {
  const ranges: [number, number][] = [];
  let pos = 0;
  messages.forEach((m, i) => {
    if (!rendered.startsWith(pieces[i], pos)) throw alignError(i);
    pos += pieces[i].length;
    const c = splitReasoning(m).answer;
    const forms = [...new Set([c, c.trim(), c.trimStart(), c.trimEnd()])];
    const next = pieces[i + 1];
    const form = forms.find((f) => rendered.startsWith(f, pos) && rendered.startsWith(next, pos + f.length));
    if (form === undefined) throw alignError(i);
    ranges.push([pos, pos + form.length]);
    pos += form.length;
  });
  return ranges;
}

function alignError(i: number): EngineError {
  return new EngineError('unsupported-model', `The chat template changes message ${i}'s content in a way chat spans cannot follow.`);
}

/** Tokens overlapping bytes [a, b); an empty content gives an empty span at the token boundary after `a`. */
function tokenSpan(ends: number[], a: number, b: number): { start: number; end: number } {
  let start = 0;
  while (start < ends.length && ends[start] <= a) start++;
  if (b <= a) return { start, end: start };
  let end = start;
  while (end < ends.length && (end === 0 ? 0 : ends[end - 1]) < b) end++;
  return { start, end };
}
