/**
 * The Steer slot's condition (CAST-style, interventions/add.ts + condition.ts): the add applies only to a prompt
 * whose pooled projection onto a library vector at a layer is above a threshold. The threshold is typed, or
 * chosen from two labelled prompt sets: their projections are read as a scheduler job, thresholds.ts draws
 * the ROC curve and picks the cut, and the field stays editable.
 */
import { useId, useMemo, useState } from 'react';
import { presentLayers } from '../../engine/clients/vectors/meta';
import { toErrorData } from '../../engine/shared/errors';
import { POOLINGS, type Pooling } from '../../engine/shared/interventions/add';
import { num } from '../format';
import { promptLines, rocJob, type RocResult } from '../kindJobs';
import { checkThresholdText, conditionDirection, type SlotCondition } from '../slotKinds';
import { useLab } from '../store';
import { Chart, chartTheme } from './Chart';
import { Segmented, Toggle } from './ui';

const POOL_OPTIONS = POOLINGS.map((p) => ({ value: p, label: p, title: p === 'mean' ? 'Mean over every prompt token' : 'The last prompt token' }));

export function ConditionControl({ when, slotVectorId, slotLayer, name, onChange }: {
  when: SlotCondition | undefined; slotVectorId: string; slotLayer: number; name: string; onChange: (w: SlotCondition | undefined) => void;
}) {
  const { vectors, info } = useLab();
  // The last condition this slot had: switching it off and on again brings it back.
  const [last, setLast] = useState<SlotCondition>(when ?? { vectorId: slotVectorId, layer: slotLayer, threshold: 0, pooling: 'mean' });
  const [thText, setThText] = useState(String(last.threshold));
  const cur = when ?? last;
  const [seen, setSeen] = useState(cur.threshold);
  if (seen !== cur.threshold) {
    setSeen(cur.threshold);
    if (Number(thText) !== cur.threshold) setThText(String(cur.threshold));
  }
  const msgId = useId();
  const checked = checkThresholdText(thText);
  const usable = vectors.filter((v) => !info || v.set.meta.hiddenSize === info.hiddenSize);
  const rec = vectors.find((v) => v.id === cur.vectorId);
  const layers = rec ? presentLayers(rec.set.meta).filter((l) => !info || l < info.numLayers) : [];
  const dir = conditionDirection(cur, vectors, info);
  const set = (patch: Partial<SlotCondition>) => {
    const next = { ...cur, ...patch };
    setLast(next);
    if (when) onChange(next);
  };
  const editThreshold = (t: string) => {
    setThText(t);
    const c = checkThresholdText(t);
    if (c.ok) set({ threshold: c.value });
  };
  const on = when !== undefined;
  return (
    <div className="ctl cond-ctl">
      <span className="ctl-label" title="Before generating, the prompt's h at the layer is projected onto the unit direction and pooled; the add applies only when that score is above the threshold">
        Only when the prompt’s h·û &gt; threshold
      </span>
      <div className="row center wrap">
        <Toggle checked={on} onChange={(v) => onChange(v ? { ...cur, threshold: checked.ok ? checked.value : cur.threshold } : undefined)} label={`Gate the ${name} add on a condition`} hideLabel />
        <select value={cur.vectorId} disabled={!on} onChange={(e) => {
          const r = vectors.find((v) => v.id === e.target.value);
          const ls = r ? presentLayers(r.set.meta) : [];
          set({ vectorId: e.target.value, layer: ls.includes(cur.layer) ? cur.layer : ls[0] ?? 0 });
        }} aria-label="Condition vector">
          {!rec && <option value={cur.vectorId}>(missing)</option>}
          {usable.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}
        </select>
        <select value={cur.layer} disabled={!on} onChange={(e) => set({ layer: Number(e.target.value) })} aria-label="Condition layer">
          {layers.map((l) => <option key={l} value={l}>L{l}</option>)}
        </select>
        <Segmented label="Condition pooling" value={cur.pooling} options={POOL_OPTIONS} onChange={(p: Pooling) => set({ pooling: p })} />
        <input type="text" inputMode="decimal" value={thText} disabled={!on} aria-label="Condition threshold" aria-invalid={on && !checked.ok}
          aria-describedby={on && !checked.ok ? msgId : undefined} className={on && !checked.ok ? 'invalid' : ''} onChange={(e) => editThreshold(e.target.value)} />
      </div>
      {on && !checked.ok && <span id={msgId} className="field-msg" role="alert" data-testid="threshold-msg">{checked.message} The slot keeps threshold {cur.threshold}.</span>}
      {on && typeof dir === 'string' && <span className="warn small">{dir}; the add is not sent until it is fixed.</span>}
      {on && typeof dir !== 'string' && <RocHelper layer={cur.layer} direction={dir} pooling={cur.pooling} onPick={(t) => editThreshold(String(t))} />}
    </div>
  );
}

/** Two labelled prompt sets → projections (a job) → ROC curve, AUROC and the Youden cut as the threshold. */
function RocHelper({ layer, direction, pooling, onPick }: { layer: number; direction: Float32Array; pooling: Pooling; onPick: (t: number) => void }) {
  const { contrastPos, contrastNeg } = useLab();
  const [fire, setFire] = useState<string | null>(null);
  const [quiet, setQuiet] = useState<string | null>(null);
  const [roc, setRoc] = useState<RocResult | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The quick-contrast sets are the natural first guess: the vector was built to tell them apart.
  const fireText = fire ?? contrastPos, quietText = quiet ?? contrastNeg;
  const run = async () => {
    setBusy(true); setStatus(null);
    try {
      const r = await rocJob(promptLines(fireText, 'Fires on'), promptLines(quietText, 'Does not fire on'), layer, direction, pooling);
      setRoc(r);
      onPick(r.best.threshold);
    } catch (e) {
      const d = toErrorData(e);
      if (d.code !== 'cancelled') setStatus(d.message);
    } finally { setBusy(false); }
  };
  const data = useMemo(() => (roc ? [
    { type: 'scatter', mode: 'lines', x: [0, 1], y: [0, 1], line: { color: '#2a3344', dash: 'dot' }, hoverinfo: 'skip', name: 'chance' },
    { type: 'scatter', mode: 'lines+markers', name: 'ROC', x: roc.points.map((p) => p.fpr), y: roc.points.map((p) => p.tpr), customdata: roc.points.map((p) => p.threshold),
      line: { color: '#f5a524', width: 2 }, marker: { size: 5 }, hovertemplate: 'threshold %{customdata:.3f}<br>fires on %{y:.0%} of one set, %{x:.0%} of the other<extra></extra>' },
    { type: 'scatter', mode: 'markers', name: 'chosen', x: [roc.best.fpr], y: [roc.best.tpr], marker: { size: 11, color: '#3fb950', symbol: 'circle-open', line: { width: 2 } }, hoverinfo: 'skip' },
  ] : []), [roc]);
  const layout = useMemo(() => chartTheme({ xaxis: { title: { text: 'false positive rate' }, range: [-0.02, 1.02] }, yaxis: { title: { text: 'true positive rate' }, range: [-0.02, 1.02] } }), []);
  return (
    <details className="kind-helper">
      <summary>Threshold from labelled prompts (ROC)</summary>
      <div className="row wrap">
        <label className="field grow"><span className="field-label">Fires on, one per line</span>
          <textarea rows={3} value={fireText} onChange={(e) => setFire(e.target.value)} aria-label="Prompts the condition fires on" /></label>
        <label className="field grow"><span className="field-label">Does not fire on, one per line</span>
          <textarea rows={3} value={quietText} onChange={(e) => setQuiet(e.target.value)} aria-label="Prompts the condition does not fire on" /></label>
      </div>
      <div className="row center">
        <button type="button" className="small" onClick={() => void run()} disabled={busy}>{busy ? 'Reading…' : 'Read projections and draw ROC'}</button>
        {roc && <span className="mono small" data-testid="roc-auc">AUROC {num(roc.auc, 3)} · threshold {num(roc.best.threshold, 3)} (max TPR − FPR: {num(roc.best.tpr, 2)} − {num(roc.best.fpr, 2)})</span>}
      </div>
      {status && <span className="field-msg" role="alert">{status}</span>}
      {roc && <Chart data={data} layout={layout} height={180} label={`ROC curve of the condition at L${layer}, AUROC ${num(roc.auc, 3)}`} />}
    </details>
  );
}
