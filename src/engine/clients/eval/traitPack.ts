/**
 * Trait packs: contrastive instructions, questions and a judge prompt for one trait.
 * Two shapes are accepted and normalised to TraitPack: ours, and the persona-vectors JSON shape
 * {instruction: [{pos, neg}], questions: [...], eval_prompt} whose questions are split in halves
 * (first half for extraction, second for evaluation, so a vector is never scored on its own training prompts),
 * or, given persona_vectors' extract and eval files together, split as upstream splits them (parsePersonaPair).
 * Validation is JSON Schema (ajv); errors are rewritten to name the field and the problem in plain words.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { EngineError } from '../../shared/errors';
import type { Lexicon } from './lexicalJudge';

export interface InstructionPair {
  pos: string;
  neg: string;
}

export interface TraitPack {
  name: string;
  description: string;
  instructions: InstructionPair[];
  extractionQuestions: string[];
  evaluationQuestions: string[];
  /** Judge prompt with {question} and {answer} slots. */
  evalPrompt: string;
  /** Marker words for the lexical judge (lexicalJudge.ts); packs without them can only be model-judged. */
  markers?: Lexicon;
}

export interface PersonaTraitJson {
  instruction: InstructionPair[];
  questions: string[];
  eval_prompt: string;
  /** Our extension (persona-vectors has no lexical judge); optional on import. */
  markers?: Lexicon;
}

/** Limits: generous for real packs, small enough that a pasted file cannot stall the tab. */
export const PACK_LIMITS = {
  name: 80,
  description: 2000,
  instruction: 4000,
  question: 4000,
  evalPrompt: 20000,
  maxInstructions: 200,
  maxQuestions: 2000,
  maxMarkers: 500,
  marker: 40,
} as const;

const text = (max: number, nonEmpty = true): object =>
  nonEmpty ? { type: 'string', minLength: 1, maxLength: max, pattern: '\\S' } : { type: 'string', maxLength: max };

const pair = {
  type: 'object',
  required: ['pos', 'neg'],
  additionalProperties: false,
  properties: { pos: text(PACK_LIMITS.instruction), neg: text(PACK_LIMITS.instruction) },
};
const pairs = { type: 'array', minItems: 1, maxItems: PACK_LIMITS.maxInstructions, items: pair };
const questions = (min: number): object => ({ type: 'array', minItems: min, maxItems: PACK_LIMITS.maxQuestions, items: text(PACK_LIMITS.question) });
const markers = {
  type: 'object',
  required: ['words', 'fullDensity'],
  additionalProperties: false,
  properties: {
    words: { type: 'array', minItems: 1, maxItems: PACK_LIMITS.maxMarkers, items: text(PACK_LIMITS.marker) },
    fullDensity: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  },
};
const evalPrompt = { ...text(PACK_LIMITS.evalPrompt), allOf: [{ type: 'string', pattern: '\\{question\\}' }, { type: 'string', pattern: '\\{answer\\}' }] };

const OURS_SCHEMA = {
  type: 'object',
  required: ['name', 'description', 'instructions', 'extractionQuestions', 'evaluationQuestions', 'evalPrompt'],
  additionalProperties: false,
  properties: {
    name: text(PACK_LIMITS.name),
    description: text(PACK_LIMITS.description, false),
    instructions: pairs,
    extractionQuestions: questions(1),
    evaluationQuestions: questions(1),
    evalPrompt,
    markers,
  },
};

/** Lenient about extra keys: persona files from other tools may carry their own bookkeeping. */
const PERSONA_SCHEMA = {
  type: 'object',
  required: ['instruction', 'questions', 'eval_prompt'],
  properties: { instruction: pairs, questions: questions(2), eval_prompt: evalPrompt, markers },
};

let compiled: { ours: ValidateFunction; persona: ValidateFunction } | null = null;
function validators(): { ours: ValidateFunction; persona: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    compiled = { ours: ajv.compile(OURS_SCHEMA), persona: ajv.compile(PERSONA_SCHEMA) };
  }
  return compiled;
}

/** "/instruction/2/neg" -> "instruction[2].neg" */
function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(pack)';
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${fieldPath(e.instancePath, String(p.missingProperty))}: is required`;
    case 'additionalProperties':
      return `${fieldPath(e.instancePath, String(p.additionalProperty))}: is not a known field`;
    case 'type': {
      const t = String(p.type);
      const noun = t === 'array' ? 'a list' : t === 'object' ? 'an object' : t === 'string' ? 'a string' : `of type ${t}`;
      return `${fieldPath(e.instancePath)}: must be ${noun}`;
    }
    case 'minLength':
      return `${fieldPath(e.instancePath)}: must be a non-empty string`;
    case 'maxLength':
      return `${fieldPath(e.instancePath)}: is too long (at most ${p.limit} characters)`;
    case 'minItems':
      return `${fieldPath(e.instancePath)}: must have at least ${p.limit} ${p.limit === 1 ? 'entry' : 'entries'}`;
    case 'maxItems':
      return `${fieldPath(e.instancePath)}: has too many entries (at most ${p.limit})`;
    case 'pattern': {
      const slot = /question|answer/.exec(String(p.pattern));
      return slot
        ? `${fieldPath(e.instancePath)}: must contain the {${slot[0]}} slot`
        : `${fieldPath(e.instancePath)}: must be a non-empty string`;
    }
    default:
      return `${fieldPath(e.instancePath)}: ${e.message ?? 'is invalid'}`;
  }
}

export type PackValidation = { ok: true; pack: TraitPack } | { ok: false; errors: string[] };

export const isPersonaShape = (x: unknown): boolean =>
  typeof x === 'object' && x !== null && ('instruction' in x || 'eval_prompt' in x || ('questions' in x && !('extractionQuestions' in x)));

/** Validates either shape; persona packs take name/description from `defaults` (e.g. the file name). */
export function validateTraitPack(input: unknown, defaults: { name?: string; description?: string } = {}): PackValidation {
  const v = validators();
  const persona = isPersonaShape(input);
  const check = persona ? v.persona : v.ours;
  if (!check(input)) {
    const errors = [...new Set((check.errors ?? []).filter((e) => e.keyword !== 'allOf').map(describe))];
    return { ok: false, errors };
  }
  if (!persona) {
    const p = input as TraitPack;
    return { ok: true, pack: { ...p, instructions: p.instructions.map(({ pos, neg }) => ({ pos, neg })) } };
  }
  const j = input as PersonaTraitJson;
  const half = Math.ceil(j.questions.length / 2);
  return {
    ok: true,
    pack: {
      name: defaults.name ?? 'imported',
      description: defaults.description ?? '',
      instructions: j.instruction.map(({ pos, neg }) => ({ pos, neg })),
      extractionQuestions: j.questions.slice(0, half),
      evaluationQuestions: j.questions.slice(half),
      evalPrompt: j.eval_prompt,
      ...(j.markers ? { markers: { words: [...j.markers.words], fullDensity: j.markers.fullDensity } } : {}),
    },
  };
}

/** Parses (from text or an object) and validates, throwing one bad-input error listing every problem. */
export function parseTraitPack(input: unknown, defaults: { name?: string; description?: string } = {}): TraitPack {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new EngineError('bad-input', `The trait pack is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const r = validateTraitPack(value, defaults);
  if (!r.ok) throw new EngineError('bad-input', `The trait pack has ${r.errors.length} problem${r.errors.length === 1 ? '' : 's'}:\n${r.errors.join('\n')}`);
  return r.pack;
}


/**
 * persona_vectors keeps each trait in two files with the same instructions and judge prompt but disjoint questions:
 * trait_data_extract (its questions build the vector) and trait_data_eval (its questions score it). Imported
 * together they make one pack with upstream's split; a single file is halved instead (validateTraitPack).
 */
export function parsePersonaPair(extract: unknown, evaluation: unknown, defaults: { name?: string; description?: string } = {}): TraitPack {
  const read = (x: unknown, which: string): PersonaTraitJson => {
    let value = x;
    if (typeof x === 'string') {
      try { value = JSON.parse(x); } catch (e) { throw new EngineError('bad-input', `The ${which} file is not valid JSON: ${e instanceof Error ? e.message : String(e)}`); }
    }
    if (!isPersonaShape(value)) throw new EngineError('bad-input', `The ${which} file is not a persona_vectors trait file ({instruction, questions, eval_prompt}); a pair needs two of them.`);
    const r = validateTraitPack(value);
    if (!r.ok) throw new EngineError('bad-input', `The ${which} file has ${r.errors.length} problem${r.errors.length === 1 ? '' : 's'}:\n${r.errors.join('\n')}`);
    return value as PersonaTraitJson;
  };
  const a = read(extract, 'extract');
  const b = read(evaluation, 'eval');
  const notPair = (why: string): EngineError => new EngineError('bad-input', `These two files are not the extract and eval files of one persona_vectors trait: ${why}. `
    + 'Choose the trait_data_eval file with the same name as the trait_data_extract one, or import a single file (its questions are then split in halves).');
  if (a.instruction.length !== b.instruction.length) throw notPair(`the extract file has ${a.instruction.length} instruction pairs and the eval file ${b.instruction.length}`);
  const differs = a.instruction.findIndex((p, i) => p.pos !== b.instruction[i].pos || p.neg !== b.instruction[i].neg);
  if (differs >= 0) throw notPair(`their instruction pair ${differs} differs`);
  if (a.eval_prompt !== b.eval_prompt) throw notPair('their eval_prompt differs');
  const seen = new Set(a.questions);
  const shared = b.questions.filter((q) => seen.has(q));
  if (shared.length) throw notPair(`${shared.length} question${shared.length === 1 ? ' appears' : 's appear'} in both (e.g. "${shared[0].slice(0, 80)}"), so the vector would be scored on its own training prompts`);
  return {
    name: defaults.name ?? 'imported',
    description: defaults.description ?? '',
    instructions: a.instruction.map(({ pos, neg }) => ({ pos, neg })),
    extractionQuestions: [...a.questions],
    evaluationQuestions: [...b.questions],
    evalPrompt: a.eval_prompt,
  };
}
