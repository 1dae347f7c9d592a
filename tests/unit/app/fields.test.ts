import { describe, expect, it } from 'vitest';
import { COEFF_RULE, maxTokensRule, parseNumber, sliderSpan, textProblem } from '../../../src/app/fields';

describe('parseNumber', () => {
  const rule = { what: 'Max tokens', min: 1, max: 100, integer: true };
  it('passes values in range through unchanged', () => {
    expect(parseNumber('32', rule)).toEqual({ ok: true, value: 32 });
    expect(parseNumber(' 1 ', rule)).toEqual({ ok: true, value: 1 });
    expect(parseNumber('100', rule)).toEqual({ ok: true, value: 100 });
  });
  it('never clamps: empty, out of range, fractional and non-numbers get a message naming the range', () => {
    for (const [text, says] of [['', /^Enter max tokens: a whole number from 1 to 100\.$/], ['-5', /-5 is out of range/], ['1e9', /1e9 is out of range/], ['0', /0 is out of range/], ['2.5', /2\.5 is not whole/], ['abc', /"abc" is not a number/]] as const) {
      const p = parseNumber(text, rule);
      expect(p.ok).toBe(false);
      if (!p.ok) expect(p.message).toMatch(says);
    }
  });
  it('adds the reason for the maximum only when the value is above it', () => {
    const r = { ...rule, maxReason: 'because' };
    expect(parseNumber('101', r)).toMatchObject({ message: expect.stringContaining('(because)') });
    expect(parseNumber('0', r)).toMatchObject({ message: expect.not.stringContaining('because') });
  });
});

describe('maxTokensRule', () => {
  it('takes the smaller of the lab cap and the model positions minus one (the prompt needs a position)', () => {
    expect(maxTokensRule({ maxPositions: 2048 }, 1024)).toMatchObject({ min: 1, max: 1024, integer: true });
    const small = maxTokensRule({ maxPositions: 64 }, 1024);
    expect(small.max).toBe(63);
    expect(small.maxReason).toMatch(/64 positions/);
    expect(maxTokensRule(null, 1024).max).toBe(1024);
  });
});

describe('coefficient ranges', () => {
  it('the slider span holds any value the exact box accepts, smallest first', () => {
    expect(sliderSpan(0)).toBe(10);
    expect(sliderSpan(-10)).toBe(10);
    expect(sliderSpan(10.5)).toBe(50);
    expect(sliderSpan(-120)).toBe(200);
    expect(sliderSpan(COEFF_RULE.max)).toBe(COEFF_RULE.max);
    expect(sliderSpan(COEFF_RULE.min)).toBe(-COEFF_RULE.min);
  });
});

describe('textProblem', () => {
  it('says how long the text is and what the limit is, and nothing at or under it', () => {
    expect(textProblem('The prompt', 'x'.repeat(10), 10)).toBeNull();
    expect(textProblem('The prompt', 'x'.repeat(100_000), 4000)).toBe('The prompt is 100,000 characters; the lab takes at most 4,000 (share links carry it). Shorten it to generate.');
  });
});
