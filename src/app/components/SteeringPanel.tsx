import type { Positions } from '../../engine/shared/api';
import { useEffect, useState, type KeyboardEvent } from 'react';
import { LAYER_CONVENTION, presentLayers } from '../../engine/clients/vectors/meta';
import { removeSlot, rerunIfActive, slotVector } from '../actions';
import { COEFF_RULE, sliderSpan } from '../fields';
import { num } from '../format';
import { updateSlot, useLab, type SteerSlot } from '../store';
import { NumberInput } from './fields';
import { SlotStrength } from './StrengthReadout';
import { Panel, Segmented, Toggle } from './ui';
import { CapControl } from './CapControl';
import { ConditionControl } from './ConditionControl';

const MODES: { value: Positions; label: string; title: string }[] = [
  { value: 'all', label: 'all', title: 'Every position of every forward pass' },
  { value: 'prompt', label: 'prompt', title: 'Prompt positions only (prefill)' },
  { value: 'response', label: 'response', title: 'The last position of each pass: the generated tokens' },
];
/** Arrow keys move the slider by its step; PageUp / PageDown by a tenth of its span (native ranges move by the step only). */
const pageKeys = (span: number, value: number, set: (v: number) => void) => (e: KeyboardEvent<HTMLInputElement>) => {
  const dir = e.key === 'PageUp' ? 1 : e.key === 'PageDown' ? -1 : 0;
  if (!dir) return;
  e.preventDefault();
  set(Math.max(-span, Math.min(span, Math.round((value + (dir * span) / 10) * 100) / 100)));
};

/** Every steering control re-runs; the scheduler debounces and cancels the previous run (latest wins). Only the steered row is generated again. */
const change = (key: string, patch: Partial<SteerSlot>) => { updateSlot(key, patch); rerunIfActive(); };

export function SteeringPanel() {
  const slots = useLab((s) => s.slots);
  return (
    <Panel title="Steering" right={<span className="muted small" title={LAYER_CONVENTION}>h ← h + c·v at the output of model.layers[L]</span>}>
      {slots.length === 0 && <p className="muted">No vector in play: both columns show the unsteered model. Build a contrast vector or pick one from the library.</p>}
      <div className="slots">{slots.map((s, i) => <Slot key={s.key} slot={s} primary={i === 0} />)}</div>
    </Panel>
  );
}

function Slot({ slot, primary }: { slot: SteerSlot; primary: boolean }) {
  const { vectors, info } = useLab();
  const rec = vectors.find((v) => v.id === slot.vectorId);
  const layers = rec ? presentLayers(rec.set.meta).filter((l) => !info || l < info.numLayers) : [];
  const vec = slotVector(slot);
  const norm = vec ? Math.hypot(...vec) : 0;
  // The slider spans ±10, ±50 or ±200, whichever holds the value: a value typed in the exact box never pins
  // it. The span only widens, so dragging back towards 0 does not rescale the slider under the pointer.
  const [wide, setWide] = useState(() => sliderSpan(slot.coeff));
  const span = Math.max(wide, sliderSpan(slot.coeff));
  useEffect(() => { if (span > wide) setWide(span); }, [span, wide]);
  const problem = !rec ? 'vector deleted' : info && rec.set.meta.hiddenSize !== info.hiddenSize ? `made for hidden size ${rec.set.meta.hiddenSize}, model has ${info.hiddenSize}` : !vec && info ? 'no vector at this layer' : null;
  return (
    <div className={`slot ${slot.enabled ? '' : 'off'} ${primary ? 'primary-slot' : ''}`}>
      <div className="slot-head">
        <Toggle checked={slot.enabled} onChange={(v) => change(slot.key, { enabled: v })} label={`Steer with ${rec?.name ?? 'this vector'}`} hideLabel />
        <span className="slot-name">{rec?.name ?? '—'}</span>
        {primary && <span className="chip small" title="Monitored in the projection chart and used by share links">monitored</span>}
        {problem && <span className="warn small">{problem}</span>}
        <span className="grow" />
        <span className="muted small mono">|v|={num(norm, 1)}</span>
        <button className="ghost small danger" onClick={() => { removeSlot(slot.key); rerunIfActive(); }} aria-label={`Remove the ${rec?.name ?? ''} slot`}>✕</button>
      </div>
      <div className="slot-grid">
        <label className="ctl">
          <span className="ctl-label">Layer</span>
          <select value={slot.layer} onChange={(e) => change(slot.key, { layer: Number(e.target.value) })} aria-label="Layer">
            {layers.map((l) => <option key={l} value={l}>L{l}{rec?.separation ? `  d=${num(rec.separation[l], 1)}` : ''}</option>)}
          </select>
        </label>
        <label className="ctl coeff">
          <span className="ctl-label"><span>Coefficient</span> <span className="mono value">{slot.coeff >= 0 ? '+' : ''}{slot.coeff.toFixed(2)}</span></span>
          <input type="range" min={-span} max={span} step={span / 100} value={slot.coeff}
            onChange={(e) => change(slot.key, { coeff: Number(e.target.value) })} onKeyDown={pageKeys(span, slot.coeff, (coeff) => change(slot.key, { coeff }))}
            aria-label="Coefficient" aria-valuetext={`${slot.coeff.toFixed(2)} (slider from ${-span} to ${span})`} />
          <span className="range-ends mono small muted" aria-hidden><span>{-span}</span><span>{span}</span></span>
          <SlotStrength slot={slot} />
        </label>
        <label className="ctl exact">
          <span className="ctl-label">exact</span>
          <NumberInput label="Coefficient value" value={slot.coeff} rule={COEFF_RULE} step={0.1} onChange={(coeff) => change(slot.key, { coeff })} />
        </label>
        <div className="ctl positions">
          <span className="ctl-label">Positions</span>
          <Segmented label="Positions" value={slot.mode} options={MODES} onChange={(m) => change(slot.key, { mode: m })} />
        </div>
        <div className="ctl ablate">
          <span className="ctl-label">Ablate direction {slot.ablate && <span className="mono value">{slot.ablateStrength.toFixed(2)}</span>}</span>
          <div className="row center">
            <Toggle checked={slot.ablate} onChange={(v) => change(slot.key, { ablate: v })} label={`Ablate the ${rec?.name ?? ''} direction`} hideLabel />
            <input type="range" min={0} max={2} step={0.05} value={slot.ablateStrength} disabled={!slot.ablate}
              onChange={(e) => change(slot.key, { ablateStrength: Number(e.target.value) })} aria-label="Ablation strength" />
          </div>
        </div>
        <CapControl slot={slot} vector={vec} name={rec?.name ?? 'this vector'} onChange={(b) => change(slot.key, b)} />
        <ConditionControl when={slot.when} slotVectorId={slot.vectorId} slotLayer={slot.layer} name={rec?.name ?? 'this vector'} onChange={(when) => change(slot.key, { when })} />
      </div>
    </div>
  );
}
