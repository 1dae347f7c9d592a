/**
 * Inputs that keep what the user is typing (an empty field stays empty) and pass on only valid values; an
 * invalid entry shows its message under the field (see ../fields.ts for the rules).
 */
import { useId, useLayoutEffect, useState, type KeyboardEvent } from 'react';
import { LIMITS } from '../../engine/clients/io/shareLink';
import { parseNumber, textProblem, type NumberRule } from '../fields';

export function NumberInput({ value, onChange, rule, label, step, onKeyDown, onValidity }: {
  value: number; onChange: (v: number) => void; rule: NumberRule; label: string; step?: number; onKeyDown?: (e: KeyboardEvent<HTMLInputElement>) => void;
  /** Told whether the field now holds a valid entry (the form can hold back its action while one does not). */
  onValidity?: (ok: boolean) => void;
}) {
  const [text, setText] = useState(String(value));
  const [shown, setShown] = useState(value);
  const msgId = useId();
  // Follow changes made elsewhere (slider, share link, restored run) unless the text already says that value.
  // Adjusted during render, not in an effect, so the field never shows the old number for a frame.
  if (shown !== value) {
    setShown(value);
    if (!(text.trim() !== '' && Number(text) === value)) setText(String(value));
  }
  const parsed = parseNumber(text, rule);
  // Before paint: the form's buttons must not look usable for a frame while a field is invalid.
  useLayoutEffect(() => { onValidity?.(parsed.ok); }, [parsed.ok, onValidity]);
  return (
    <>
      <input type="number" value={text} step={step} min={rule.min} max={rule.max} aria-label={label} aria-invalid={!parsed.ok} aria-describedby={parsed.ok ? undefined : msgId}
        className={parsed.ok ? '' : 'invalid'} onKeyDown={onKeyDown}
        onChange={(e) => { setText(e.target.value); const p = parseNumber(e.target.value, rule); if (p.ok && p.value !== value) onChange(p.value); }} />
      {!parsed.ok && <span id={msgId} className="field-msg" role="alert">{parsed.message}</span>}
    </>
  );
}

export function TextLimitNote({ what, text, limit = LIMITS.text }: { what: string; text: string; limit?: number }) {
  const problem = textProblem(what, text, limit);
  return problem ? <span className="field-msg" role="alert">{problem}</span> : null;
}
