import { useRef, useState, type DragEvent } from 'react';
import type { DevicePreference, ModelDtype } from '../../engine/shared/api';
import { loadModel } from '../actions';
import { bytes } from '../format';
import { fromDirectoryPicker, fromDrop, fromFileList, hasDirectoryPicker, type LocalFolder } from '../localFolder';
import { DTYPES, isValidHubId, PRESETS, type ModelChoice } from '../presets';
import { pushError, setLab, useLab } from '../store';
import { ErrorList } from './ErrorList';
import { MemoryFacts, ModelBSection } from './ModelBPanel';
import { Bar, Field, Panel } from './ui';

const choiceValue = (c: ModelChoice) => (c.kind === 'preset' ? `preset:${c.key}` : c.kind);

export function ModelPanel() {
  const { choice, dtype, device, local, modelStatus } = useLab();
  const [hubId, setHubId] = useState(choice.kind === 'hub' ? choice.id : '');
  const loading = modelStatus === 'loading';

  const pick = (v: string) => {
    if (v.startsWith('preset:')) {
      const p = PRESETS.find((x) => x.key === v.slice(7))!;
      setLab({ choice: { kind: 'preset', key: p.key }, dtype: p.dtype });
    } else if (v === 'hub') setLab({ choice: { kind: 'hub', id: hubId } });
    else if (v === 'tiny') setLab({ choice: { kind: 'tiny' }, dtype: 'fp32' });
    else if (v === 'demo' || v === 'demo-decomposed') setLab({ choice: { kind: v }, dtype: 'q4' });
    else setLab({ choice: { kind: 'local' }, dtype: local?.dtypes[0] ?? dtype });
  };
  const preset = choice.kind === 'preset' ? PRESETS.find((p) => p.key === choice.key) : undefined;
  const canLoad = !loading && (choice.kind !== 'hub' || isValidHubId(choice.id)) && (choice.kind !== 'local' || !!local);

  return (
    <Panel title="Model" right={<ModelBadge />}>
      <ErrorList where="Model" />
      <Field label="Source">
        <select value={choiceValue(choice)} onChange={(e) => pick(e.target.value)} aria-label="Model">
          <optgroup label="Built in (offline)">
            <option value="demo">Demo model (trained)</option>
            <option value="demo-decomposed">Demo model (trained), decomposed graph</option>
          </optgroup>
          <optgroup label="Hugging Face hub">
            {PRESETS.map((p) => <option key={p.key} value={`preset:${p.key}`}>{p.label}</option>)}
            <option value="hub">Any hub id…</option>
          </optgroup>
          <optgroup label="Other">
            <option value="local">Local folder…</option>
            <option value="tiny">Tiny test model (random weights)</option>
          </optgroup>
        </select>
      </Field>
      {preset && <p className="muted small mono">{preset.hubId} · {preset.note}</p>}
      {choice.kind === 'hub' && (
        <Field label="Hub id" hint={choice.id && !isValidHubId(choice.id) ? 'expected org/name' : undefined}>
          <input value={hubId} placeholder="onnx-community/…" spellCheck={false}
            onChange={(e) => { setHubId(e.target.value); setLab({ choice: { kind: 'hub', id: e.target.value } }); }} />
        </Field>
      )}
      {choice.kind === 'local' && <FolderDrop folder={local} />}
      {(choice.kind === 'demo' || choice.kind === 'demo-decomposed') && (
        <p className="muted small">
          Served by this app from <span className="mono">/models/{choice.kind}/</span>. A 1M-parameter Llama trained here
          (scripts/demo-model) to answer in one of three registers chosen by the system prompt: scripture, fortune-cookie
          quip, or plain. Build a <em>scripture</em> vector and steer the plain answer towards it.
        </p>
      )}
      {choice.kind === 'tiny' && <p className="muted small">Served by this app from <span className="mono">/models/tiny-test/</span>. Random weights: the text is gibberish, the plumbing is real.</p>}
      <div className="row">
        <Field label="Weights">
          <select value={dtype} onChange={(e) => setLab({ dtype: e.target.value as ModelDtype })} aria-label="Weights dtype">
            {(choice.kind === 'local' && local?.dtypes.length ? local.dtypes : DTYPES).map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </Field>
        <Field label="Device">
          <select value={device} onChange={(e) => setLab({ device: e.target.value as DevicePreference })} aria-label="Device">
            <option value="auto">auto</option><option value="webgpu">WebGPU</option><option value="wasm">WASM (CPU)</option>
          </select>
        </Field>
      </div>
      <button className="primary wide" disabled={!canLoad} onClick={() => void loadModel()}>{loading ? 'Loading…' : 'Load model'}</button>
      <LoadProgress />
      <ModelFacts />
      <ModelBSection />
    </Panel>
  );
}

function ModelBadge() {
  const { modelStatus, info } = useLab();
  if (modelStatus === 'ready' && info) return <span className="chip ok">{info.device === 'webgpu' ? 'WebGPU' : 'WASM'}</span>;
  if (modelStatus === 'loading') return <span className="chip busy">loading</span>;
  if (modelStatus === 'error') return <span className="chip err">failed</span>;
  return <span className="chip">no model</span>;
}

function LoadProgress() {
  const { progress, modelStatus } = useLab();
  const stages = Object.values(progress);
  if (!stages.length || modelStatus === 'ready') return null;
  return (
    <div className="progress-list" aria-live="polite">
      {stages.map((p) => {
        const isBytes = p.total > 4096;
        return (
          <div key={p.stage} className="progress-item">
            <div className="progress-line">
              <span>{p.stage}{p.detail ? <span className="muted"> · {p.detail}</span> : null}</span>
              <span className="mono muted">
                {p.done ? 'done' : isBytes ? `${bytes(p.loaded)} / ${bytes(p.total)}${p.bytesPerSec > 0 ? ` · ${bytes(p.bytesPerSec)}/s` : ''}` : p.total > 0 ? `${p.loaded}/${p.total}` : ''}
              </span>
            </div>
            <Bar label={p.stage} value={p.done ? 1 : p.loaded} total={p.done ? 1 : p.total} />
          </div>
        );
      })}
    </div>
  );
}

function ModelFacts() {
  const { info, modelId } = useLab();
  if (!info) return null;
  return (
    <div className="facts">
      <dl>
        <dt>model</dt><dd className="mono" title={modelId ?? info.id}>{modelId ?? info.id}</dd>
        <dt>arch</dt><dd className="mono">{info.architecture} · {info.layout}</dd>
        <dt>shape</dt><dd className="mono">{info.numLayers} layers × {info.hiddenSize}</dd>
        <dt>weights</dt><dd className="mono">{info.dtype} · body {info.bodyDtype}</dd>
        <dt>device</dt><dd className="mono">{info.device}</dd>
        <MemoryFacts m={info.memory} label="model-a" />
      </dl>
      <p className="muted small">{info.deviceReason}</p>
    </div>
  );
}

function FolderDrop({ folder }: { folder: LocalFolder | null }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const accept = (f: LocalFolder | null) => {
    if (!f) return pushError('Model', { code: 'bad-input', message: 'Drop a folder (not single files).' });
    if (!f.dtypes.length) pushError('Model', { code: 'load-failed', message: `No onnx/model*.onnx found in "${f.name}".` });
    setLab((s) => ({ local: f, dtype: f.dtypes.includes(s.dtype) ? s.dtype : f.dtypes[0] ?? s.dtype }));
  };
  const onDrop = (e: DragEvent) => { e.preventDefault(); setOver(false); fromDrop(e.dataTransfer).then(accept, (x) => pushError('Model', { code: 'load-failed', message: String(x) })); };
  const browse = () => {
    if (hasDirectoryPicker()) fromDirectoryPicker().then(accept, (x: unknown) => { if ((x as Error)?.name !== 'AbortError') pushError('Model', { code: 'load-failed', message: String(x) }); });
    else input.current?.click();
  };
  return (
    <div className={`drop ${over ? 'over' : ''}`} onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={onDrop}>
      {folder ? <p><span className="mono">{folder.name}</span> · {folder.files.length} files · {folder.dtypes.join(', ') || 'no model files'}</p> : <p className="muted">Drop a model folder in hub layout here</p>}
      <button type="button" className="ghost" onClick={browse}>Choose folder…</button>
      <input ref={input} type="file" hidden {...{ webkitdirectory: '' }} onChange={(e) => e.target.files?.length && accept(fromFileList(e.target.files))} />
    </div>
  );
}
