/**
 * What a Steer slot asks of the engine beyond its add (issue 16): a cap on h·û along its own vector, with
 * either bound optional, and a condition that gates its add on the prompt (CAST-style). The rules of both are
 * the intervention kinds' own (interventions/cap.ts, add.ts): the form's checks call them, so the lab and the
 * engine can never disagree about what is valid. Pure: no store, no DOM.
 */
import type { ModelInfo, Positions, SteeringSpec } from '../engine/shared/api';
import type { ConditionOutcome } from '../engine/shared/interventions/condition';
import { addKind, type Condition, type Pooling } from '../engine/shared/interventions/add';
import { capKind } from '../engine/shared/interventions/cap';
import { EngineError } from '../engine/shared/errors';
import { presentLayers, row } from '../engine/clients/vectors/meta';
import type { RunSteering, VectorRecord } from './db';
import { num } from './format';

/** A slot's condition: the library vector `vectorId` at `layer` is the direction its prompt is projected onto. */
export interface SlotCondition { vectorId: string; layer: number; threshold: number; pooling: Pooling }

/** The cap part of a slot (SteerSlot has these fields). */
export interface CapBounds { capMin?: number; capMax?: number }

export const hasCap = (s: CapBounds): boolean => s.capMin !== undefined || s.capMax !== undefined;

/** The kinds' checks want a direction and dims; the bounds and threshold rules depend on neither, so one unit axis stands in. */
const AXIS = { direction: [1], dims: { numLayers: 1, hiddenSize: 1 } };

function problemOf(run: () => unknown): string | null {
  try { run(); return null; } catch (e) {
    if (e instanceof EngineError) return e.message;
    throw e;
  }
}

/** Text → bound: empty is "no bound"; anything else must be a number (NaN goes on to the kind's check and its message). */
const boundOf = (text: string): number | undefined => (text.trim() === '' ? undefined : Number(text.trim()));

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** The cap band typed as two texts, checked by the cap kind's own resolve (finite, min ≤ max, at least one). */
export function checkCapTexts(minText: string, maxText: string): Checked<CapBounds> {
  const min = boundOf(minText), max = boundOf(maxText);
  const message = problemOf(() => capKind.resolve({ kind: 'cap', layer: 0, direction: AXIS.direction, min, max }, AXIS.dims, 'Cap'));
  return message ? { ok: false, message } : { ok: true, value: { ...(min !== undefined ? { capMin: min } : {}), ...(max !== undefined ? { capMax: max } : {}) } };
}

/** A condition threshold typed as text, checked by the add kind's own resolve. */
export function checkThresholdText(text: string): Checked<number> {
  const threshold = text.trim() === '' ? undefined : Number(text.trim());
  const message = problemOf(() => addKind.resolve({ layer: 0, vector: [0], coeff: 0, positions: 'all', when: { layer: 0, direction: AXIS.direction, threshold: threshold as number, pooling: 'mean' } }, AXIS.dims, 'Condition'));
  return message ? { ok: false, message } : { ok: true, value: threshold! };
}

/** The condition's direction from the library, or why there is none for the loaded model. */
export function conditionDirection(c: SlotCondition, vectors: VectorRecord[], info: Pick<ModelInfo, 'hiddenSize' | 'numLayers'> | null): Float32Array | string {
  const rec = vectors.find((v) => v.id === c.vectorId);
  if (!rec) return 'the condition\'s vector is not in the library';
  if (info && rec.set.meta.hiddenSize !== info.hiddenSize) return `the condition's vector ${rec.name} was made for hidden size ${rec.set.meta.hiddenSize}, the model has ${info.hiddenSize}`;
  if (!presentLayers(rec.set.meta).includes(c.layer) || (info && c.layer >= info.numLayers)) return `the condition's vector ${rec.name} has no layer ${c.layer}`;
  return row(rec.set.vectors, rec.set.meta.hiddenSize, c.layer);
}

export interface SlotParts { layer: number; coeff: number; mode: Positions; ablate: boolean; ablateStrength: number }

/**
 * The specs one slot steers with, in the order they were always sent: ablate, add (gated when `when` is
 * given), cap. The cap and the condition project onto unit(v); the engine normalises.
 */
export function slotSpecs(slot: SlotParts & CapBounds, v: Float32Array, when?: Condition): SteeringSpec[] {
  const specs: SteeringSpec[] = [];
  if (slot.ablate) specs.push({ layer: slot.layer, direction: v, ablate: slot.ablateStrength, positions: slot.mode });
  if (slot.coeff !== 0) specs.push({ layer: slot.layer, vector: v, coeff: slot.coeff, positions: slot.mode, ...(when ? { when } : {}) });
  if (hasCap(slot)) {
    specs.push({ kind: 'cap', layer: slot.layer, direction: v, ...(slot.capMin !== undefined ? { min: slot.capMin } : {}), ...(slot.capMax !== undefined ? { max: slot.capMax } : {}), positions: slot.mode });
  }
  return specs;
}

/** One gated add's outcome as the output column shows it. */
export interface ConditionView { slotKey: string; vectorName: string; layer: number; pooling: Pooling; threshold: number; projection: number; fired: boolean }

/**
 * The outcomes of one result row (GenerateResult.conditions[r]) matched to the slots that sent them: `owners[i]`
 * is the slot key and condition of spec i of that row's steering.
 */
export function conditionViews(outcomes: ConditionOutcome[] | undefined, owners: ({ slotKey: string; vectorName: string; when: Condition } | null)[]): ConditionView[] {
  return (outcomes ?? []).flatMap((o) => {
    const own = owners[o.spec];
    if (!own) return [];
    return [{ slotKey: own.slotKey, vectorName: own.vectorName, layer: own.when.layer, pooling: own.when.pooling, threshold: own.when.threshold, projection: o.projection, fired: o.fired }];
  });
}

/** A slot as run history keeps it: the cap and the condition (with its outcome on the steered row) only when set. */
export function runSteering(slot: SlotParts & CapBounds & { vectorId: string; when?: SlotCondition }, name: (vectorId: string) => string, outcome?: ConditionView): RunSteering {
  const out: RunSteering = { vectorName: name(slot.vectorId), layer: slot.layer, coeff: slot.coeff, mode: slot.mode, ablate: slot.ablate ? slot.ablateStrength : 0 };
  if (hasCap(slot)) out.cap = { ...(slot.capMin !== undefined ? { min: slot.capMin } : {}), ...(slot.capMax !== undefined ? { max: slot.capMax } : {}) };
  if (slot.when) {
    out.when = { vectorName: name(slot.when.vectorId), layer: slot.when.layer, threshold: slot.when.threshold, pooling: slot.when.pooling, ...(outcome ? { fired: outcome.fired, projection: outcome.projection } : {}) };
  }
  return out;
}

/** A run's slot in one line of the history list. */
export function describeRunSteering(s: RunSteering): string {
  // Bounds and thresholds often come from data (a percentile, an ROC cut) with 16 digits; three decimals are enough to read.
  const band = s.cap ? ` cap h·û∈[${s.cap.min === undefined ? '−∞' : num(s.cap.min, 3)}, ${s.cap.max === undefined ? '+∞' : num(s.cap.max, 3)}]` : '';
  const fired = s.when?.fired === undefined ? '' : s.when.fired ? ` fired (${num(s.when.projection!, 3)})` : ` did not fire (${num(s.when.projection!, 3)})`;
  const when = s.when ? ` if ${s.when.vectorName}@L${s.when.layer} ${s.when.pooling} > ${num(s.when.threshold, 3)}${fired}` : '';
  return `${s.vectorName}@L${s.layer}×${s.coeff}${band}${when}`;
}

/**
 * A slot's add, cap and condition in a share link. The link's main add is ungated, so a gated slot sends its
 * main coefficient as 0 and its add, with the condition, among the interventions: the link's steering (main
 * add + interventions) is exactly the slot's, and `slotFromLink` reads it back.
 */
export function linkSteering(slot: SlotParts & CapBounds, v: Float32Array, when?: Condition): { coeff: number; interventions?: SteeringSpec[] } {
  const extra = slotSpecs({ ...slot, ablate: false, coeff: when ? slot.coeff : 0 }, v, when);
  return { coeff: when ? 0 : slot.coeff, ...(extra.length ? { interventions: extra } : {}) };
}

/** What a link's steering gives a slot: its coefficient, cap band and condition (the direction still to be stored). */
export function slotFromLink(link: { layer: number; coeff: number; interventions?: SteeringSpec[] }): CapBounds & { coeff: number; when?: Condition } {
  const specs = link.interventions ?? [];
  const cap = specs.find((x) => x.kind === 'cap' && x.layer === link.layer) as { min?: number; max?: number } | undefined;
  const gated = specs.find((x) => (x.kind === 'add' || x.kind === undefined) && 'when' in x && x.when && x.layer === link.layer) as { coeff: number; when: Condition } | undefined;
  return {
    coeff: gated ? gated.coeff : link.coeff,
    ...(cap?.min !== undefined ? { capMin: cap.min } : {}),
    ...(cap?.max !== undefined ? { capMax: cap.max } : {}),
    ...(gated ? { when: gated.when } : {}),
  };
}
