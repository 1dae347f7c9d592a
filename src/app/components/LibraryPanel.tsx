import { useRef, useState } from 'react';
import { CONVENTION_TEXT } from '../../engine/clients/io/foreign';
import { presentLayers } from '../../engine/clients/vectors/meta';
import { addSlot, answerImport, exportVector, exportVectorGguf, importFile, removeVector, restoreRun } from '../actions';
import { fmtStrength } from '../residualNorms';
import { setLab, useLab } from '../store';
import { describeRunSteering } from '../slotKinds';
import { ErrorList } from './ErrorList';
import { Panel } from './ui';

function download(name: string, data: string | Uint8Array) {
  const blob = typeof data === 'string' ? new Blob([data], { type: 'application/json' }) : new Blob([data as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A foreign vector file the importer will not guess about: ask for its layer, or what its indices mean. */
function ImportQuestionBox() {
  const q = useLab((s) => s.importQuestion);
  const numLayers = useLab((s) => s.info?.numLayers);
  const [layer, setLayer] = useState(0);
  if (!q) return null;
  return (
    <div className="import-question" role="group" aria-label="Import question">
      <p className="small">{q.message}</p>
      {q.need === 'layer' ? (
        <div className="row">
          <label className="small">Layer <input type="number" min={0} max={numLayers !== undefined ? numLayers - 1 : undefined} value={layer}
            onChange={(e) => setLayer(Number(e.target.value))} aria-label="Layer of the imported vector" /></label>
          <button className="small" onClick={() => void answerImport({ layer })}>Import on layer {layer}</button>
          <button className="ghost small" onClick={() => void answerImport(null)}>Cancel</button>
        </div>
      ) : (
        <div className="row">
          <button className="small" onClick={() => void answerImport({ convention: 'layers' })} title={CONVENTION_TEXT.layers}>N = model.layers[N]</button>
          <button className="small" onClick={() => void answerImport({ convention: 'hidden-states' })} title={CONVENTION_TEXT['hidden-states']}>N = hidden_states[N]</button>
          <button className="ghost small" onClick={() => void answerImport(null)}>Cancel</button>
        </div>
      )}
    </div>
  );
}

export function VectorLibrary() {
  const { vectors, info, slots, importNote } = useLab();
  const file = useRef<HTMLInputElement>(null);
  return (
    <Panel title="Vectors" right={<button className="ghost small" onClick={() => file.current?.click()} title="A vector (Steering Lab JSON, safetensors, llama.cpp GGUF, PyTorch .pt) or a trait pack (JSON)">Import…</button>}>
      <input ref={file} type="file" accept=".json,.safetensors,.gguf,.pt,.pth,application/json" hidden aria-label="Import a vector or trait pack"
        onChange={(e) => { const f = e.target.files?.[0]; if (f) void importFile(f); e.target.value = ''; }} />
      <ImportQuestionBox />
      {importNote && (
        <p className="muted small import-note">{importNote} <button className="ghost small" onClick={() => setLab({ importNote: null })} aria-label="Dismiss import note">✕</button></p>
      )}
      {vectors.length === 0 && <p className="muted small">No vectors yet. Build one above, import a vector or trait pack file, or open a share link.</p>}
      <ul className="list">
        {vectors.map((v) => {
          const fits = !info || v.set.meta.hiddenSize === info.hiddenSize;
          const layers = presentLayers(v.set.meta);
          const inUse = slots.some((s) => s.vectorId === v.id);
          return (
            <li key={v.id} className={fits ? '' : 'dim'}>
              <div className="list-main">
                <span className="list-title">{v.name}</span>
                <span className="muted small mono">{v.source} · d={v.set.meta.hiddenSize} · {layers.length === 1 ? `L${layers[0]}` : `${layers.length} layers`} · {v.set.meta.modelId.split('/').pop()}</span>
                {!fits && <span className="warn small">hidden size differs from the loaded model</span>}
              </div>
              <div className="list-actions">
                <button className="ghost small" disabled={!fits || inUse} onClick={() => addSlot(v.id)} title="Add a steering slot with this vector">{inUse ? 'in use' : 'Steer'}</button>
                <button className="ghost small" onClick={() => { const r = exportVector(v.id); if (r) download(r.name, r.text); }} title="Download as JSON">Export</button>
                <button className="ghost small" onClick={() => { const r = exportVectorGguf(v.id); if (r) download(r.name, r.bytes); }} title="Download as a llama.cpp control vector (layer 0 cannot be stored)">GGUF</button>
                <button className="ghost small danger" onClick={() => void removeVector(v.id)} aria-label={`Delete ${v.name}`}>✕</button>
              </div>
            </li>
          );
        })}
      </ul>
    </Panel>
  );
}

export function RunHistory() {
  const runs = useLab((s) => s.runs);
  if (!runs.length) return null;
  return (
    <Panel title="Recent runs">
      <ErrorList where="Run history" />
      <ul className="list">
        {runs.slice(0, 8).map((r) => (
          <li key={r.id} className="clickable" onClick={() => restoreRun(r)} title="Restore this run's prompt, steering and output">
            <div className="list-main">
              <span className="list-title">{r.prompt.slice(0, 60) || '(empty prompt)'}</span>
              <span className="muted small mono">
                {new Date(r.createdAt).toLocaleTimeString()} · {r.steering.length ? r.steering.map((s, k) => (
                  <span key={k} title={s.basis}>{k ? ', ' : ''}{describeRunSteering(s)}{s.strength !== undefined && <span className="run-strength"> (= {fmtStrength(s.strength)} × |h|)</span>}</span>
                )) : 'no steering'}
              </span>
            </div>
          </li>
        ))}
      </ul>
    </Panel>
  );
}
