/** Small building blocks shared by the experiment views. All user/pack/model text is rendered as React text. */
import { ErrorList, VIEW_ERRORS } from '../components/ErrorList';
import { useEffect, type ReactNode } from 'react';
import { presentLayers } from '../../engine/clients/vectors/meta';
import type { VectorRecord } from '../db';
import { preferredLayer } from '../../engine/clients/vectors/separation';
import { useLab } from '../store';
import { Bar, Field } from '../components/ui';
import { NumberInput } from '../components/fields';
import { maxTokensRule, type NumberRule } from '../fields';
import type { JudgeKind, StepProgress } from './experiments';
import { waitingFor } from '../../engine/clients/scheduler';
import { cancelJob, pauseJob, resumeJob } from './jobs';
import { BUILTIN_PACKS } from '../../engine/clients/eval/packs';
import { setViews, useCurrentPack, useViews, type GenForm, type JobKind } from './viewStore';

const STATUS_LABEL: Record<StepProgress['status'], string> = {
  pending: 'pending', running: 'running', done: 'done', cached: 'cached', error: 'failed', cancelled: 'cancelled',
};

/** One line per step: name, status badge, bar, and how many rows were computed now vs reused from the cache. */
export function StepList({ steps }: { steps: StepProgress[] }) {
  if (!steps.length) return null;
  return (
    <ol className="steps" aria-label="Progress">
      {steps.map((s) => (
        <li key={s.name} className={`step step-${s.status}`} data-step={s.name} data-status={s.status}>
          <div className="step-head">
            <span className="step-name">{s.label}</span>
            <span className={`badge badge-${s.status}`}>{STATUS_LABEL[s.status]}</span>
            <span className="grow" />
            {s.ms !== undefined && s.status !== 'pending' && <span className="mono small muted">{(s.ms / 1000).toFixed(1)}s</span>}
          </div>
          <span className="mono small muted step-count" data-fresh={s.fresh} data-reused={s.reused}>
            {s.total > 0 ? `${s.loaded}/${s.total} · ` : ''}{s.fresh} {s.name === 'generate' ? 'generated' : 'computed'}{s.reused > 0 ? ` · ${s.reused} from cache` : ''}
          </span>
          <Bar label={s.label} value={s.status === 'cached' || s.status === 'done' ? 1 : s.loaded} total={s.status === 'cached' || s.status === 'done' ? 1 : s.total} />
          {s.note && <span className={`small ${s.status === 'error' ? 'err-text' : 'muted'}`}>{s.note}</span>}
        </li>
      ))}
    </ol>
  );
}

/**
 * Run for a view; once its job is queued, Cancel and Pause/Resume (its own controls, the only ones that stop
 * it) and what it is doing: running, paused, or waiting for the owner the scheduler runs instead.
 */
export function RunBar({ kind, label, onRun, disabled, extra }: { kind: JobKind; label: string; onRun: () => void; disabled?: boolean; extra?: ReactNode }) {
  const job = useViews((s) => s.jobs.find((j) => j.kind === kind));
  const schedule = useLab((s) => s.schedule);
  const ready = useLab((s) => s.modelStatus === 'ready');
  const paused = !!job && schedule.sessions.some((x) => x.owner.label === job.label && x.status === 'paused');
  const waiting = job ? waitingFor(schedule, job.label) : null;
  return (
    <div className="runbar">
      {job ? (
        <>
          <button className="run" onClick={() => cancelJob(kind)}>Cancel</button>
          <button className="ghost" onClick={() => (paused ? resumeJob(kind) : pauseJob(kind))}>{paused ? 'Resume' : 'Pause'}</button>
          <span className="muted small run-state" data-state={paused ? 'paused' : waiting ? 'waiting' : 'running'}>{paused ? 'paused' : waiting ? `waiting for ${waiting}` : 'running'}</span>
        </>
      ) : <button className="primary run" disabled={!ready || disabled} onClick={onRun} title={!ready ? 'Load a model first' : undefined}>{label}</button>}
      {!ready && <span className="muted small">Load a model in the left panel to run.</span>}
      <span className="grow" />
      {extra}
      {VIEW_ERRORS[kind] && <div className="runbar-errors"><ErrorList where={VIEW_ERRORS[kind]} /></div>}
    </div>
  );
}

/** A number field of a view: keeps what is typed, passes on only values in [min, max], says what is wrong otherwise. */
export function NumField({ label, value, onChange, step = 1, min, max, hint, aria, integer, rule }: { label: string; value: number; onChange: (v: number) => void; step?: number; min?: number; max?: number; hint?: string; aria?: string; integer?: boolean; rule?: NumberRule }) {
  const r: NumberRule = rule ?? { what: label, min: min ?? -Number.MAX_SAFE_INTEGER, max: max ?? Number.MAX_SAFE_INTEGER, integer: integer ?? step === 1 };
  return (
    <Field label={label} hint={hint}>
      <NumberInput label={aria ?? label} value={value} step={step} rule={r} onChange={onChange} />
    </Field>
  );
}

/** Generation settings shared by the views; max tokens is bounded by the loaded model's positions. */
export function GenFields({ gen, onChange, prefix }: { gen: GenForm; onChange: (g: GenForm) => void; prefix: string }) {
  const set = (patch: Partial<GenForm>) => onChange({ ...gen, ...patch });
  const info = useLab((s) => s.info);
  return (
    <>
      <NumField label="Max tokens" aria={`${prefix} max tokens`} value={gen.maxNewTokens} rule={maxTokensRule(info, 512)} onChange={(x) => set({ maxNewTokens: x })} />
      <NumField label="Temperature" aria={`${prefix} temperature`} value={gen.temperature} step={0.1} min={0} max={2} onChange={(x) => set({ temperature: x })} />
      <NumField label="Seed" aria={`${prefix} seed`} value={gen.seed} min={0} max={0xffffffff} onChange={(x) => set({ seed: x })} />
      <NumField label="Batch" aria={`${prefix} batch size`} value={gen.batchSize} min={1} max={32} onChange={(x) => set({ batchSize: x })} />
    </>
  );
}

/** The trait pack used by a view (its judge prompt, questions, system prompts). */
export function PackSelect({ label = 'Trait pack' }: { label?: string }) {
  const { packKey, savedPacks } = useViews();
  return (
    <Field label={label}>
      <select value={packKey} aria-label={label} onChange={(e) => setViews({ packKey: e.target.value, packNote: null })}>
        <optgroup label="Built-in">
          {BUILTIN_PACKS.map((p) => <option key={p.name} value={`builtin:${p.name}`}>{p.name}</option>)}
        </optgroup>
        {savedPacks.length > 0 && (
          <optgroup label="Saved">
            {savedPacks.map((p) => <option key={p.name} value={`saved:${p.name}`}>{p.name}</option>)}
          </optgroup>
        )}
      </select>
    </Field>
  );
}

const JUDGE_LABEL: Record<JudgeKind, string> = { auto: 'auto', lexical: 'lexical (marker words)', local: 'local model' };

/** Which judge scores; says which one "auto" resolves to for the current pack. */
export function JudgeSelect({ value, onChange, aria }: { value: JudgeKind; onChange: (k: JudgeKind) => void; aria: string }) {
  const pack = useCurrentPack();
  const hint = value === 'auto' ? (pack.markers ? '→ lexical' : '→ local model') : value === 'lexical' && !pack.markers ? 'pack has no markers' : undefined;
  return (
    <Field label="Judge" hint={hint}>
      <select value={value} aria-label={aria} onChange={(e) => onChange(e.target.value as JudgeKind)}>
        {(Object.keys(JUDGE_LABEL) as JudgeKind[]).map((k) => <option key={k} value={k}>{JUDGE_LABEL[k]}</option>)}
      </select>
    </Field>
  );
}

/** The layer a view opens at for a vector: the engine's one default-layer rule (preferredLayer). */
export const bestLayer = (r: Pick<VectorRecord, 'set' | 'separation'>): number => preferredLayer(r.separation, presentLayers(r.set.meta));

/** Library vector + one of its layers; only vectors that fit the loaded model are offered. */
export function VectorLayerSelect({ vectorId, layer, onChange }: { vectorId: string; layer: number; onChange: (v: { vectorId: string; layer: number }) => void }) {
  const { vectors, info } = useLab();
  const fit = vectors.filter((v) => !info || v.set.meta.hiddenSize === info.hiddenSize);
  const rec = fit.find((v) => v.id === vectorId) ?? fit[0];
  const layers = rec ? presentLayers(rec.set.meta) : [];
  const best = (id: string): number => {
    const r = fit.find((v) => v.id === id);
    return r ? bestLayer(r) : -1;
  };
  const effLayer = rec && layers.includes(layer) ? layer : rec ? best(rec.id) : -1;
  // Keep the view's selection pointing at what is shown (first fitting vector, its best layer).
  const stale = !!rec && (rec.id !== vectorId || effLayer !== layer);
  useEffect(() => { if (stale && rec) onChange({ vectorId: rec.id, layer: effLayer }); });
  return (
    <>
      <Field label="Vector">
        <select value={rec?.id ?? ''} aria-label="Vector" disabled={!fit.length} onChange={(e) => onChange({ vectorId: e.target.value, layer: best(e.target.value) })}>
          {!fit.length && <option value="">no vectors in the library</option>}
          {fit.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}
        </select>
      </Field>
      <Field label="Layer">
        <select value={effLayer} aria-label="Vector layer" disabled={!rec} onChange={(e) => onChange({ vectorId: rec!.id, layer: Number(e.target.value) })}>
          {layers.map((l) => <option key={l} value={l}>L{l}{rec?.separation?.[l] !== undefined ? ` · d=${rec.separation[l].toFixed(2)}` : ''}</option>)}
        </select>
      </Field>
    </>
  );
}

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const fmt = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted small chart-empty">{children}</p>;
}

/** Chart colours, consistent with the Steer view (baseline blue, steered amber). */
export const COLORS = { base: '#6ea8fe', steer: '#f5a524', prompted: '#c084fc', random: '#7f8a9c', ok: '#3fb950', err: '#f85149', bar: '#3b4a63' };
