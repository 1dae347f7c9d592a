/**
 * Pure helpers of the experiment views (no DOM, no engine): parsing the forms, mapping pack validation
 * messages to form fields, table exports. (The effective-pair filter, statistics and cosine live in the engine.)
 * Unit-tested in tests/unit/app/views/logic.test.ts.
 */
import type { TraitPack } from '../../engine/clients/eval/traitPack';

/** Non-empty trimmed lines. */
export const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter(Boolean);

// The list parsers' one home is the engine (the CLI parses the same flags).
export { parseLayerRange, parseNumberList } from '../../engine/clients/io/lists';

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
export { DEFAULT_THRESHOLDS, type Thresholds } from '../../engine/clients/eval/pipelineWorkflow';

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
