/**
 * Pure helpers of the experiment views (no DOM, no engine): parsing the forms, mapping pack validation
 * messages to form fields, table exports. (The effective-pair filter, statistics and cosine live in the engine.)
 * Unit-tested in tests/unit/app/views/logic.test.ts.
 */
import type { TraitPack } from '../../engine/eval/traitPack';

/** Non-empty trimmed lines. */
export const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * "-8, -4, 0 4 8" → [-8, -4, 0, 4, 8] (commas, spaces or semicolons; duplicates dropped, order kept).
 * Returns an error message instead when a token is not a finite number or the list is empty.
 */
export function parseNumberList(text: string, { max = 64, maxAbs = 1e4 }: { max?: number; maxAbs?: number } = {}): number[] | string {
  const tokens = text.split(/[\s,;]+/).filter(Boolean);
  if (!tokens.length) return 'Give at least one number.';
  const out: number[] = [];
  for (const t of tokens) {
    const x = Number(t);
    if (!Number.isFinite(x)) return `"${t.slice(0, 20)}" is not a number.`;
    if (Math.abs(x) > maxAbs) return `${t} is out of range (|x| ≤ ${maxAbs}).`;
    if (!out.includes(x)) out.push(x);
  }
  if (out.length > max) return `At most ${max} values.`;
  return out;
}

/** "12-15" / "3" / "2..5" → [lo, hi] clamped to the model's layers, or an error message. */
export function parseLayerRange(text: string, numLayers: number): [number, number] | string {
  const m = /^\s*(\d+)\s*(?:(?:-|\.\.|–|to)\s*(\d+))?\s*$/.exec(text);
  if (!m) return 'Write a layer or a range like 2-3.';
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) return 'The range must go from low to high.';
  if (hi >= numLayers) return `The model has layers 0..${numLayers - 1}.`;
  return [lo, hi];
}

/* ---------- trait pack editing ---------- */

export type PackField = 'name' | 'description' | 'instructions' | 'extractionQuestions' | 'evaluationQuestions' | 'evalPrompt' | 'json';
export const PACK_FIELDS: PackField[] = ['name', 'description', 'instructions', 'extractionQuestions', 'evaluationQuestions', 'evalPrompt'];

/** The form's view of a pack: lists as one entry per line (pos / neg instructions side by side). */
export interface PackForm {
  name: string;
  description: string;
  pos: string;
  neg: string;
  extractionQuestions: string;
  evaluationQuestions: string;
  evalPrompt: string;
}

/** Newlines inside one entry would split it into two in the form; keep entries on one line. */
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');

export const packToForm = (p: TraitPack): PackForm => ({
  name: p.name,
  description: p.description,
  pos: p.instructions.map((x) => oneLine(x.pos)).join('\n'),
  neg: p.instructions.map((x) => oneLine(x.neg)).join('\n'),
  extractionQuestions: p.extractionQuestions.map(oneLine).join('\n'),
  evaluationQuestions: p.evaluationQuestions.map(oneLine).join('\n'),
  evalPrompt: p.evalPrompt,
});

/**
 * The object the form stands for, to be validated by validateTraitPack. Unequal pos/neg line counts become
 * an instruction with an empty side, which the validator names (instructions[3].neg: must be a non-empty string).
 */
export function formToObject(f: PackForm): Record<string, unknown> {
  const pos = lines(f.pos), neg = lines(f.neg);
  const n = Math.max(pos.length, neg.length);
  return {
    name: f.name.trim(),
    description: f.description.trim(),
    instructions: Array.from({ length: n }, (_, i) => ({ pos: pos[i] ?? '', neg: neg[i] ?? '' })),
    extractionQuestions: lines(f.extractionQuestions),
    evaluationQuestions: lines(f.evaluationQuestions),
    evalPrompt: f.evalPrompt,
  };
}

/** Persona-shape keys and the form field each stands for. */
const ALIASES: Record<string, PackField> = { instruction: 'instructions', questions: 'extractionQuestions', eval_prompt: 'evalPrompt' };

/**
 * Groups validateTraitPack / parseTraitPack messages ("instructions[2].neg: must be ...") by the form field
 * they concern; messages about the whole pack or unknown keys go to 'json'.
 */
export function errorsByField(messages: string[]): Partial<Record<PackField, string[]>> {
  const out: Partial<Record<PackField, string[]>> = {};
  for (const m of messages) {
    const head = /^([A-Za-z_]+)/.exec(m)?.[1] ?? '';
    const field: PackField = (PACK_FIELDS as string[]).includes(head) ? (head as PackField) : ALIASES[head] ?? 'json';
    (out[field] ??= []).push(m);
  }
  return out;
}

/* ---------- pipeline filter ---------- */

// The thresholds' one home is the pipeline workflow; the view store imports them from here.
export { DEFAULT_THRESHOLDS, type Thresholds } from '../../engine/eval/pipelineWorkflow';

/* ---------- statistics & export ---------- */

/** Quoting per RFC 4180; numbers keep full precision, non-finite numbers become empty cells. */
export function toCsv(header: string[], rows: (string | number | null | undefined)[][]): string {
  const cell = (x: string | number | null | undefined) => {
    if (x === null || x === undefined) return '';
    if (typeof x === 'number') return Number.isFinite(x) ? String(x) : '';
    // A leading = + - @ makes spreadsheets evaluate the cell; prefix it so text stays text.
    const s = /^[=+\-@]/.test(x) && !/^-?\d/.test(x) ? `'${x}` : x;
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** Short display label for a time. */
export const when = (t: number): string => {
  const d = new Date(t);
  return `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`;
};

export const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
