/** Trait pipeline: pack → generate → score → filter → extract, resumable from the IndexedDB step cache. */
import { useMemo, useState } from 'react';
import { Chart, chartTheme } from '../components/Chart';
import { Field, Panel, Toggle } from '../components/ui';
import { useLab } from '../store';
import { COLORS, Empty, fmt, GenFields, JudgeSelect, NumField, PackSelect, RunBar, StepList } from './common';
import { PackEditor } from './PackEditor';
import { clearStepCache, savePipelineVector, startPipeline } from './jobs';
import { clip } from './logic';
import { patchView, setViews, useCurrentPack, useViews } from './viewStore';

export function PipelineView() {
  return (
    <>
      <PackPanel />
      <PipelinePanel />
      <ResultPanel />
    </>
  );
}

function PackPanel() {
  const pack = useCurrentPack();
  const [editing, setEditing] = useState(false);
  const packKey = useViews((s) => s.packKey);
  return (
    <Panel title="Trait pack" right={<span className="muted small mono">{packKey.startsWith('saved:') ? 'saved' : 'built-in'}</span>}>
      <div className="row end">
        <div className="pack-pick"><PackSelect /></div>
        <button className="ghost" onClick={() => { setEditing((x) => !x); setViews({ packNote: null }); }}>{editing ? 'Hide editor' : 'Edit / new pack…'}</button>
      </div>
      <p className="small pack-desc">{pack.description || <span className="muted">No description.</span>}</p>
      <p className="muted small mono">{pack.instructions.length} instruction pairs · {pack.extractionQuestions.length} extraction + {pack.evaluationQuestions.length} evaluation questions</p>
      {editing && <PackEditor key={packKey} pack={pack} onClose={() => setEditing(false)} />}
    </Panel>
  );
}

function PipelinePanel() {
  const v = useViews((s) => s.pipeline);
  const pack = useCurrentPack();
  const t = v.thresholds;
  const setT = (patch: Partial<typeof t>) => patchView('pipeline', { thresholds: { ...t, ...patch } });
  const rows = Math.min(v.nPairs, pack.instructions.length) * Math.min(v.nQuestions, pack.extractionQuestions.length);
  return (
    <Panel title="Pipeline" right={<span className="muted small mono">{rows} pairs · {2 * rows} generations</span>}>
      <div className="form-grid">
        <NumField label="Instruction pairs" aria="Instruction pairs" value={v.nPairs} min={1} max={pack.instructions.length} onChange={(x) => patchView('pipeline', { nPairs: x })} />
        <NumField label="Questions" aria="Extraction questions" value={v.nQuestions} min={1} max={pack.extractionQuestions.length} onChange={(x) => patchView('pipeline', { nQuestions: x })} />
        <GenFields prefix="Pipeline" gen={v.gen} onChange={(gen) => patchView('pipeline', { gen })} />
      </div>
      <div className="subhead">Judge &amp; filter <span className="muted small">(persona-vector rule with these thresholds; the lexical judge grades no coherence)</span></div>
      <div className="form-grid">
        <JudgeSelect value={v.judge ?? 'auto'} aria="Pipeline judge" onChange={(judge) => patchView('pipeline', { judge })} />
        <NumField label="Positive trait ≥" aria="Positive trait threshold" value={t.posMin} min={0} max={100} onChange={(x) => setT({ posMin: x })} />
        <NumField label="Negative trait <" aria="Negative trait threshold" value={t.negMax} min={0} max={101} onChange={(x) => setT({ negMax: x })} />
        <NumField label="Coherence ≥" aria="Coherence threshold" value={t.coherenceMin} min={0} max={100} onChange={(x) => setT({ coherenceMin: x })} />
        <NumField label="Min number mass" aria="Minimum number mass" value={v.minMass} step={0.05} min={0} max={1} hint="0.25" onChange={(x) => patchView('pipeline', { minMass: x })} />
        <NumField label="Judge top-k" aria="Judge top-k" value={v.topK} min={1} max={100} hint="20" onChange={(x) => patchView('pipeline', { topK: Math.max(1, Math.min(100, Math.round(x))) })} />
      </div>
      <div className="row center wrap">
        <Toggle checked={v.coherence} onChange={(coherence) => patchView('pipeline', { coherence })} label="Judge coherence too (a second, longer judge prompt)" />
        <Toggle checked={v.keepUnscored} onChange={(keepUnscored) => patchView('pipeline', { keepUnscored })} label="Keep pairs the judge could not score" />
      </div>
      <RunBar kind="pipeline" label="Run pipeline" onRun={() => void startPipeline()}
        extra={<button className="ghost small" onClick={() => void clearStepCache()} title="Forget every cached step (generations, judge scores, activations)">Clear cache</button>} />
      <p className="muted small">Each step is cached in this browser: a cancelled or interrupted run restarted with the same settings resumes where it stopped.</p>
      <StepList steps={v.steps} />
    </Panel>
  );
}

function ResultPanel() {
  const r = useViews((s) => s.pipeline.result);
  const vectors = useLab((s) => s.vectors);
  const [name, setName] = useState('');
  const [savedAs, setSavedAs] = useState<string | null>(null);
  const sep = r?.separation;
  const data = useMemo(() => (sep ? [{
    type: 'bar', x: sep.map((_, i) => i), y: sep,
    marker: { color: sep.map((_, i) => (i === r?.recommendedLayer ? COLORS.steer : COLORS.bar)) },
    hovertemplate: 'layer %{x}<br>d = %{y:.2f}<extra></extra>',
  }] : []), [sep, r?.recommendedLayer]);
  const layout = useMemo(() => chartTheme({ xaxis: { title: { text: 'layer' }, dtick: 1 }, yaxis: { title: { text: 'in-sample separation (d)' } }, bargap: 0.2 }), []);
  if (!r) return <Panel title="Result"><Empty>Run the pipeline to see effective pairs, per-layer separation and example pairs.</Empty></Panel>;
  const already = r.set && vectors.some((v) => v.set.vectors === r.set!.vectors);
  return (
    <Panel title="Result" right={<span className="chip ok" data-testid="effective-pairs">{r.effective} / {r.rows.length} effective pairs</span>} className="pipeline-result">
      {r.error && <p className="small warn" data-testid="pipeline-partial">The run stopped: {r.error.message}</p>}
      {r.judge && <p className="muted small" data-testid="pipeline-judge">Scored by the {r.judge} judge.</p>}
      {r.set && sep ? (
        <>
          <div className="progress-line small"><span>Separation by layer (response-mean, diff of means)</span><span className="mono">best L{r.recommendedLayer} · d={fmt(sep[r.recommendedLayer!], 2)}</span></div>
          <Chart data={data} layout={layout} height={170} label="Pipeline separation by layer" />
          <div className="row end">
            <Field label="Vector name"><input value={name || r.trait} aria-label="Pipeline vector name" maxLength={80} onChange={(e) => setName(e.target.value)} /></Field>
            <button className="primary" disabled={!!already} onClick={() => { void savePipelineVector(name || r.trait).then(() => setSavedAs(name || r.trait)); }}>{already ? 'Saved' : 'Save to library'}</button>
            {savedAs && <span className="chip ok">saved “{clip(savedAs, 30)}”</span>}
          </div>
        </>
      ) : <Empty>{r.error ? 'No vector: the run stopped before extraction finished.' : 'No vector: too few effective pairs.'}</Empty>}
      <div className="subhead">Example pairs</div>
      <div className="table-wrap">
        <table className="table pairs">
          <thead><tr><th>Question</th><th>Positive answer</th><th className="num">trait / coh.</th><th>Negative answer</th><th className="num">trait / coh.</th><th>Kept</th></tr></thead>
          <tbody>
            {r.rows.slice(0, 12).map((x, k) => (
              <tr key={k} className={x.verdict ? 'dropped' : 'kept'}>
                <td>{clip(x.question, 90)}</td>
                <td className="gen-cell">{clip(x.posText, 220) || <span className="muted">(empty)</span>}</td>
                <td className="num mono">{fmt(x.posTrait, 0)} / {fmt(x.posCoherence, 0)}</td>
                <td className="gen-cell">{clip(x.negText, 220) || <span className="muted">(empty)</span>}</td>
                <td className="num mono">{fmt(x.negTrait, 0)} / {fmt(x.negCoherence, 0)}</td>
                <td>{x.verdict ? <span className="badge badge-error" title={x.verdict}>{clip(x.verdict, 28)}</span> : <span className="badge badge-done">kept</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}
