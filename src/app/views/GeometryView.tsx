/** Geometry: cosine similarity between saved trait vectors at one layer, and across layers for one vector. */
import { useEffect, useState } from 'react';
import { presentLayers, row } from '../../engine/clients/vectors/meta';
import { toErrorData } from '../../engine/shared/errors';
import { getCompute } from '../actions';
import { Chart, chartTheme } from '../components/Chart';
import { Field, Panel } from '../components/ui';
import { useLab, type LabState } from '../store';
import { bestLayer, Empty } from './common';
import { clip } from './logic';
import { patchView, useViews } from './viewStore';
import { ViewStatement } from './ViewStatement';

/** Diverging scale centred on 0: blue for opposed, amber for aligned, like the rest of the lab. */
const SCALE = [[0, '#2f6fd6'], [0.5, '#141a24'], [1, '#f5a524']];

function heatmap(z: number[][], x: string[], y: string[], label: string) {
  return [{
    type: 'heatmap', z, x, y, zmin: -1, zmax: 1, colorscale: SCALE, xgap: 2, ygap: 2,
    text: z.map((r) => r.map((v) => v.toFixed(2))), texttemplate: '%{text}', textfont: { size: 11 },
    colorbar: { thickness: 10, outlinewidth: 0, tickfont: { size: 10 } },
    hovertemplate: `%{y} · %{x}<br>${label} %{z:.3f}<extra></extra>`,
  }];
}

/** The first enabled steering slot's layer when its vector is in the list; else the newest vector's best-separated layer. */
function defaultLayer(fit: LabState['vectors'], slots: LabState['slots']): number | undefined {
  const slot = slots.find((s) => s.enabled && fit.some((v) => v.id === s.vectorId));
  if (slot) return slot.layer;
  const newest = [...fit].sort((a, b) => b.createdAt - a.createdAt)[0];
  return newest ? bestLayer(newest) : undefined;
}

/**
 * A value computed in the compute worker (vectors/compute.ts via actions.getCompute): null while it is on its
 * way, so the page never waits on the maths. `key` names the inputs; an answer for older inputs is dropped.
 */
function useComputed<T>(key: string, work: () => Promise<T> | null): { value: T | null; error: string | null } {
  const [state, setState] = useState<{ key: string; value: T | null; error: string | null }>({ key: '', value: null, error: null });
  useEffect(() => {
    let live = true;
    const p = work();
    if (!p) setState({ key, value: null, error: null });
    else p.then((value) => { if (live) setState({ key, value, error: null }); }, (e: unknown) => { if (live) setState({ key, value: null, error: toErrorData(e).message }); });
    return () => { live = false; };
  }, [key]); // `key` names everything `work` reads
  return state.key === key ? state : { value: null, error: null };
}

export function GeometryView() {
  const { vectors, info, slots } = useLab();
  const g = useViews((s) => s.geometry);
  // Only vectors of one hidden size can be compared: the loaded model's, or the most common one.
  const D = info?.hiddenSize ?? vectors[0]?.set.meta.hiddenSize;
  const fit = vectors.filter((v) => v.set.meta.hiddenSize === D);
  const allLayers = [...new Set(fit.flatMap((v) => presentLayers(v.set.meta)))].sort((a, b) => a - b);
  // Until the user picks one: the layer the vector being steered with sits at, else the newest vector's best layer.
  const layer = allLayers.includes(g.layer) ? g.layer : defaultLayer(fit, slots) ?? allLayers[Math.floor(allLayers.length / 2)] ?? -1;
  const atLayer = fit.filter((v) => presentLayers(v.set.meta).includes(layer));
  const one = fit.find((v) => v.id === g.vectorId) ?? fit.find((v) => v.id === slots.find((s) => s.enabled)?.vectorId) ?? fit[0];

  // Names may repeat (two "evil" vectors); plotly categories must be unique, so number the repeats.
  const names = (list: typeof fit) => list.map((v, i) => (list.findIndex((w) => w.name === v.name) === i ? clip(v.name, 24) : `${clip(v.name, 20)} #${i + 1}`));
  const betweenM = useComputed(`${atLayer.map((v) => v.id).join(',')}@${layer}`, () =>
    (atLayer.length < 1 ? null : getCompute().cosineMatrix(atLayer.map((v) => row(v.set.vectors, v.set.meta.hiddenSize, layer)))));
  const acrossM = useComputed(one?.id ?? '', () => (one ? getCompute().layerCosineMatrix(one.set.vectors, one.set.meta.hiddenSize) : null));
  const between = betweenM.value && (() => {
    const n = names(atLayer);
    return { data: heatmap(betweenM.value, n, n, 'cos'), m: betweenM.value };
  })();
  const across = acrossM.value && one && (() => {
    const ls = presentLayers(one.set.meta);
    const m = ls.map((a) => ls.map((b) => acrossM.value![a][b]));
    const n = ls.map((l) => `L${l}`);
    return { data: heatmap(m, n, n, 'cos'), m };
  })();
  const computeError = betweenM.error ?? acrossM.error;
  const size = (n: number) => Math.min(560, 150 + 64 * n);
  const layout = (title: string) => chartTheme({ margin: { l: 110, r: 12, t: 8, b: 90 }, xaxis: { tickangle: -30, title: { text: '' } }, yaxis: { autorange: 'reversed', title: { text: title } } });
  // The statement names the layer and vector this view resolved above, not the raw setting.
  const statement = <ViewStatement tab="geometry" override={{ layer: layer >= 0 ? `L${layer}` : 'none', vector: one?.name ?? 'none' }} />;
  if (!fit.length) return <>{statement}<Panel title="Geometry"><Empty>Save at least one vector (quick contrast, trait pipeline, detection or import) to see cosine geometry.</Empty></Panel></>;
  return (
    <>
      {statement}
      <Panel title="Cosine similarity between vectors" right={<span className="muted small mono">{atLayer.length} {atLayer.length === 1 ? 'vector' : 'vectors'} at L{layer} · d={D}</span>} className="geometry-between">
        <div className="form-grid">
          <Field label="Layer">
            <select value={layer} aria-label="Geometry layer" onChange={(e) => patchView('geometry', { layer: Number(e.target.value) })}>
              {allLayers.map((l) => <option key={l} value={l}>L{l}</option>)}
            </select>
          </Field>
        </div>
        {computeError && <Empty>Could not compute the cosines: {computeError}</Empty>}
        {between ? <div className="square" style={{ maxWidth: size(atLayer.length) + 150 }}><Chart data={between.data} layout={layout('')} height={size(atLayer.length)} label="Cosine similarity between vectors" /></div>
          : atLayer.length < 1 ? <Empty>No vector has this layer.</Empty> : <p className="muted small">Computing…</p>}
        <p className="muted small">Diff-of-means vectors of unrelated traits often share a large common component; compare the off-diagonal cells with each other rather than with 0.</p>
      </Panel>
      <Panel title="Across layers" right={<span className="muted small mono">{one?.name}</span>} className="geometry-across">
        <div className="form-grid">
          <Field label="Vector">
            <select value={one?.id ?? ''} aria-label="Geometry vector" onChange={(e) => patchView('geometry', { vectorId: e.target.value })}>
              {fit.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}
            </select>
          </Field>
        </div>
        {across && <div className="square" style={{ maxWidth: size(across.m.length) + 150 }}><Chart data={across.data} layout={layout('')} height={size(across.m.length)} label="Cosine similarity across layers" /></div>}
      </Panel>
    </>
  );
}
