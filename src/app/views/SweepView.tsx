/** Coefficient sweep: trait score and projection vs coefficient (mean ± sd), random-direction control, examples, export. */
import { useMemo } from 'react';
import { Chart, chartTheme } from '../components/Chart';
import { Field, Panel, Segmented, Toggle } from '../components/ui';
import { COLORS, download, Empty, fmt, GenFields, JudgeSelect, NumField, PackSelect, RunBar, StepList, VectorLayerSelect } from './common';
import type { SweepResult } from './experiments';
import { startSweep } from './jobs';
import { StrengthMapSection } from './StrengthMap';
import { clip, lines, parseNumberList, toCsv } from './logic';
import { summarizeFinite, type Summary } from '../../engine/clients/eval/stats';
import { patchView, useCurrentPack, useViews } from './viewStore';
import { presentLayers, row } from '../../engine/clients/vectors/meta';
import { StrengthReadout, useStrengths } from '../components/StrengthReadout';
import { fmtStrength } from '../residualNorms';
import { useLab } from '../store';

/** The sweep's vector at its layer, if the library has it there. */
function useSweepVector(vectorId: string, layer: number): Float32Array | null {
  const rec = useLab((s) => s.vectors.find((x) => x.id === vectorId));
  return useMemo(() => (rec && layer >= 0 && presentLayers(rec.set.meta).includes(layer) ? row(rec.set.vectors, rec.set.meta.hiddenSize, layer) : null), [rec, layer]);
}

/** The sweep's rows are asked as user messages; the strengths are measured on its first question (vectors/strength.ts). */
const sweepPrompt = (question: string | undefined) => (question ? [{ role: 'user' as const, content: question }] : null);

export interface SweepRow { condition: 'vector' | 'random'; coeff: number; n: number; trait: Summary; coherence: Summary; projection: Summary }

/** mean ± sd per (condition, coefficient); judge nulls and empty answers are left out of their means. */
export function sweepTable(r: SweepResult): SweepRow[] {
  const out: SweepRow[] = [];
  for (const condition of ['vector', 'random'] as const) {
    for (const coeff of r.coeffs) {
      const s = r.samples.filter((x) => x.condition === condition && x.coeff === coeff);
      if (!s.length) continue;
      out.push({ condition, coeff, n: s.length, trait: summarizeFinite(s.map((x) => x.trait)), coherence: summarizeFinite(s.map((x) => x.coherence)), projection: summarizeFinite(s.map((x) => x.projection)) });
    }
  }
  return out;
}

export const sweepCsv = (r: SweepResult): string => toCsv(
  ['condition', 'coeff', 'n', 'trait_mean', 'trait_sd', 'coherence_mean', 'coherence_sd', 'projection_mean', 'projection_sd'],
  sweepTable(r).map((x) => [x.condition, x.coeff, x.n, x.trait.mean, x.trait.sd, x.coherence.mean, x.coherence.sd, x.projection.mean, x.projection.sd]),
);

export function SweepView() {
  const v = useViews((s) => s.sweep);
  const pack = useCurrentPack();
  const coeffs = parseNumberList(v.coeffs);
  const qs = lines(v.questions);
  const vector = useSweepVector(v.vectorId, v.layer);
  return (
    <>
      <Panel title="Sweep setup" right={<span className="muted small mono">{typeof coeffs === 'string' ? '—' : coeffs.length} coefficients × {qs.length || Math.min(3, pack.evaluationQuestions.length)} questions{v.random ? ' × 2 conditions' : ''}</span>}>
        <div className="form-grid">
          <VectorLayerSelect vectorId={v.vectorId} layer={v.layer} onChange={(x) => patchView('sweep', x)} />
          <PackSelect label="Judge (trait pack)" />
          <Field label="Coefficients" hint={typeof coeffs === 'string' ? coeffs : undefined}>
            <input value={v.coeffs} aria-label="Coefficients" className={typeof coeffs === 'string' ? 'invalid' : ''} onChange={(e) => patchView('sweep', { coeffs: e.target.value })} />
            {typeof coeffs !== 'string' && <StrengthReadout coeffs={coeffs} layer={v.layer} vector={vector} prompt={sweepPrompt(qs[0] ?? pack.evaluationQuestions[0])} testId="sweep-strengths" />}
          </Field>
        </div>
        <Field label="Questions" hint={`one per line · empty: the pack's first 3 evaluation questions`}>
          <textarea rows={3} value={v.questions} aria-label="Sweep questions" placeholder={pack.evaluationQuestions.slice(0, 3).join('\n')} onChange={(e) => patchView('sweep', { questions: e.target.value })} />
        </Field>
        <div className="form-grid">
          <GenFields prefix="Sweep" gen={v.gen} onChange={(gen) => patchView('sweep', { gen })} />
          <JudgeSelect value={v.judge ?? 'auto'} aria="Sweep judge" onChange={(judge) => patchView('sweep', { judge })} />
          <NumField label="Min number mass" aria="Sweep minimum number mass" value={v.minMass} step={0.05} min={0} max={1} onChange={(x) => patchView('sweep', { minMass: x })} />
          <NumField label="Judge top-k" aria="Sweep judge top-k" value={v.topK} min={1} max={100} onChange={(x) => patchView('sweep', { topK: Math.max(1, Math.min(100, Math.round(x))) })} />
        </div>
        <div className="row center wrap">
          <Toggle checked={v.random} onChange={(random) => patchView('sweep', { random })} label="Random-direction control (same norm)" />
          <Toggle checked={v.coherence} onChange={(coherence) => patchView('sweep', { coherence })} label="Judge coherence" />
          <span className="muted small">Positions</span>
          <Segmented label="Steering positions" value={v.positions} onChange={(positions) => patchView('sweep', { positions })} options={[{ value: 'all', label: 'all' }, { value: 'response', label: 'response' }]} />
        </div>
        <RunBar kind="sweep" label="Run sweep" onRun={() => void startSweep()} disabled={typeof coeffs === 'string' || !v.vectorId} />
        <StepList steps={v.steps} />
      </Panel>
      <SweepResults />
      <StrengthMapSection />
    </>
  );
}

const LEGEND = { showlegend: true, legend: { orientation: 'h', x: 0, y: 1.18 } };

function errorTrace(rows: SweepRow[], cond: 'vector' | 'random', key: 'trait' | 'projection' | 'coherence', color: string, name: string, dash = 'solid') {
  const rs = rows.filter((x) => x.condition === cond);
  return {
    type: 'scatter', mode: 'lines+markers', name,
    x: rs.map((x) => x.coeff), y: rs.map((x) => (Number.isFinite(x[key].mean) ? x[key].mean : null)),
    error_y: { type: 'data', array: rs.map((x) => (Number.isFinite(x[key].sd) ? x[key].sd : 0)), visible: true, color, thickness: 1.2, width: 4 },
    line: { color, width: 2, dash }, marker: { size: 7, color },
    hovertemplate: `${name} · coeff %{x}<br>%{y:.2f} ± %{error_y.array:.2f}<extra></extra>`,
  };
}

function SweepResults() {
  const r = useViews((s) => s.sweep.result);
  const ex = useViews((s) => s.sweep.exampleQuestion);
  const rows = useMemo(() => (r ? sweepTable(r) : []), [r]);
  const vectorId = useViews((s) => s.sweep.vectorId);
  const vectorName = useLab((s) => s.vectors.find((x) => x.id === vectorId)?.name);
  const modelId = useLab((s) => s.modelId);
  // Strengths only for a result of the loaded model and the vector still chosen above (a reopened result of another one has no norm here).
  const same = !!r && r.modelId === modelId && r.vectorName === vectorName;
  const vector = useSweepVector(same ? vectorId : '', r?.layer ?? -1);
  const st = useStrengths(r?.coeffs ?? [], r?.layer ?? -1, vector, sweepPrompt(r?.questions[0]));
  const strengthOf = (c: number) => (st && 'strengths' in st ? fmtStrength(st.strengths[r!.coeffs.indexOf(c)]) : st?.note ?? '—');
  const hasRandom = rows.some((x) => x.condition === 'random');
  const scoreData = useMemo(() => [
    errorTrace(rows, 'vector', 'trait', COLORS.steer, `${r?.vectorName ?? 'vector'} · trait`),
    ...(hasRandom ? [errorTrace(rows, 'random', 'trait', COLORS.random, 'random · trait', 'dot')] : []),
    ...(rows.some((x) => x.coherence.n > 0) ? [errorTrace(rows, 'vector', 'coherence', COLORS.ok, 'coherence', 'dash')] : []),
  ], [rows, hasRandom, r?.vectorName]);
  const projData = useMemo(() => [
    errorTrace(rows, 'vector', 'projection', COLORS.steer, `${r?.vectorName ?? 'vector'}`),
    ...(hasRandom ? [errorTrace(rows, 'random', 'projection', COLORS.random, 'random direction', 'dot')] : []),
  ], [rows, hasRandom, r?.vectorName]);
  const scoreLayout = useMemo(() => chartTheme({ xaxis: { title: { text: 'coefficient' } }, yaxis: { title: { text: 'judge score (0-100)' } }, margin: { l: 48, r: 12, t: 28, b: 36 }, ...LEGEND }), []);
  const projLayout = useMemo(() => chartTheme({ xaxis: { title: { text: 'coefficient' } }, yaxis: { title: { text: `projection at L${r?.layer ?? '?'}` } }, margin: { l: 48, r: 12, t: 28, b: 36 }, ...LEGEND }), [r?.layer]);
  if (!r) return <Panel title="Results"><Empty>Run a sweep to chart the trait score and the projection against the coefficient.</Empty></Panel>;
  const q = r.questions[Math.min(ex, r.questions.length - 1)];
  const base = `${r.vectorName.replace(/[^\w.-]+/g, '_')}_L${r.layer}_sweep`;
  return (
    <>
      <Panel title="Trait score & projection vs coefficient" right={<span className="muted small mono">{r.vectorName} @ L{r.layer} · mean ± sd over {r.questions.length} questions{r.judge ? ` · scored by ${r.judge}` : ''}</span>} className="sweep-charts">
        <div className="chart-pair">
          <div><div className="chart-title">Trait score ({r.judge ?? 'judge'})</div><Chart data={scoreData} layout={scoreLayout} height={260} label="Sweep trait score" /></div>
          <div><div className="chart-title">Response projection at the steered layer (h·v̂, mean over answer tokens)</div><Chart data={projData} layout={projLayout} height={260} label="Sweep projection" /></div>
        </div>
      </Panel>
      <Panel title="Table" right={
        <div className="row">
          <button className="ghost small" onClick={() => download(`${base}.csv`, sweepCsv(r), 'text/csv')}>Export CSV</button>
          <button className="ghost small" onClick={() => download(`${base}.json`, JSON.stringify({ ...r, summary: sweepTable(r) }, null, 2), 'application/json')}>Export JSON</button>
        </div>}>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Sweep table (scrolls sideways on a narrow screen)">
          <table className="table sweep-table">
            <thead><tr><th>condition</th><th className="num">coeff</th><th className="num" title={st?.title ?? 'Strength needs this result\'s model loaded and its vector chosen above'}>× |h|</th><th className="num">n</th><th className="num">trait (scored)</th><th className="num">coherence</th><th className="num">projection</th></tr></thead>
            <tbody>
              {rows.map((x) => (
                <tr key={`${x.condition}${x.coeff}`}>
                  <td><span className={`dot ${x.condition}`} />{x.condition}</td>
                  <td className="num mono">{x.coeff}</td><td className="num mono strength-cell" title={st?.title}>{strengthOf(x.coeff)}</td><td className="num mono">{x.n}</td>
                  <td className="num mono" title={`${x.trait.n} of ${x.n} answers scored by the judge`}>{fmt(x.trait.mean)} ± {fmt(x.trait.sd)} <span className="muted">({x.trait.n}/{x.n})</span></td>
                  <td className="num mono">{fmt(x.coherence.mean)} ± {fmt(x.coherence.sd)}</td>
                  <td className="num mono">{fmt(x.projection.mean, 3)} ± {fmt(x.projection.sd, 3)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
      <Panel title="Responses per coefficient">
        <Field label="Question">
          <select value={Math.min(ex, r.questions.length - 1)} aria-label="Example question" onChange={(e) => patchView('sweep', { exampleQuestion: Number(e.target.value) })}>
            {r.questions.map((x, k) => <option key={k} value={k}>{clip(x, 120)}</option>)}
          </select>
        </Field>
        <div className="table-wrap" tabIndex={0} role="region" aria-label="Responses per coefficient (scroll sideways on a narrow screen)">
          <table className="table examples">
            <thead><tr><th className="num">coeff (× |h|)</th><th>steered by {r.vectorName}</th><th className="num">trait / coh.</th>{hasRandom && <th>random direction</th>}</tr></thead>
            <tbody>
              {r.coeffs.map((c) => {
                const a = r.samples.find((x) => x.condition === 'vector' && x.coeff === c && x.question === q);
                const b = r.samples.find((x) => x.condition === 'random' && x.coeff === c && x.question === q);
                return (
                  <tr key={c}>
                    <td className="num mono" title={st?.title}>{c} <span className="muted">({strengthOf(c)})</span></td>
                    <td className="gen-cell">{a?.answer || <span className="muted">(empty)</span>}</td>
                    <td className="num mono">{fmt(a?.trait, 0)} / {fmt(a?.coherence, 0)}</td>
                    {hasRandom && <td className="gen-cell">{b?.answer || <span className="muted">(empty)</span>}</td>}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </Panel>
    </>
  );
}
