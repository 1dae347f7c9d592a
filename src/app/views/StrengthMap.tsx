/**
 * The layer × strength map, a section of the Sweeps view: the sweep's vector at every layer it has × a grid of
 * strengths in units of the layer's residual norm, for one question, scored by the sweep's judge and by h·v̂.
 * Runs as a scheduler job (engine/clients/eval/strengthMap.ts); clicking a cell puts the Steer view's slot there.
 */
import { useMemo, useState } from 'react';
import { create } from 'zustand';
import { toErrorData } from '../../engine/shared/errors';
import { judgeLabel } from '../../engine/clients/eval/scoring';
import { runStrengthMap, type StrengthMapResult } from '../../engine/clients/eval/strengthMap';
import { presentLayers, row } from '../../engine/clients/vectors/meta';
import { getScheduler } from '../actions';
import { Chart, chartTheme } from '../components/Chart';
import { Field, Panel } from '../components/ui';
import { getLab, pushError, setLab, updateSlot, useLab } from '../store';
import { Empty, fmt } from './common';
import { judgeFor } from './experiments';
import { parseNumberList } from './logic';
import { getViews, packFor, useViews } from './viewStore';
import { BUILTIN_PACKS } from '../../engine/clients/eval/packs';

interface MapState {
  strengths: string;
  question: string;
  status: 'idle' | 'running' | 'done' | 'error' | 'cancelled';
  result: (StrengthMapResult & { vectorId: string; vectorName: string; judge: string | null; modelId: string }) | null;
  cancel: (() => void) | null;
  note: string | null;
}
const useMap = create<MapState>()(() => ({ strengths: '-1, -0.5, -0.25, 0, 0.25, 0.5, 1', question: '', status: 'idle', result: null, cancel: null, note: null }));

async function startMap(): Promise<void> {
  const m = useMap.getState();
  const v = getViews().sweep;
  const strengths = parseNumberList(m.strengths);
  if (typeof strengths === 'string') return pushError('Map', { code: 'bad-input', message: `Strengths: ${strengths}` });
  const rec = getLab().vectors.find((x) => x.id === v.vectorId);
  if (!rec) return pushError('Map', { code: 'bad-input', message: 'Choose a vector in the sweep setup above; the map steers with it at every layer it has.' });
  const { info, modelStatus, modelId } = getLab();
  if (!info || modelStatus !== 'ready') return pushError('Map', { code: 'not-loaded', message: 'Load a model first (left panel).' });
  const pack = packFor(getViews().packKey, getViews().savedPacks) ?? BUILTIN_PACKS[0];
  const question = m.question.trim() || pack.evaluationQuestions[0];
  const D = rec.set.meta.hiddenSize;
  const vectors = presentLayers(rec.set.meta).map((layer) => ({ layer, vector: row(rec.set.vectors, D, layer).slice() }));
  let judge: string | null = null;
  const handle = getScheduler().job('Layer × strength map', async (engine, signal) => {
    const j = await judgeFor(engine, { kind: v.judge, minMass: v.minMass, coherence: false, topK: v.topK }, pack.markers);
    judge = judgeLabel(j);
    return runStrengthMap(engine, {
      vectors, strengths, question, maxNewTokens: Math.max(1, Math.floor(v.gen.maxNewTokens)), sampling: { temperature: v.gen.temperature, seed: v.gen.seed },
      batchSize: Math.max(1, Math.floor(v.gen.batchSize)), judge: j, traitTemplate: pack.evalPrompt, signal,
    });
  });
  useMap.setState({ status: 'running', result: null, note: null, cancel: () => handle.cancel() });
  try {
    const r = await handle.result;
    useMap.setState({ status: 'done', cancel: null, result: { ...r, vectorId: rec.id, vectorName: rec.name, judge, modelId: modelId ?? info.id } });
  } catch (e) {
    const d = toErrorData(e);
    if (d.code !== 'cancelled') pushError('Map', d);
    useMap.setState({ status: d.code === 'cancelled' ? 'cancelled' : 'error', cancel: null });
  }
}

/** Puts the Steer view's slot for the map's vector (or its first slot) at this layer and coefficient. */
function steerAt(r: NonNullable<MapState['result']>, layer: number, strength: number): void {
  const cell = r.cells.find((c) => c.layer === layer && c.strength === strength);
  if (!cell) return;
  const slots = getLab().slots;
  const slot = slots.find((s) => s.vectorId === r.vectorId) ?? slots[0];
  const coeff = Number(cell.coeff.toFixed(2));
  if (slot) updateSlot(slot.key, { vectorId: r.vectorId, layer, coeff, enabled: true });
  else setLab({ slots: [{ key: `map-${Date.now()}`, vectorId: r.vectorId, layer, coeff, mode: 'all', ablate: false, ablateStrength: 1, enabled: true }] });
  useMap.setState({ note: `Steer slot set to ${r.vectorName} @ L${layer} × ${coeff >= 0 ? '+' : ''}${coeff.toFixed(2)} (${strength} × the layer's residual norm). Generate in the Steer view to see it.` });
}

export function StrengthMapSection() {
  const m = useMap();
  const vectorId = useViews((s) => s.sweep.vectorId);
  const vectorName = useLab((s) => s.vectors.find((x) => x.id === vectorId)?.name);
  const ready = useLab((s) => s.modelStatus === 'ready');
  const strengths = parseNumberList(m.strengths);
  return (
    <Panel title="Layer × strength map" className="strength-map" right={<span className="muted small mono">{vectorName ? `${vectorName} at every layer` : 'choose a vector above'}</span>}>
      <p className="muted small view-measures">Measures, for one question, the judge's trait score and the answer's projection h·v̂ at every layer × strength; strength is a multiple of that layer's mean residual norm on the prompt, shown beside the raw coefficient. Click a cell to steer there.</p>
      <div className="form-grid">
        <Field label="Strengths (× residual norm)" hint={typeof strengths === 'string' ? strengths : undefined}>
          <input value={m.strengths} aria-label="Map strengths" className={typeof strengths === 'string' ? 'invalid' : ''} onChange={(e) => useMap.setState({ strengths: e.target.value })} />
        </Field>
        <Field label="Question" hint="empty: the pack's first evaluation question">
          <input value={m.question} aria-label="Map question" onChange={(e) => useMap.setState({ question: e.target.value })} />
        </Field>
      </div>
      <div className="row center">
        {m.status === 'running'
          ? <button className="ghost" onClick={() => m.cancel?.()}>Cancel map</button>
          : <button className="primary" disabled={!ready || !vectorId || typeof strengths === 'string'} onClick={() => void startMap()}>Draw map</button>}
        <span className="muted small" role="status">{m.status === 'running' ? 'generating every layer × strength…' : m.status === 'idle' ? '' : m.status}</span>
      </div>
      {m.note && <p className="small" data-testid="map-note">{m.note}</p>}
      {m.result ? <MapCharts r={m.result} /> : <Empty>Draw the map to see where steering takes hold and where it breaks the answer.</Empty>}
    </Panel>
  );
}

function MapCharts({ r }: { r: NonNullable<MapState['result']> }) {
  const [metric, setMetric] = useState<'trait' | 'projection'>(r.judge ? 'trait' : 'projection');
  const z = useMemo(() => r.layers.map((l) => r.strengths.map((s) => {
    const c = r.cells.find((x) => x.layer === l && x.strength === s)!;
    return metric === 'trait' ? c.trait : Number.isFinite(c.projection) ? c.projection : null;
  })), [r, metric]);
  const text = useMemo(() => r.layers.map((l) => r.strengths.map((s) => {
    const c = r.cells.find((x) => x.layer === l && x.strength === s)!;
    return `L${l} · ${s} × |h| = coeff ${c.coeff.toFixed(2)}<br>trait ${fmt(c.trait, 0)} · h·v̂ ${fmt(c.projection, 3)}<br>${c.answer.slice(0, 80).replace(/</g, '‹')}`;
  })), [r]);
  const data = useMemo(() => [{
    type: 'heatmap', x: r.strengths, y: r.layers, z, text, hoverinfo: 'text', colorscale: metric === 'trait' ? 'Viridis' : 'RdBu', reversescale: metric === 'projection',
    colorbar: { title: { text: metric === 'trait' ? 'trait' : 'h·v̂' }, thickness: 10 },
  }], [r, z, text, metric]);
  const layout = useMemo(() => chartTheme({
    xaxis: { title: { text: 'strength (× layer residual norm)' }, type: 'category' }, yaxis: { title: { text: 'layer' }, type: 'category' }, margin: { l: 48, r: 12, t: 8, b: 40 },
  }), []);
  return (
    <>
      <div className="row center">
        <span className="muted small">Colour</span>
        <select aria-label="Map colour" value={metric} onChange={(e) => setMetric(e.target.value as 'trait' | 'projection')}>
          <option value="trait" disabled={!r.judge}>trait score ({r.judge ?? 'no judge'})</option>
          <option value="projection">projection h·v̂</option>
        </select>
        <span className="muted small mono">{r.vectorName} · {r.modelId} · judge: {r.judge ?? 'none'}</span>
      </div>
      <Chart data={data} layout={layout} height={Math.max(180, 40 * r.layers.length + 70)} label="Layer by strength map" onClickPoint={(x, y) => steerAt(r, Number(y), Number(x))} />
      <div className="table-wrap">
        <table className="table map-table">
          <caption className="muted small">Each cell: trait score / projection; raw coefficient below. Residual norm per layer in the first column.</caption>
          <thead><tr><th>layer (|h|)</th>{r.strengths.map((s) => <th key={s} className="num">{s} × |h|</th>)}</tr></thead>
          <tbody>
            {r.layers.map((l, i) => (
              <tr key={l}>
                <th scope="row" className="mono">L{l} ({fmt(r.residualNorm[i], 2)})</th>
                {r.strengths.map((s) => {
                  const c = r.cells.find((x) => x.layer === l && x.strength === s)!;
                  return (
                    <td key={s} className="num mono">
                      <button className="ghost small map-cell" data-layer={l} data-strength={s} title={c.answer} onClick={() => steerAt(r, l, s)}>
                        {fmt(c.trait, 0)} / {fmt(c.projection, 2)}<br /><span className="muted">coeff {c.coeff.toFixed(2)}</span>
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
