/**
 * Incremental detokenization for streaming: each new token costs a decode of a few tokens, not of the
 * whole text so far. The window [prefix, read) is the last emitted stretch, decoded again beside the new
 * tokens so that tokenizers whose pieces depend on their neighbour (SentencePiece's leading space,
 * cleanup of spaces before punctuation) give the same text as decoding everything at once. A token that
 * ends inside a multi-byte UTF-8 character decodes to U+FFFD; its text waits until the character is
 * complete. A character has at most 4 bytes, but tokens that decode to nothing on their own (a
 * SentencePiece word-start piece) may come before them, so only after 8 pending tokens is a text that still
 * ends in U+FFFD emitted as it decodes (a stray byte must not hold the stream back for ever).
 */
const MAX_PENDING = 8;

export class TextStream {
  private readonly tokens: number[] = [];
  private prefix = 0;
  private read = 0;
  /** The text emitted so far. */
  text = '';

  constructor(private readonly decode: (ids: number[]) => string) {}

  /** Adds one token; returns the text so far. */
  push(token: number): string {
    this.tokens.push(token);
    const before = this.decode(this.tokens.slice(this.prefix, this.read));
    const now = this.decode(this.tokens.slice(this.prefix));
    const pending = this.tokens.length - this.read;
    if (now.length > before.length && (!now.endsWith('\uFFFD') || pending >= MAX_PENDING)) {
      this.text += now.slice(before.length);
      this.prefix = this.read;
      this.read = this.tokens.length;
    }
    return this.text;
  }
}
