/**
 * Detection and ablation (the misalignment recipe with two prompt sets on one model): last-token activations,
 * per-layer separation, probe accuracy, detection scores (projection onto the A−B direction) with a random
 * control, then answers with and without ablating the direction on a layer range.
 */
import { useMemo } from 'react';
import { Chart, chartTheme } from '../components/Chart';
import { Field, Panel } from '../components/ui';
import { useLab } from '../store';
import { COLORS, Empty, fmt, GenFields, NumField, RunBar, StepList } from './common';
import { saveDetectionVector, startAblation, startDetection } from './jobs';
import { clip, lines } from './logic';
import { patchView, useViews } from './viewStore';

export function DetectionView() {
  const v = useViews((s) => s.detection);
  const nA = lines(v.setA).length, nB = lines(v.setB).length;
  return (
    <>
      <Panel title="Two prompt sets" right={<span className="muted small mono">last-token residuals · every layer</span>}>
        <div className="row">
          <div className="set-col">
            <Field label="Set A label"><input value={v.labelA} maxLength={40} aria-label="Set A label" onChange={(e) => patchView('detection', { labelA: e.target.value })} /></Field>
            <Field label="Set A prompts" hint={`${nA} prompts`}><textarea rows={5} value={v.setA} aria-label="Set A prompts" onChange={(e) => patchView('detection', { setA: e.target.value })} /></Field>
          </div>
          <div className="set-col">
            <Field label="Set B label"><input value={v.labelB} maxLength={40} aria-label="Set B label" onChange={(e) => patchView('detection', { labelB: e.target.value })} /></Field>
            <Field label="Set B prompts" hint={`${nB} prompts`}><textarea rows={5} value={v.setB} aria-label="Set B prompts" onChange={(e) => patchView('detection', { setB: e.target.value })} /></Field>
          </div>
        </div>
        <p className="muted small">Compares two prompt sets on the loaded model (the misalignment recipe's two-condition variant). One prompt per line; the last prompt token of each is read at every layer.</p>
        <RunBar kind="detection" label="Run detection" onRun={() => void startDetection()} disabled={nA < 2 || nB < 2} />
        <StepList steps={v.steps} />
      </Panel>
      <DetectionResults />
    </>
  );
}

const LEGEND = { showlegend: true, legend: { orientation: 'h', x: 0, y: -0.3, yanchor: 'top' } };

function DetectionResults() {
  const v = useViews((s) => s.detection);
  const r = v.result;
  const info = useLab((s) => s.info);
  const layer = r ? Math.min(Math.max(0, v.layer), r.separation.length - 1) : 0;
  const sepData = useMemo(() => (r ? [{
    type: 'bar', x: r.separation.map((_, i) => i), y: r.separation, name: 'in-sample separation (d)',
    marker: { color: r.separation.map((_, i) => (i === layer ? COLORS.steer : COLORS.bar)) },
    hovertemplate: 'layer %{x}<br>d = %{y:.2f}<extra></extra>',
  }] : []), [r, layer]);
  const accData = useMemo(() => (r ? [
    { type: 'bar', name: 'probe held-out accuracy', x: r.probeAccuracy.map((_, i) => i), y: r.probeAccuracy.map((a) => (Number.isFinite(a) ? a : null)), marker: { color: '#3b6ea8' }, hovertemplate: 'layer %{x}<br>probe acc %{y:.2f}<extra></extra>' },
    { type: 'scatter', mode: 'lines+markers', name: 'detection-score AUROC', x: r.auroc.map((_, i) => i), y: r.auroc, line: { color: COLORS.steer, width: 2 }, hovertemplate: 'layer %{x}<br>AUROC %{y:.2f}<extra></extra>' },
    { type: 'scatter', mode: 'lines+markers', name: 'probe held-out AUROC', x: r.probeAuroc.map((_, i) => i), y: r.probeAuroc.map((a) => (Number.isFinite(a) ? a : null)), line: { color: COLORS.random, width: 1.5, dash: 'dot' }, hovertemplate: 'layer %{x}<br>probe AUROC %{y:.2f}<extra></extra>' },
  ] : []), [r]);
  const sepLayout = useMemo(() => chartTheme({ xaxis: { title: { text: 'layer' }, dtick: 1 }, yaxis: { title: { text: 'in-sample separation (d)' } }, bargap: 0.2 }), []);
  const accLayout = useMemo(() => chartTheme({ xaxis: { title: { text: 'layer' }, dtick: 1 }, yaxis: { title: { text: 'accuracy / AUROC' }, range: [0, 1.05] }, margin: { l: 44, r: 12, t: 8, b: 78 }, bargap: 0.3, ...LEGEND }), []);
  if (!r) return <Panel title="Detection"><Empty>Run detection to see per-layer separation, probe accuracy and detection scores.</Empty></Panel>;
  const scores = r.scores[layer] ?? [];
  const order = scores.map((s, k) => [s, k] as const).sort((a, b) => b[0] - a[0]);
  const compatible = !!info && info.hiddenSize === r.set.meta.hiddenSize && info.numLayers === r.set.meta.numLayers;
  return (
    <>
      <Panel title="Per-layer separation & probes" right={<span className="muted small mono">{r.labelA} vs {r.labelB} · best L{r.recommendedLayer}</span>} className="detection-charts">
        <div className="chart-pair">
          <div><div className="chart-title">Separation along the A−B direction</div><Chart data={sepData} layout={sepLayout} height={266} label="Detection separation by layer" onClickX={(x) => patchView('detection', { layer: x })} /></div>
          <div><div className="chart-title">Probe accuracy and AUROC (held out) · detection-score AUROC (in-sample)</div><Chart data={accData} layout={accLayout} height={266} label="Probe accuracy by layer" /></div>
        </div>
        <div className="row center">
          <button className="ghost small" onClick={() => void saveDetectionVector()}>Save A−B direction to library</button>
          <span className="muted small">Click a separation bar to read the scores at that layer.</span>
        </div>
      </Panel>
      <Panel title="Detection scores" right={<span className="muted small mono">projection of the last prompt token onto the unit A−B direction at L{layer}</span>}>
        <p className="small auroc-explained">
          <strong>AUROC {fmt(r.auroc[layer], 2)} in-sample</strong>: how well this score ranks {r.labelA} above {r.labelB} on the very prompts the
          direction was computed from (optimistic: the direction has seen them). <strong>Probe AUROC {fmt(r.probeAuroc[layer], 2)} held out</strong>:
          a linear probe trained without each prompt and scored on it, so it says how well the separation carries over to new prompts.
          1.00 ranks every pair right, 0.50 is chance, below 0.50 ranks them the wrong way round.
        </p>
        <div className="form-grid">
          <Field label="Layer">
            <select value={layer} aria-label="Detection layer" onChange={(e) => patchView('detection', { layer: Number(e.target.value) })}>
              {r.separation.map((_, l) => <option key={l} value={l}>L{l}</option>)}
            </select>
          </Field>
        </div>
        <div className="table-wrap">
          <table className="table detection-table">
            <thead><tr><th className="num">#</th><th>Prompt</th><th>Set</th><th className="num">score</th></tr></thead>
            <tbody>
              {order.map(([s, k], i) => (
                <tr key={k}>
                  <td className="num mono muted">{i + 1}</td>
                  <td>{clip(r.prompts[k].text, 120)}</td>
                  <td><span className={`badge ${r.prompts[k].set === 'A' ? 'badge-a' : 'badge-b'}`}>{r.prompts[k].set === 'A' ? r.labelA : r.labelB}</span></td>
                  <td className="num mono">{fmt(s, 3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
      <AblationPanel compatible={compatible} />
    </>
  );
}

function AblationPanel({ compatible }: { compatible: boolean }) {
  const v = useViews((s) => s.detection);
  return (
    <Panel title="Ablation" right={<span className="muted small mono">h -= s·(h·û)û on every layer of the range</span>}>
      <div className="form-grid">
        <Field label="Layer range" hint="e.g. 2-3"><input value={v.range} aria-label="Ablation layer range" onChange={(e) => patchView('detection', { range: e.target.value })} /></Field>
        <NumField label="Strength" aria="Ablation strength" value={v.strength} step={0.1} min={0} max={10} onChange={(strength) => patchView('detection', { strength })} />
        <GenFields prefix="Ablation" gen={v.gen} onChange={(gen) => patchView('detection', { gen })} />
      </div>
      <Field label="Test prompts" hint="one per line">
        <textarea rows={2} value={v.testPrompts} aria-label="Ablation test prompts" onChange={(e) => patchView('detection', { testPrompts: e.target.value })} />
      </Field>
      {!compatible && <p className="warn small">The loaded model does not match this result's shape; load the model it was computed on to ablate.</p>}
      <RunBar kind="ablation" label="Run ablation" onRun={() => void startAblation()} disabled={!compatible || !lines(v.testPrompts).length} />
      <StepList steps={v.ablationSteps} />
      {v.ablation && (
        <div className="table-wrap">
          <table className="table examples ablation-table">
            <thead><tr><th>Prompt</th><th>without ablation</th><th>ablated L{v.ablation.range[0]}–{v.ablation.range[1]} × {v.ablation.strength}</th></tr></thead>
            <tbody>
              {v.ablation.rows.map((x, k) => (
                <tr key={k}>
                  <td>{clip(x.prompt, 100)}</td>
                  <td className="gen-cell">{x.plain || <span className="muted">(empty)</span>}</td>
                  <td className="gen-cell">{x.ablated || <span className="muted">(empty)</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Panel>
  );
}
