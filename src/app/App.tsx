import { useEffect, useState } from 'react';
import { warmCharts } from './components/Chart';
import { makeShareLink } from './actions';
import { ContrastPanel } from './components/ContrastPanel';
import { RunHistory, VectorLibrary } from './components/LibraryPanel';
import { ModelPanel } from './components/ModelPanel';
import { OutputPanel } from './components/OutputPanel';
import { PromptPanel } from './components/PromptPanel';
import { SteeringPanel } from './components/SteeringPanel';
import { useLab } from './store';
import { ErrorList } from './components/ErrorList';
import { ExperimentHistory, ExperimentView, useViews, ViewTabs } from './views';

export function App() {
  const tab = useViews((s) => s.tab);
  const steer = tab === 'steer';
  useEffect(warmCharts, []);
  return (
    <div className="app">
      <Header />
      <ErrorList />
      <ViewTabs />
      <main className="layout">
        <aside className="side">
          <ModelPanel />
          {steer && <ContrastPanel />}
          <VectorLibrary />
          {steer ? <RunHistory /> : <ExperimentHistory />}
        </aside>
        {steer ? (
          <div className="main">
            <SteeringPanel />
            <PromptPanel />
            <OutputPanel />
          </div>
        ) : <div className="main"><ExperimentView tab={tab} /></div>}
      </main>
    </div>
  );
}

function Header() {
  const { info, modelId, modelStatus } = useLab();
  const [note, setNote] = useState<{ text: string; link?: string } | null>(null);
  const share = async () => {
    const link = makeShareLink();
    if (!link) return setNote(null);
    const size = `${(link.length / 1024).toFixed(1)} KB`;
    try {
      await navigator.clipboard.writeText(link);
      setNote({ text: `Link copied (${size})` });
    } catch {
      // No clipboard (permission or insecure context): show the link to copy by hand.
      setNote({ text: `Copy this link (${size}):`, link });
    }
  };
  return (
    <header className="top">
      <div className="brand"><span className="logo" aria-hidden>◈</span> Steering Lab</div>
      <div className="top-status">
        {modelStatus === 'ready' && info ? (
          <>
            <span className="chip ok mono">{modelId ?? info.id}</span>
            <span className="chip mono" title={info.deviceReason}>{info.device} · {info.dtype}</span>
          </>
        ) : <span className="chip">{modelStatus === 'loading' ? `loading ${modelId ?? ''}` : 'no model loaded'}</span>}
      </div>
      <div className="top-actions">
        {note && <span className="small share-note">{note.text}{note.link && <input readOnly value={note.link} onFocus={(e) => e.target.select()} aria-label="Share link" />}</span>}
        <button className="ghost" onClick={() => void share()}>Share link</button>
      </div>
    </header>
  );
}

