/** The experiment views: tab bar, the view for the active tab, and the run history. */
import { useEffect } from 'react';
import { Panel } from '../components/ui';
import { QueueIndicator } from '../components/QueueIndicator';
import { DetectionView } from './DetectionView';
import { GeometryView } from './GeometryView';
import type { ExperimentKind } from './idbStore';
import { openExperiment, refreshViewsData, removeExperiment } from './jobs';
import { when } from './logic';
import { MonitorView } from './MonitorView';
import { PipelineView } from './PipelineView';
import { Seed002View } from './Seed002View';
import { SweepView } from './SweepView';
import { setViews, TABS, useViews, type Tab } from './viewStore';
import { ViewStatement } from './ViewStatement';
import './views.css';

export { useViews } from './viewStore';
export type { Tab } from './viewStore';

export function ViewTabs() {
  const tab = useViews((s) => s.tab);
  const jobs = useViews((s) => s.jobs);
  useEffect(() => { void refreshViewsData(); }, []);
  return (
    <nav className="tabs" role="tablist" aria-label="Views">
      {TABS.map((t) => (
        <button key={t.key} role="tab" aria-selected={tab === t.key} className={tab === t.key ? 'on' : ''} title={t.title} data-tab={t.key} onClick={() => setViews({ tab: t.key })}>
          {t.label}
          {jobs.some((job) => job.kind === t.key || (job.kind === 'ablation' && t.key === 'detection')) && <span className="tab-dot" aria-label="has a job" />}
        </button>
      ))}
      <QueueIndicator />
    </nav>
  );
}

export function ExperimentView({ tab }: { tab: Tab }) {
  return (
    <div className="view" data-view={tab}>
      {/* Geometry states its own line: it resolves its layer and vector itself. */}
      {tab !== 'geometry' && <ViewStatement tab={tab} />}
      {tab === 'pipeline' && <PipelineView />}
      {tab === 'sweep' && <SweepView />}
      {tab === 'monitor' && <MonitorView />}
      {tab === 'geometry' && <GeometryView />}
      {tab === 'detection' && <DetectionView />}
      {tab === 'seed002' && <Seed002View />}
    </div>
  );
}

const KIND_LABEL: Record<ExperimentKind, string> = { pipeline: 'pipeline', sweep: 'sweep', monitor: 'projections', detection: 'detection', seed002: 'seed 002' };

export function ExperimentHistory() {
  const history = useViews((s) => s.history);
  return (
    <Panel title="Run history" right={<span className="muted small mono">{history.length}</span>} className="history">
      {!history.length && <p className="muted small">Finished experiments are kept here (in this browser) and reopen with a click.</p>}
      <ul className="list">
        {history.slice(0, 20).map((r) => (
          <li key={r.id} className="clickable" onClick={() => openExperiment(r)} title="Open this result">
            <span className={`kind kind-${r.kind}`}>{KIND_LABEL[r.kind]}</span>
            <div className="list-main">
              <span className="list-title">{r.title}</span>
              <span className="muted small mono">{when(r.createdAt)} · {r.summary}</span>
            </div>
            <button className="ghost small danger" aria-label={`Delete ${r.title}`} onClick={(e) => { e.stopPropagation(); void removeExperiment(r.id); }}>✕</button>
          </li>
        ))}
      </ul>
    </Panel>
  );
}
