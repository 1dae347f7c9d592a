/**
 * The intervention kinds, in the order their terms enter a layer's delta (add, then ablation, both on the
 * un-steered h, then the cap on the result). Adding a kind: its module, one line here, one in the unions.
 */
import { addKind, type AddSpec, type ResolvedAdd } from './add';
import { ablateKind, type AblateSpec, type ResolvedAblate } from './ablate';
import { capKind, type CapSpec, type ResolvedCap } from './cap';
import { bad, type InterventionKind, type ModelDims } from './kind';

export type SteeringSpec = AddSpec | AblateSpec | CapSpec;
export type ResolvedSpec = ResolvedAdd | ResolvedAblate | ResolvedCap;

export const KINDS: readonly InterventionKind<never, ResolvedSpec>[] = [addKind, ablateKind, capKind] as never;

export const kindNames = (): string[] => KINDS.map((k) => k.kind);

export function kindOf(spec: unknown, where: string): InterventionKind<never, ResolvedSpec> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) bad(where, `must be an object with a kind (${kindNames().join(', ')}), e.g. {layer, vector, coeff, positions} or {layer, direction, ablate}`);
  const o = spec as Record<string, unknown>;
  const k = KINDS.find((x) => x.claims(o));
  if (!k) {
    if (o.kind !== undefined) bad(`${where}.kind`, `"${String(o.kind)}" is not a kind of intervention; the kinds are ${kindNames().join(', ')}`);
    bad(where, `cannot tell its kind: give "kind" (${kindNames().join(', ')}) or the fields of an add {layer, vector, coeff, positions} or an ablation {layer, direction, ablate}`);
  }
  return k;
}

export function resolveSpec(spec: SteeringSpec, dims: ModelDims, where = 'steering'): ResolvedSpec {
  return kindOf(spec, where).resolve(spec as never, dims, where);
}

export const kindNamed = (name: string): InterventionKind<never, ResolvedSpec> | undefined => KINDS.find((k) => k.kind === name);
