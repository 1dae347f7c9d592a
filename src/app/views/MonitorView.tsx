/** Projection monitoring: box plots of response projections for baseline, positive-prompted and steered answers. */
import { useEffect, useMemo } from 'react';
import { COEFF_RULE } from '../fields';
import { useLab } from '../store';
import { Chart, chartTheme } from '../components/Chart';
import { Field, Panel } from '../components/ui';
import { COLORS, Empty, fmt, GenFields, NumField, PackSelect, RunBar, StepList, VectorLayerSelect } from './common';
import type { MonitorCondition } from './experiments';
import { startMonitor } from './jobs';
import { clip } from './logic';
import { summarizeFinite } from '../../engine/clients/eval/stats';
import { packKeyForTrait, patchView, setViews, useCurrentPack, useViews } from './viewStore';

const COND: { key: MonitorCondition; label: string; color: string }[] = [
  { key: 'baseline', label: 'baseline', color: COLORS.base },
  { key: 'prompted', label: 'positive-prompted', color: COLORS.prompted },
  { key: 'steered', label: 'steered', color: COLORS.steer },
];

export function MonitorView() {
  const v = useViews((s) => s.monitor);
  const pack = useCurrentPack();
  const vectorName = useLab((s) => s.vectors.find((x) => x.id === v.vectorId)?.name);
  // When the vector changes, the pack follows it if one matches its name (an "optimism" vector gets the
  // "optimistic" pack); a pack the user picks afterwards stays.
  useEffect(() => {
    if (!vectorName) return;
    const key = packKeyForTrait(vectorName, useViews.getState().savedPacks);
    if (key && key !== useViews.getState().packKey) setViews({ packKey: key, packNote: null });
  }, [vectorName]);
  const k = Math.min(v.instruction, pack.instructions.length - 1);
  return (
    <>
      <Panel title="Projection monitoring" right={<span className="muted small mono">mean projection of each answer onto the unit vector</span>}>
        <div className="form-grid">
          <VectorLayerSelect vectorId={v.vectorId} layer={v.layer} onChange={(x) => patchView('monitor', x)} />
          <NumField label="Steering coeff" aria="Monitor coefficient" value={v.coeff} step={0.5} rule={COEFF_RULE} onChange={(coeff) => patchView('monitor', { coeff })} />
          <PackSelect />
        </div>
        <Field label="Positive system prompt (from the pack)">
          <select value={k} aria-label="Positive system prompt" onChange={(e) => patchView('monitor', { instruction: Number(e.target.value) })}>
            {pack.instructions.map((p, i) => <option key={i} value={i}>{clip(p.pos, 140)}</option>)}
          </select>
        </Field>
        <Field label="Questions" hint="one per line · empty: the pack's first 4 evaluation questions">
          <textarea rows={3} value={v.questions} aria-label="Monitor questions" placeholder={pack.evaluationQuestions.slice(0, 4).join('\n')} onChange={(e) => patchView('monitor', { questions: e.target.value })} />
        </Field>
        <div className="form-grid"><GenFields prefix="Monitor" gen={v.gen} onChange={(gen) => patchView('monitor', { gen })} /></div>
        <p className="muted small what-it-measures">
          Each answer is generated under its condition (no steering, the pack's positive system prompt, or steering at × coeff), then read back
          {' '}<strong>without steering</strong> (with that condition's system prompt) and its response tokens' residuals at the layer are averaged and projected
          onto the unit vector. The Steer tab's chart instead projects during the steered generation, so its steered values include the added c·v.
        </p>
        <RunBar kind="monitor" label="Run monitoring" onRun={() => void startMonitor()} disabled={!v.vectorId} />
        <StepList steps={v.steps} />
      </Panel>
      <MonitorResults />
    </>
  );
}

function MonitorResults() {
  const r = useViews((s) => s.monitor.result);
  const data = useMemo(() => (r ? COND.map((c) => {
    const s = r.samples.filter((x) => x.condition === c.key && Number.isFinite(x.projection));
    return {
      type: 'box', name: c.label, y: s.map((x) => x.projection), text: s.map((x) => clip(x.question, 60)),
      boxpoints: 'all', jitter: 0.35, pointpos: 0, boxmean: true,
      marker: { color: c.color, size: 6, opacity: 0.85 }, line: { color: c.color, width: 1.5 }, fillcolor: `${c.color}22`,
      hovertemplate: `${c.label}<br>%{text}<br>projection %{y:.3f}<extra></extra>`,
    };
  }) : []), [r]);
  const layout = useMemo(() => chartTheme({ yaxis: { title: { text: r ? `projection onto ${r.vectorName} @ L${r.layer}` : '' } }, margin: { l: 56, r: 12, t: 8, b: 32 } }), [r]);
  if (!r) return <Panel title="Projections"><Empty>Run monitoring to compare how far each condition's answers move along the vector.</Empty></Panel>;
  return (
    <>
      <Panel title="Projections by condition" right={<span className="muted small mono">steered × {r.coeff} · {r.samples.length / 3} questions</span>} className="monitor-chart">
        <Chart data={data} layout={layout} height={300} label="Projection box plots" />
        <div className="stat-row">
          {COND.map((c) => {
            const m = summarizeFinite(r.samples.filter((x) => x.condition === c.key).map((x) => x.projection));
            return <div key={c.key} className="stat" style={{ borderColor: c.color }}><span className="muted small">{c.label}</span><span className="mono">{fmt(m.mean, 3)} ± {fmt(m.sd, 3)}</span></div>;
          })}
        </div>
        <p className="muted small">Positive-prompted system prompt: <span className="quote">{clip(r.systemPrompt, 200)}</span></p>
      </Panel>
      <Panel title="Answers">
        <div className="table-wrap">
          <table className="table examples">
            <thead><tr><th>Question</th>{COND.map((c) => <th key={c.key}>{c.label}</th>)}</tr></thead>
            <tbody>
              {[...new Set(r.samples.map((x) => x.question))].map((q) => (
                <tr key={q}>
                  <td>{clip(q, 80)}</td>
                  {COND.map((c) => {
                    const s = r.samples.find((x) => x.question === q && x.condition === c.key);
                    return <td key={c.key} className="gen-cell"><span className="mono small proj-tag">{fmt(s?.projection, 3)}</span> {clip(s?.answer ?? '', 180) || <span className="muted">(empty)</span>}</td>;
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
    </>
  );
}
