/**
 * The lexical judge: scores an answer 0..100 from the density of a trait's marker words, with no model at all.
 * It exists for models too small to judge (the demo model) and as a transparent, deterministic check beside the
 * model judges: a reader can recount every score by hand.
 *
 *   words  = the answer's lower-cased runs of letters and apostrophes
 *   hits   = words matching a marker ("unto"; "*eth" matches any word of 4+ letters ending in "eth")
 *   score  = min(100, 100 · hits / (words · fullDensity))      (null for an answer with no words)
 *
 * `fullDensity` is the marker share at which an answer counts as fully in the trait (pack-given: e.g. 0.10,
 * ten markers per hundred words). It reads answers directly, so it grades no coherence (null: "not judged").
 */
import { EngineError } from '../../shared/errors';
import type { Judge, QA } from './scoring';

export interface Lexicon {
  /** Marker words, lower case; a leading `*` makes a suffix pattern ("*eth"), a trailing one a prefix ("thou*"). */
  words: string[];
  /** Marker share of all words that scores 100 (0 < fullDensity ≤ 1). */
  fullDensity: number;
}

const WORD = /[a-z]+(?:'[a-z]+)*/g;

export const wordsOf = (text: string): string[] => text.toLowerCase().replace(/[’‘]/g, "'").match(WORD) ?? [];

/** A predicate over lower-case words for the lexicon's markers. */
export function markerMatcher(words: readonly string[]): (w: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const prefixes: string[] = [];
  for (const raw of words) {
    const m = raw.trim().toLowerCase();
    if (m.startsWith('*') && m.length > 1) suffixes.push(m.slice(1));
    else if (m.endsWith('*') && m.length > 1) prefixes.push(m.slice(0, -1));
    else if (m) exact.add(m);
  }
  // A pattern needs at least one letter beyond itself, so "*eth" does not count the word "eth".
  return (w) => exact.has(w)
    || suffixes.some((s) => w.length > s.length && w.endsWith(s))
    || prefixes.some((p) => w.length > p.length && w.startsWith(p));
}

export function checkLexicon(lex: Lexicon): void {
  if (!Array.isArray(lex.words) || lex.words.filter((w) => w.trim()).length === 0) {
    throw new EngineError('bad-input', 'The lexical judge needs at least one marker word.');
  }
  if (!(lex.fullDensity > 0 && lex.fullDensity <= 1)) {
    throw new EngineError('bad-input', `The lexical judge's fullDensity must be in (0, 1]; got ${lex.fullDensity}.`);
  }
}

/** Score of one answer; null when it has no words. */
export function lexicalScore(answer: string, lex: Lexicon, isMarker = markerMatcher(lex.words)): number | null {
  const ws = wordsOf(answer);
  if (ws.length === 0) return null;
  let hits = 0;
  for (const w of ws) if (isMarker(w)) hits++;
  return Math.min(100, (100 * hits) / (ws.length * lex.fullDensity));
}

export interface LexicalJudge extends Judge {
  readonly lexicon: Lexicon;
  scoreItems(items: QA[]): Promise<(number | null)[]>;
}

/**
 * A Judge over a lexicon. Its id names every marker and the density, so cached scores never cross lexicons.
 * scoreMany (filled judge prompts) is refused: the lexical judge reads answers, and scoreAnswers hands it them.
 */
export function createLexicalJudge(lex: Lexicon): LexicalJudge {
  checkLexicon(lex);
  const lexicon: Lexicon = { words: [...lex.words].map((w) => w.trim().toLowerCase()).filter(Boolean).sort(), fullDensity: lex.fullDensity };
  const isMarker = markerMatcher(lexicon.words);
  return {
    id: `lexical:${lexicon.fullDensity}:${lexicon.words.join(',')}`,
    label: 'lexical (marker words)',
    lexicon,
    scoreItems: async (items) => items.map((x) => lexicalScore(x.answer, lexicon, isMarker)),
    scoreMany: async () => {
      throw new EngineError('internal', 'The lexical judge scores answers, not judge prompts; call scoreAnswers.');
    },
  };
}
