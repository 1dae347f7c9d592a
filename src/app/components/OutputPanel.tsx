import { useMemo } from 'react';
import { waitingFor } from '../../engine/scheduler';
import { num } from '../format';
import { useLab } from '../store';
import { Chart, chartTheme } from './Chart';
import { ErrorList } from './ErrorList';
import { Panel } from './ui';

export const BASE_COLOR = '#6ea8fe';
export const STEER_COLOR = '#f5a524';

function statusText(status: string, tps: number, waiting: string | null): string {
  if (status === 'running' && waiting) return `waiting for ${waiting}`;
  if (status === 'running') return `generating · ${num(tps, 1)} tok/s`;
  if (status === 'done') return `done · ${num(tps, 1)} tok/s`;
  return status === 'idle' ? '' : status;
}

export function OutputPanel() {
  const { texts, runStatus, tokensPerSec, slots, vectors, schedule } = useLab();
  // The Steer view's call is queued behind another owner's (a job's call, a model load): say whose.
  const waiting = runStatus === 'running' ? waitingFor(schedule, 'Steer') : null;
  const first = slots.find((s) => s.enabled);
  const steerLabel = first ? `${vectors.find((v) => v.id === first.vectorId)?.name ?? '?'} @ L${first.layer} × ${first.coeff >= 0 ? '+' : ''}${first.coeff.toFixed(2)}` : 'no steering';
  const running = runStatus === 'running';
  return (
    <Panel title="Output" right={<span className={`muted small mono ${running ? 'pulse' : ''}`}>{statusText(runStatus, tokensPerSec, waiting)}</span>} className="output">
      <ErrorList where="Generate" />
      <div className="columns">
        <Column title="Baseline" color={BASE_COLOR} sub="same seed, no intervention" text={texts[0]} running={running} />
        <Column title="Steered" color={STEER_COLOR} sub={steerLabel} text={texts[1]} running={running} />
      </div>
      <ProjectionChart />
    </Panel>
  );
}

function Column({ title, sub, color, text, running }: { title: string; sub: string; color: string; text: string; running: boolean }) {
  return (
    <article className="column" style={{ borderTopColor: color }}>
      <header><strong style={{ color }}>{title}</strong><span className="muted small mono">{sub}</span></header>
      {/* Model output and anything from a share link are rendered as text, never as HTML. */}
      <div className="gen" aria-live="polite">{text || <span className="muted">{running ? '' : 'Press Generate to see the model respond.'}</span>}{running && <span className="caret" />}</div>
    </article>
  );
}

function ProjectionChart() {
  const { projections, hasMonitor, slots } = useLab();
  const layer = slots.find((s) => s.enabled)?.layer;
  const data = useMemo(() => projections.map((p, row) => ({
    type: 'scatter', mode: 'lines+markers', name: row ? 'steered' : 'baseline', x: p.map((_, i) => i), y: p,
    line: { color: row ? STEER_COLOR : BASE_COLOR, width: 2 }, marker: { size: 4 },
    hovertemplate: `${row ? 'steered' : 'baseline'} · token %{x}<br>h·v̂ = %{y:.3f}<extra></extra>`,
  })), [projections]);
  const layout = useMemo(() => chartTheme({ xaxis: { title: { text: 'generated token' } }, yaxis: { title: { text: `h·v̂ at L${layer ?? '?'}` } }, showlegend: true, legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.15 } }), [layer]);
  if (!hasMonitor) return <p className="muted small chart-empty">Per-token projection onto the steering vector appears here once a vector is in play.</p>;
  return <Chart data={data} layout={layout} height={200} label="Per-token projection onto the steering vector" />;
}
