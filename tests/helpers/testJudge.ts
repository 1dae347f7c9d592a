/**
 * TEST-ONLY JUDGE. Scores are a hash of the prompt text, so they are deterministic, spread over 0..100 and
 * carry no meaning. Random-weight fixture models never pass a real judge; this lets the pipeline's
 * filter, caching and resume logic run end to end. The real local judge is tested in localJudge.test.ts.
 */
import type { Judge } from '../../src/engine/clients/eval/scoring';

export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function hashTestJudge(): Judge & { prompts: number } {
  const j = {
    id: 'TEST-ONLY-hash-judge',
    prompts: 0,
    async scoreMany(prompts: string[]) {
      j.prompts += prompts.length;
      return prompts.map((p) => fnv1a(p) % 101);
    },
  };
  return j;
}
