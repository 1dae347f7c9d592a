import { useMemo } from 'react';
import { waitingFor } from '../../engine/clients/scheduler';
import { promptedInstruction, setShowPrompted } from '../actions';
import { num } from '../format';
import { useLab } from '../store';
import { heatColor, heatScale } from '../tokenPieces';
import { Chart, chartTheme } from './Chart';
import { ErrorList } from './ErrorList';
import { Panel, Toggle } from './ui';
import { ViewStatement } from '../views/ViewStatement';
import { ConditionNote } from './ConditionNote';
import { hasCap } from '../slotKinds';
import { SlotStrength } from './StrengthReadout';

export const BASE_COLOR = '#6ea8fe';
export const STEER_COLOR = '#f5a524';
export const PROMPTED_COLOR = '#3fb950';

function statusText(status: string, tps: number, waiting: string | null): string {
  if (status === 'running' && waiting) return `waiting for ${waiting}`;
  if (status === 'running') return `generating · ${num(tps, 1)} tok/s`;
  if (status === 'done') return `done · ${num(tps, 1)} tok/s`;
  return status === 'idle' ? '' : status;
}

interface Shown { text: string; projections: number[]; pieces: string[] }

export function OutputPanel() {
  const { texts, projections, pieces, prompted, promptedNote, showPrompted, hasMonitor, runStatus, tokensPerSec, slots, vectors, schedule, conditions } = useLab();
  // The Steer view's call is queued behind another owner's (a job's call, a model load): say whose.
  const waiting = runStatus === 'running' ? waitingFor(schedule, 'Steer') : null;
  const first = slots.find((s) => s.enabled);
  const steerLabel = first ? `${vectors.find((v) => v.id === first.vectorId)?.name ?? '?'} @ L${first.layer} × ${first.coeff >= 0 ? '+' : ''}${first.coeff.toFixed(2)}${hasCap(first) ? ' · capped' : ''}${first.when ? ' · gated' : ''}` : 'no steering';
  const running = runStatus === 'running';
  const rows: Shown[] = [0, 1].map((c) => ({ text: texts[c], projections: projections[c], pieces: pieces[c] }));
  // One scale for every column, so the same tint means the same h·v̂ in all of them.
  const scale = heatScale(prompted ? [...projections, prompted.projections] : projections);
  const tint = hasMonitor && scale > 0;
  return (
    <Panel title="Output" right={<span className={`muted small mono ${running ? 'pulse' : ''}`}>{statusText(runStatus, tokensPerSec, waiting)}</span>} className="output">
      <ErrorList where="Generate" />
      <ViewStatement tab="steer" />
      <div className="output-tools">
        <Toggle checked={showPrompted ?? 'instruction' in promptedInstruction()} onChange={setShowPrompted} label="Prompted column (the trait's instruction, no steering)" />
        {tint && <HeatLegend scale={scale} layer={first?.layer} />}
      </div>
      {showPrompted === true && promptedNote && <p className="muted small">{promptedNote}</p>}
      <div className={`columns ${prompted ? 'three' : ''}`}>
        <Column col="baseline" title="Baseline" color={BASE_COLOR} sub="same seed, no intervention" row={rows[0]} running={running} scale={tint ? scale : 0} note={<ConditionNote conditions={conditions} steered={false} />} />
        {prompted && (
          <Column col="prompted" title="Prompted" color={PROMPTED_COLOR} sub={`${prompted.pack} instruction, no steering`} row={prompted} running={running} scale={tint ? scale : 0}
            note={<><p className="small muted instruction" data-testid="prompted-instruction">System prompt: “{prompted.instruction}”</p><ConditionNote conditions={conditions} steered={false} /></>} />
        )}
        <Column col="steered" title="Steered" color={STEER_COLOR} sub={steerLabel} row={rows[1]} running={running} scale={tint ? scale : 0} note={<>{first && <p className="small"><SlotStrength slot={first} testId="steered-strength" /></p>}<ConditionNote conditions={conditions} steered /></>} />
      </div>
      <ProjectionChart />
    </Panel>
  );
}

function HeatLegend({ scale, layer }: { scale: number; layer?: number }) {
  return (
    <div className="heat-legend small mono" role="img" aria-label={`Token tint: projection h·v̂ at L${layer ?? '?'}, blue −${num(scale, 2)} to amber +${num(scale, 2)}`}>
      <span>−{num(scale, 2)}</span>
      <span className="heat-bar" style={{ background: `linear-gradient(to right, ${heatColor(-scale, scale)}, transparent, ${heatColor(scale, scale)})` }} />
      <span>+{num(scale, 2)}</span>
      <span className="muted">h·v̂ at L{layer ?? '?'} per token</span>
    </div>
  );
}

function Column({ col, title, sub, color, row, running, scale, note }: { col: string; title: string; sub: string; color: string; row: Shown; running: boolean; scale: number; note?: React.ReactNode }) {
  return (
    <article className="column" style={{ borderTopColor: color }} aria-label={`${title} output`}>
      <header><strong style={{ color }}>{title}</strong><span className="muted small mono" title={sub}>{sub}</span></header>
      {note}
      {/* Model output and anything from a share link are rendered as text, never as HTML. */}
      <div className="gen" data-col={col} aria-live="polite">
        {row.text ? <Tokens row={row} scale={scale} /> : <span className="muted">{running ? '' : 'Press Generate to see the model respond.'}</span>}
        {running && <span className="caret" />}
      </div>
    </article>
  );
}

/** The text token by token, each tinted by its projection; the value is in each token's title for pointer and screen-reader users. */
function Tokens({ row, scale }: { row: Shown; scale: number }) {
  if (!scale || row.pieces.join('') !== row.text) return <>{row.text}</>;
  return (
    <>
      {row.pieces.map((p, i) => {
        const x = row.projections[i];
        return x === undefined ? <span key={i}>{p}</span>
          : <span key={i} className="tok" style={{ background: heatColor(x, scale) }} title={`token ${i}: h·v̂ = ${x.toFixed(3)}`}>{p}</span>;
      })}
    </>
  );
}

function ProjectionChart() {
  const { projections, prompted, hasMonitor, slots } = useLab();
  const layer = slots.find((s) => s.enabled)?.layer;
  const data = useMemo(() => {
    const traces = [
      { name: 'baseline', p: projections[0], color: BASE_COLOR },
      ...(prompted ? [{ name: 'prompted', p: prompted.projections, color: PROMPTED_COLOR }] : []),
      { name: 'steered', p: projections[1], color: STEER_COLOR },
    ];
    return traces.map(({ name, p, color }) => ({
      type: 'scatter', mode: 'lines+markers', name, x: p.map((_, i) => i), y: p,
      line: { color, width: 2 }, marker: { size: 4 },
      hovertemplate: `${name} · token %{x}<br>h·v̂ = %{y:.3f}<extra></extra>`,
    }));
  }, [projections, prompted]);
  const layout = useMemo(() => chartTheme({ xaxis: { title: { text: 'generated token' } }, yaxis: { title: { text: `h·v̂ at L${layer ?? '?'}` } }, showlegend: true, legend: { orientation: 'h', x: 1, xanchor: 'right', y: 1.15 } }), [layer]);
  if (!hasMonitor) return <p className="muted small chart-empty">Per-token projection onto the steering vector appears here once a vector is in play.</p>;
  return <Chart data={data} layout={layout} height={200} label="Per-token projection onto the steering vector" />;
}
