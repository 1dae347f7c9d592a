/**
 * A raw coefficient in normalised units: "= 0.79 × |h| at L1", the push |coeff · v| as a multiple of the
 * layer's mean residual norm on the prompt (vectors/strength.ts). The tooltip says what the norm was measured
 * on. Used by the Steer slots and the Sweeps view; the layer × strength map works in these units throughout.
 */
import type { ChatMessage } from '../../engine/shared/api';
import { strengthOfCoeff } from '../../engine/clients/vectors/strength';
import { norm } from '../../engine/shared/linalg';
import { messages, slotVector } from '../actions';
import { useResidualNorms } from '../labNorms';
import { fmtStrength, strengthBasis } from '../residualNorms';
import { useLab, type SteerSlot } from '../store';

/** The coefficients as strengths on `prompt` (a string while measuring or when it could not be measured). */
export function useStrengths(coeffs: number[], layer: number, vector: Float32Array | null, prompt: string | ChatMessage[] | null): { strengths: number[]; norm: number; title: string } | { note: string; title?: string } | null {
  const slot = useResidualNorms(vector ? prompt : null);
  if (!slot || !vector) return null;
  if (slot === 'measuring') return { note: 'measuring…' };
  if ('error' in slot) return { note: 'not measured', title: slot.error };
  const vn = norm(vector);
  return { strengths: coeffs.map((c) => strengthOfCoeff(c, slot.norms[layer], vn)), norm: slot.norms[layer], title: strengthBasis(slot, layer, vn) };
}

export function StrengthReadout({ coeffs, layer, vector, prompt, testId }: { coeffs: number[]; layer: number; vector: Float32Array | null; prompt: string | ChatMessage[] | null; testId?: string }) {
  const s = useStrengths(coeffs, layer, vector, prompt);
  if (!s) return null;
  if ('note' in s) return <span className="muted small mono strength-readout" data-testid={testId} title={s.title}>× |h|: {s.note}</span>;
  return (
    <span className="muted small mono strength-readout" data-testid={testId} data-strengths={s.strengths.join(',')} data-norm={s.norm} title={s.title}>
      = {s.strengths.map(fmtStrength).join(', ')} × |h| at L{layer}
    </span>
  );
}

/** A Steer slot's coefficient, measured on the prompt the Steer run sends (in the slot, and under the steered column's title). */
export function SlotStrength({ slot, testId = 'slot-strength' }: { slot: SteerSlot; testId?: string }) {
  const { prompt, systemPrompt, info } = useLab();
  const steered = info ? messages(systemPrompt, prompt, info.hasChatTemplate) : null;
  return <StrengthReadout coeffs={[slot.coeff]} layer={slot.layer} vector={slotVector(slot)} prompt={steered} testId={testId} />;
}
