/**
 * The Steer slot's cap: h·û held in [min, max] after the add (interventions/cap.ts), either bound optional.
 * What the user types stays in the fields; only a band the cap kind accepts reaches the slot, and a band it
 * refuses shows the kind's own message beside the fields. "Set from data" reads the distribution of h·û
 * over a prompt set and sets a bound from one of its percentiles (thresholds.ts).
 */
import { useId, useMemo, useState } from 'react';
import { percentile, type ProjectionSet } from '../../engine/clients/vectors/thresholds';
import { toErrorData } from '../../engine/shared/errors';
import { capKind } from '../../engine/shared/interventions/cap';
import { num } from '../format';
import { checkCapTexts, hasCap, type CapBounds } from '../slotKinds';
import { projectionsJob, promptLines } from '../kindJobs';
import { useLab } from '../store';
import { Chart, chartTheme } from './Chart';
import { Segmented, Toggle } from './ui';

const PER = [{ value: 'token' as const, label: 'per token' }, { value: 'prompt' as const, label: 'per prompt' }];

const text = (v: number | undefined) => (v === undefined ? '' : String(v));

export function CapControl({ slot, vector, name, onChange }: { slot: CapBounds & { layer: number }; vector: Float32Array | null; name: string; onChange: (b: CapBounds) => void }) {
  const [on, setOn] = useState(hasCap(slot));
  const [minText, setMinText] = useState(text(slot.capMin));
  const [maxText, setMaxText] = useState(text(slot.capMax));
  // Follow changes made elsewhere (a share link, the helper, a restored session) unless the fields already say them.
  const [seen, setSeen] = useState<CapBounds>(slot);
  if (seen.capMin !== slot.capMin || seen.capMax !== slot.capMax) {
    setSeen(slot);
    const typed = checkCapTexts(minText, maxText);
    if (!(typed.ok && typed.value.capMin === slot.capMin && typed.value.capMax === slot.capMax)) {
      if (hasCap(slot)) { setMinText(text(slot.capMin)); setMaxText(text(slot.capMax)); }
      setOn(hasCap(slot));
    }
  }
  const checked = checkCapTexts(minText, maxText);
  const msgId = useId();
  const edit = (mn: string, mx: string) => {
    setMinText(mn); setMaxText(mx);
    const c = checkCapTexts(mn, mx);
    if (on && c.ok) onChange({ capMin: c.value.capMin, capMax: c.value.capMax });
  };
  const toggle = (v: boolean) => {
    setOn(v);
    if (!v) return onChange({ capMin: undefined, capMax: undefined });
    // A cap with no bound yet starts at max 0: the projection may not go above the origin.
    const mx = minText.trim() === '' && maxText.trim() === '' ? '0' : maxText;
    setMaxText(mx);
    const c = checkCapTexts(minText, mx);
    if (c.ok) onChange({ capMin: c.value.capMin, capMax: c.value.capMax });
  };
  const invalid = on && !checked.ok;
  return (
    <div className="ctl cap-ctl">
      <span className="ctl-label" title="h ← h + (clamp(h·û, min, max) − h·û) û after the add, û = v/|v|; an empty bound is open">{capKind.label}: min ≤ h·û ≤ max</span>
      <div className="row center">
        <Toggle checked={on} onChange={toggle} label={`Cap the projection onto ${name}`} hideLabel />
        <input type="text" inputMode="decimal" value={minText} placeholder="−∞" disabled={!on} aria-label="Cap minimum" aria-invalid={invalid} aria-describedby={invalid ? msgId : undefined}
          className={invalid ? 'invalid' : ''} onChange={(e) => edit(e.target.value, maxText)} />
        <input type="text" inputMode="decimal" value={maxText} placeholder="+∞" disabled={!on} aria-label="Cap maximum" aria-invalid={invalid} aria-describedby={invalid ? msgId : undefined}
          className={invalid ? 'invalid' : ''} onChange={(e) => edit(minText, e.target.value)} />
      </div>
      {invalid && !checked.ok && <span id={msgId} className="field-msg" role="alert" data-testid="cap-msg">{checked.message} The slot keeps its last valid band.</span>}
      {on && vector && <CapHelper layer={slot.layer} vector={vector} onBound={(which, v) => edit(which === 'min' ? String(v) : minText, which === 'max' ? String(v) : maxText)} />}
    </div>
  );
}

/** Distribution of h·û over every token of a prompt set, a percentile marked, and buttons that set a bound to it. */
function CapHelper({ layer, vector, onBound }: { layer: number; vector: Float32Array; onBound: (which: 'min' | 'max', v: number) => void }) {
  const prompt = useLab((s) => s.prompt);
  const [prompts, setPrompts] = useState<string | null>(null);
  const [q, setQ] = useState('90');
  const [set, setSet] = useState<ProjectionSet | null>(null);
  // Per token bounds what any position may reach; per prompt (each prompt's mean) reads where whole prompts sit.
  const [per, setPer] = useState<'token' | 'prompt'>('token');
  const values = set ? (per === 'token' ? set.tokens : set.scores) : null;
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shownPrompts = prompts ?? prompt;
  const qNum = q.trim() === '' ? NaN : Number(q);
  let cut: number | null = null, qProblem: string | null = null;
  if (values) {
    try { cut = percentile(values, qNum); } catch (e) { qProblem = toErrorData(e).message; }
  }
  const read = async () => {
    setBusy(true); setStatus(null);
    try {
      setSet(await projectionsJob('Cap threshold', promptLines(shownPrompts, 'Cap prompts'), layer, vector));
    } catch (e) {
      const d = toErrorData(e);
      if (d.code !== 'cancelled') setStatus(d.message);
    } finally { setBusy(false); }
  };
  const what = per === 'token' ? 'tokens' : 'prompts';
  const data = useMemo(() => (values ? [{ type: 'histogram', x: values, nbinsx: 30, marker: { color: '#6ea8fe' }, hovertemplate: `h·û %{x}<br>%{y} ${what}<extra></extra>` }] : []), [values, what]);
  const layout = useMemo(() => chartTheme({
    xaxis: { title: { text: `h·û at L${layer} (${per === 'token' ? 'every prompt token' : 'each prompt\'s mean'})` } }, yaxis: { title: { text: what } }, bargap: 0.05,
    shapes: cut === null ? [] : [{ type: 'line', x0: cut, x1: cut, yref: 'paper', y0: 0, y1: 1, line: { color: '#f5a524', width: 2, dash: 'dot' } }],
  }), [layer, cut, per, what]);
  return (
    <details className="kind-helper">
      <summary>Set from data</summary>
      <label className="field"><span className="field-label">Prompts, one per line (the current prompt by default)</span>
        <textarea rows={2} value={shownPrompts} onChange={(e) => setPrompts(e.target.value)} aria-label="Cap prompts" /></label>
      <div className="row center">
        <button type="button" className="small" onClick={() => void read()} disabled={busy}>{busy ? 'Reading…' : 'Read projections'}</button>
        <Segmented label="Distribution of" value={per} options={PER} onChange={setPer} />
        <label className="row center small">percentile
          <input type="text" inputMode="decimal" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Cap percentile" aria-invalid={!!qProblem} className={`pct ${qProblem ? 'invalid' : ''}`} /></label>
        {cut !== null && <>
          <span className="mono small" data-testid="cap-percentile">p{q} = {num(cut, 3)} over {values!.length} {what}</span>
          <button type="button" className="small" onClick={() => onBound('min', cut!)}>Set min</button>
          <button type="button" className="small" onClick={() => onBound('max', cut!)}>Set max</button>
        </>}
      </div>
      {qProblem && <span className="field-msg" role="alert">{qProblem}</span>}
      {status && <span className="field-msg" role="alert">{status}</span>}
      {values && <Chart data={data} layout={layout} height={150} label={`Distribution of h·û at L${layer} over ${values.length} ${what}, percentile ${q} marked`} />}
    </details>
  );
}
