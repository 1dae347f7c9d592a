import { useMemo, useRef } from 'react';
import { addPersonaEvalFile, buildContrast, cancelContrast } from '../actions';
import { num } from '../format';
import { splitPrompts } from '../quickContrast';
import { setLab, updateSlot, useLab } from '../store';
import { Chart, chartTheme } from './Chart';
import { ErrorList } from './ErrorList';
import { Bar, Field, Panel } from './ui';

/** Which questions build the vector and which score it, said plainly; a single persona_vectors file can take its eval file. */
function PackSplit() {
  const { traitPack, traitPackSplit } = useLab();
  const file = useRef<HTMLInputElement>(null);
  if (!traitPack) return null;
  const nx = traitPack.extractionQuestions.length, ne = traitPack.evaluationQuestions.length;
  return (
    <p className="muted small pack-split">
      {traitPackSplit === 'pair' && `persona_vectors extract + eval files: the ${nx} extract questions build the vector, the ${ne} eval questions score it.`}
      {traitPackSplit === 'own' && `${nx} extraction questions build the vector, ${ne} evaluation questions score it.`}
      {traitPackSplit === 'halves' && <>
        One persona_vectors file: its questions are split in halves, the first {nx} build the vector and the other {ne} score it.
        To use upstream's split, add the trait_data_eval file of this trait.{' '}
        <button className="ghost small" onClick={() => file.current?.click()}>Add eval file…</button>
        <input ref={file} type="file" accept=".json,application/json" hidden aria-label="Add the persona_vectors eval file"
          onChange={(e) => { const f = e.target.files?.[0]; if (f) void addPersonaEvalFile(f); e.target.value = ''; }} />
      </>}
    </p>
  );
}

export function ContrastPanel() {
  const { contrastPos, contrastNeg, traitName, traitPack, contrastStatus, contrastDone, contrastTotal, info } = useLab();
  const running = contrastStatus === 'running';
  const nPos = splitPrompts(contrastPos).length, nNeg = splitPrompts(contrastNeg).length;
  return (
    <Panel title="Quick contrast" right={<span className="muted small mono">diff of means · resid_post</span>}>
      <ErrorList where="Contrast" />
      {traitPack && (
        // Pack strings come from a file: rendered as text only.
        <div className="pack">
          <div className="pack-head">
            <span className="muted small">Trait pack</span>
            <strong className="pack-name">{traitPack.name}</strong>
            <button className="ghost small" onClick={() => setLab({ traitPack: null, traitPackSplit: null, traitPackPersona: null })} aria-label="Dismiss trait pack">✕</button>
          </div>
          {traitPack.description && <p className="small pack-desc">{traitPack.description}</p>}
          <p className="muted small mono">{traitPack.instructions.length} instruction pairs · {traitPack.extractionQuestions.length + traitPack.evaluationQuestions.length} questions · instructions loaded below</p>
          <PackSplit />
        </div>
      )}
      <Field label="Trait name">
        <input value={traitName} maxLength={80} onChange={(e) => setLab({ traitName: e.target.value })} />
      </Field>
      <div className="row">
        <Field label="Positive" hint={`${nPos} prompts`}>
          <textarea rows={5} value={contrastPos} onChange={(e) => setLab({ contrastPos: e.target.value })} aria-label="Positive prompts, one per line" />
        </Field>
        <Field label="Negative" hint={`${nNeg} prompts`}>
          <textarea rows={5} value={contrastNeg} onChange={(e) => setLab({ contrastNeg: e.target.value })} aria-label="Negative prompts, one per line" />
        </Field>
      </div>
      <p className="muted small">One prompt per line. Each prompt's residual stream is averaged over its tokens at every layer.</p>
      {running ? (
        <div className="row center">
          <div className="grow"><Bar label="Collecting activations" value={contrastDone} total={contrastTotal} /></div>
          <span className="mono small">{contrastDone}/{contrastTotal}</span>
          <button className="ghost" onClick={cancelContrast}>Cancel</button>
        </div>
      ) : (
        <button className="primary wide" disabled={!info || nPos < 2 || nNeg < 2} onClick={() => void buildContrast()}>
          {info ? 'Build vector' : 'Load a model to build vectors'}
        </button>
      )}
      <SeparationChart />
    </Panel>
  );
}

/**
 * Says so when separation is negative: at the steered layer (held-out positive prompts land on the negative
 * side, so the vector is unreliable there), or on every layer (no layer separates the two sets at all).
 */
function SeparationWarning({ sep, layer }: { sep: number[]; layer?: number }) {
  const negative = sep.map((d, l) => [d, l] as const).filter(([d]) => d < 0).map(([, l]) => l);
  if (!negative.length) return null;
  const all = negative.length === sep.length;
  const here = layer !== undefined && sep[layer] < 0;
  return (
    <p className="warn small negative-sep" role="status">
      {all ? `Negative separation on every layer (best d = ${num(Math.max(...sep))}): no layer separates the two sets on held-out prompts, so this vector is not a reliable direction for the trait. Try more or clearer prompts on each side.`
        : here ? `Negative separation at the steered layer L${layer} (d = ${num(sep[layer!])}): held-out positive prompts land on the negative side there. Pick a layer with positive d.`
          : `Negative separation at ${negative.map((l) => `L${l}`).join(', ')} (red bars): the direction does not hold for held-out prompts there.`}
    </p>
  );
}

/** Separation per layer of the last built vector; click a bar to steer at that layer. */
function SeparationChart() {
  const { contrastVectorId, vectors, slots } = useLab();
  const rec = vectors.find((v) => v.id === contrastVectorId);
  const slot = slots.find((s) => s.vectorId === contrastVectorId);
  const sep = rec?.separation;
  const data = useMemo(() => {
    if (!sep) return [];
    const y = sep.map((s) => (Number.isFinite(s) ? s : 0));
    return [{
      type: 'bar', x: y.map((_, i) => i), y,
      // Negative separation (the sides swapped on held-out prompts) in red, so it cannot pass for a small positive bar.
      marker: { color: y.map((d, i) => (i === slot?.layer ? '#f5a524' : d < 0 ? '#f85149' : '#3b4a63')) },
      hovertemplate: 'layer %{x}<br>d = %{y:.2f}<extra></extra>',
    }];
  }, [sep, slot?.layer]);
  const layout = useMemo(() => chartTheme({ xaxis: { title: { text: 'layer' }, dtick: sep && sep.length > 20 ? 4 : 1 }, yaxis: { title: { text: 'd (leave-one-out)' } }, bargap: 0.15 }), [sep]);
  if (!rec || !sep) return null;
  return (
    <div className="sep">
      <div className="progress-line small">
        <span title="Leave-one-out Cohen's d along each layer's vector. Click a bar to steer there.">Separation by layer</span>
        {slot && <span className="mono">L{slot.layer} · d={num(sep[slot.layer])}</span>}
      </div>
      <SeparationWarning sep={sep} layer={slot?.layer} />
      <Chart data={data} layout={layout} height={150} label="Separation by layer" onClickX={(x) => slot && updateSlot(slot.key, { layer: x })} />
    </div>
  );
}
