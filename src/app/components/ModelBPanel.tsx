/**
 * The model panel's second half: model B (a second full checkpoint in its own worker, src/app/modelB.ts) with
 * its load / unload buttons and facts, and the memory figures both models show (ModelMemory: what each number is).
 */
import type { ModelDtype, ModelMemory } from '../../engine/shared/api';
import { bytes } from '../format';
import { loadModelB, setModelB, unloadModelB, useModelB, type ModelBChoice } from '../modelB';
import { isValidHubId } from '../presets';
import { useLab } from '../store';
import { ErrorList } from './ErrorList';
import { Field } from './ui';

const B_DTYPES: ModelDtype[] = ['fp32', 'q4', 'fp16', 'q4f16'];

/** Memory rows for a facts list: file bytes, and the runtime's own figures where it has them. */
export function MemoryFacts({ m, label }: { m: ModelMemory | undefined; label: string }) {
  if (!m) return null;
  const runtime = m.gpuBufferBytes !== null
    ? `GPU buffers ${bytes(m.gpuBufferBytes)}${m.wasmHeapBytes !== null ? ` · wasm heap ${bytes(m.wasmHeapBytes)}` : ''}`
    : m.wasmHeapBytes !== null ? `wasm heap ${bytes(m.wasmHeapBytes)}` : 'not measurable here';
  return (
    <>
      <dt>files</dt><dd className="mono" data-testid={`${label}-file-bytes`} data-bytes={m.fileBytes}>{bytes(m.fileBytes)}</dd>
      <dt>runtime</dt>
      <dd className="mono" data-testid={`${label}-runtime-bytes`} data-bytes={m.gpuBufferBytes ?? m.wasmHeapBytes ?? ''}
        title="Measured when the load finished, in this model's own worker: onnxruntime's wasm linear memory (weights on wasm, activations, KV cache; it only grows) and the WebGPU buffers alive.">
        {runtime}
      </dd>
    </>
  );
}

export function ModelBSection() {
  const b = useModelB();
  const aReady = useLab((s) => s.modelStatus === 'ready');
  const loading = b.status === 'loading';
  const canLoad = aReady && !loading && (b.choice !== 'hub' || isValidHubId(b.hubId));
  return (
    <section className="model-b" aria-label="Model B">
      <h3 className="small">Model B <span className="muted">(a second checkpoint, own worker)</span></h3>
      <ErrorList where="Model B" />
      <div className="row">
        <Field label="Model B source">
          <select value={b.choice} aria-label="Model B" onChange={(e) => setModelB({ choice: e.target.value as ModelBChoice })}>
            <option value="demo-organism-merged">Demo organism, merged (built in)</option>
            <option value="demo">Demo model (built in)</option>
            <option value="tiny">Tiny test model (random weights)</option>
            <option value="hub">Hub id…</option>
          </select>
        </Field>
        <Field label="Model B weights">
          <select value={b.dtype} aria-label="Model B dtype" onChange={(e) => setModelB({ dtype: e.target.value as ModelDtype })}>
            {B_DTYPES.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </Field>
      </div>
      {b.choice === 'hub' && (
        <Field label="Model B hub id"><input value={b.hubId} placeholder="org/fine-tuned-model" spellCheck={false} aria-label="Model B hub id" onChange={(e) => setModelB({ hubId: e.target.value })} /></Field>
      )}
      <div className="row">
        <button className="wide" disabled={!canLoad} onClick={() => void loadModelB()}>{loading ? 'Loading B…' : 'Load model B'}</button>
        <button className="ghost" disabled={b.status === 'idle'} onClick={unloadModelB}>Unload B</button>
      </div>
      {!aReady && <p className="muted small">Load model A first: B is checked against it (layers, hidden size, vocabulary, tokenizer).</p>}
      {b.info && (
        <div className="facts" data-testid="model-b-facts">
          <dl>
            <dt>model</dt><dd className="mono" title={b.modelId ?? b.info.id}>{b.modelId ?? b.info.id}</dd>
            <dt>shape</dt><dd className="mono">{b.info.numLayers} layers × {b.info.hiddenSize}</dd>
            <dt>weights</dt><dd className="mono">{b.info.dtype} · {b.info.device}</dd>
            <MemoryFacts m={b.info.memory} label="model-b" />
          </dl>
        </div>
      )}
    </section>
  );
}
