/**
 * The rules of the lab's number fields, as pure functions: what the user typed either becomes a value or an
 * inline message saying what is wrong and what to type instead. Nothing is clamped behind the user's back.
 */
import type { ModelInfo } from '../engine/shared/api';
import { LIMITS } from '../engine/clients/io/shareLink';
import { COEFF_SLIDER_RANGE, MAX_ABS_COEFF } from '../engine/shared/limits';

export interface NumberRule {
  /** What the field holds, as the message names it ("Max tokens"). */
  what: string;
  min: number;
  max: number;
  integer?: boolean;
  /** Why the maximum is what it is, appended to the out-of-range message. */
  maxReason?: string;
}

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

const range = (r: NumberRule) => `${r.integer ? 'a whole number ' : 'a number '}from ${r.min} to ${r.max}`;

export function parseNumber(text: string, rule: NumberRule): Parsed {
  const t = text.trim();
  if (t === '') return { ok: false, message: `Enter ${rule.what.toLowerCase()}: ${range(rule)}.` };
  const x = Number(t);
  if (!Number.isFinite(x)) return { ok: false, message: `${rule.what} must be ${range(rule)}; "${t}" is not a number.` };
  if (rule.integer && !Number.isInteger(x)) return { ok: false, message: `${rule.what} must be ${range(rule)}; ${t} is not whole.` };
  if (x < rule.min || x > rule.max) {
    return { ok: false, message: `${rule.what} must be ${range(rule)}${x > rule.max && rule.maxReason ? ` (${rule.maxReason})` : ''}; ${t} is out of range.` };
  }
  return { ok: true, value: x };
}

/**
 * The most tokens one generation may ask for: the share-link format's cap, and never more than the model's
 * positions minus one (the prompt needs at least one; the engine also checks the actual prompt length).
 */
export function maxTokensRule(info: Pick<ModelInfo, 'maxPositions'> | null, cap: number = LIMITS.maxTokens): NumberRule {
  const byModel = info ? info.maxPositions - 1 : Infinity;
  return {
    what: 'Max tokens', min: 1, integer: true, max: Math.min(cap, byModel),
    maxReason: byModel < cap ? `this model has ${info!.maxPositions} positions for prompt and answer together` : `the lab's limit per generation`,
  };
}

/** The coefficient slider's span: the smallest of these that holds the current value, so it never pins. */
export const SLIDER_SPANS = [COEFF_SLIDER_RANGE, 50, 200, MAX_ABS_COEFF] as const;
export const sliderSpan = (coeff: number): number => SLIDER_SPANS.find((s) => Math.abs(coeff) <= s) ?? MAX_ABS_COEFF;
export const COEFF_RULE: NumberRule = { what: 'The coefficient', min: -MAX_ABS_COEFF, max: MAX_ABS_COEFF };

/** The problem with a prompt-like text, or null: over the limit it is refused visibly, never cut. */
export function textProblem(what: string, text: string, limit: number = LIMITS.text): string | null {
  return text.length > limit ? `${what} is ${text.length.toLocaleString('en')} characters; the lab takes at most ${limit.toLocaleString('en')} (share links carry it). Shorten it to generate.` : null;
}
