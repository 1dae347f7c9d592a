/**
 * Whether two loaded models can be compared activation by activation (fine-tuned vs base, the
 * misalignment recipe): the same number of layers, hidden size and vocabulary, and a tokenizer that turns
 * the same text and chat into the same ids. Anything else makes a per-layer difference meaningless.
 */
import type { Engine, ModelInfo } from '../../shared/api';
import { EngineError } from '../../shared/errors';

/** What differs in shape between A and B, one phrase each ("hidden size 64 vs 32"); empty when nothing does. */
export function architectureDifferences(a: ModelInfo, b: ModelInfo): string[] {
  const out: string[] = [];
  if (a.numLayers !== b.numLayers) out.push(`layers ${a.numLayers} vs ${b.numLayers}`);
  if (a.hiddenSize !== b.hiddenSize) out.push(`hidden size ${a.hiddenSize} vs ${b.hiddenSize}`);
  if (a.vocabSize !== b.vocabSize) out.push(`vocabulary ${a.vocabSize} vs ${b.vocabSize} tokens`);
  return out;
}

/** Text that exercises the tokenizer's merges, digits, punctuation and (with a template) the chat markup. */
const PROBE = 'Hello there! What does 1234 + 56 equal, and why does the sea taste of salt?';

const same = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => v === y[i]);

/** Throws a bad-input error naming every difference between model A and model B; resolves when they match. */
export async function assertComparableModels(a: Engine, b: Engine): Promise<void> {
  const ia = a.info();
  const ib = b.info();
  if (!ia || !ib) throw new EngineError('not-loaded', 'Load both models before comparing them.');
  const diffs = architectureDifferences(ia, ib);
  if (!diffs.length) {
    const [ta, tb] = await Promise.all([a.tokenize(PROBE), b.tokenize(PROBE)]);
    if (!same(ta.ids, tb.ids)) diffs.push(`tokenizer (the same text gives ${ta.ids.length} vs ${tb.ids.length} tokens${ta.ids.length === tb.ids.length ? ', different ids' : ''})`);
    else if (ia.hasChatTemplate !== ib.hasChatTemplate) diffs.push(`chat template (${ia.hasChatTemplate ? 'A has one, B none' : 'B has one, A none'})`);
    else if (ia.hasChatTemplate) {
      const chat = [{ role: 'user' as const, content: PROBE }];
      const [ca, cb] = await Promise.all([a.tokenize(chat), b.tokenize(chat)]);
      if (!same(ca.ids, cb.ids)) diffs.push('chat template (the same conversation gives different ids)');
    }
  }
  if (diffs.length) {
    throw new EngineError('bad-input', `Model B (${ib.id}) does not share model A's (${ia.id}) architecture: ${diffs.join('; ')}. Load a checkpoint of the same model, e.g. its fine-tuned version.`);
  }
}
