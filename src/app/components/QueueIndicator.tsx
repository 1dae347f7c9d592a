/** What the engine runs now and what waits for it (the scheduler's queue), beside the tabs. */
import { useLab } from '../store';

export function QueueIndicator() {
  const { running, waiting, sessions } = useLab((s) => s.schedule);
  const now = running?.owner.label ?? sessions.find((s) => s.status === 'active')?.owner.label ?? null;
  const paused = sessions.filter((s) => s.status === 'paused').map((s) => s.owner.label);
  const waits = [...new Set([...waiting.map((c) => c.owner.label), ...sessions.filter((s) => s.status === 'queued').map((s) => s.owner.label)])]
    .filter((l) => l !== now && !paused.includes(l));
  if (!now && !waits.length && !paused.length) return null;
  return (
    <span className="queue small" role="status" aria-label="Engine queue" data-testid="queue">
      {now && <span className="chip mono" data-queue="running">▶ {now}</span>}
      {paused.map((l) => <span key={l} className="chip mono" data-queue="paused">⏸ {l}</span>)}
      {waits.length > 0 && <span className="muted" data-queue="waiting">waiting: {waits.join(', ')}</span>}
    </span>
  );
}
