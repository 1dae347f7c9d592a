/**
 * Per output column, what the slot conditions decided (interventions/condition.ts): on the steered column,
 * each gated add's pooled prompt projection against its threshold and whether it fired; the unsteered columns
 * carry no steering, so no condition is evaluated there, and they say so.
 */
import { num } from '../format';
import type { ConditionView } from '../slotKinds';

export function ConditionNote({ conditions, steered }: { conditions: ConditionView[]; steered: boolean }) {
  if (!conditions.length) return null;
  if (!steered) return <p className="small muted cond-note">No steering in this column, so no condition is evaluated.</p>;
  return (
    <ul className="cond-note small" data-testid="conditions">
      {conditions.map((c, i) => (
        <li key={`${c.slotKey}-${i}`} className={c.fired ? 'fired' : 'quiet'} data-fired={c.fired}>
          <strong>{c.fired ? 'Condition fired' : 'Condition did not fire'}</strong>{' '}
          <span className="mono" data-testid="condition-projection">{c.vectorName} @ L{c.layer}, {c.pooling} h·û = {num(c.projection, 3)} {c.fired ? '>' : '≤'} {num(c.threshold, 3)}</span>
          {!c.fired && <span className="muted"> — this add was left out</span>}
        </li>
      ))}
    </ul>
  );
}
