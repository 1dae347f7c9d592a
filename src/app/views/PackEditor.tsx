/**
 * Trait pack editor: a form or the raw JSON (ours or the persona-vectors shape). "Save pack" validates with
 * validateTraitPack and, on failure, shows each message on the field it concerns; nothing saved is touched
 * until a pack passes (a bad pack never replaces a good one).
 */
import { useMemo, useState } from 'react';
import { validateTraitPack, type TraitPack } from '../../engine/clients/eval/traitPack';
import { Field, Segmented } from '../components/ui';
import { removePack, savePack } from './jobs';
import { errorsByField, formToObject, packToForm, type PackField, type PackForm } from './logic';
import { setViews, useViews } from './viewStore';

type Mode = 'form' | 'json';

function FieldErrors({ errors, field }: { errors: Partial<Record<PackField, string[]>>; field: PackField }) {
  const list = errors[field];
  if (!list?.length) return null;
  return <ul className="field-errors" data-field={field} role="alert">{list.map((m) => <li key={m}>{m}</li>)}</ul>;
}

export function PackEditor({ pack, onClose }: { pack: TraitPack; onClose: () => void }) {
  const [mode, setMode] = useState<Mode>('form');
  const [form, setForm] = useState<PackForm>(() => packToForm(pack));
  const [json, setJson] = useState(() => JSON.stringify(pack, null, 2));
  const [errors, setErrors] = useState<Partial<Record<PackField, string[]>>>({});
  const saved = useViews((s) => s.packNote);
  const setSaved = (note: string | null) => setViews({ packNote: note });
  const savedPacks = useViews((s) => s.savedPacks);

  const switchMode = (m: Mode) => {
    if (m === mode) return;
    if (m === 'json') { setJson(JSON.stringify(formToObject(form), null, 2)); setErrors({}); setMode(m); return; }
    // JSON → form only when the JSON parses and validates; otherwise stay and say why.
    const r = check();
    if (r) { setForm(packToForm(r)); setErrors({}); setMode(m); }
  };

  /** The pack the editor holds, or null with the messages set on their fields. */
  const check = (): TraitPack | null => {
    let value: unknown;
    if (mode === 'json') {
      try { value = JSON.parse(json); } catch (e) {
        setErrors({ json: [`Not valid JSON: ${e instanceof Error ? e.message : String(e)}`] });
        return null;
      }
    } else value = formToObject(form);
    const r = validateTraitPack(value, { name: form.name.trim() || 'custom', description: form.description });
    if (!r.ok) { setErrors(errorsByField(r.errors)); return null; }
    return r.pack;
  };

  const save = async () => {
    setSaved(null);
    const p = check();
    if (!p) return;
    setErrors({});
    await savePack(p);
  };

  const nErrors = useMemo(() => Object.values(errors).reduce((a, l) => a + (l?.length ?? 0), 0), [errors]);
  const set = (patch: Partial<PackForm>) => { setForm((f) => ({ ...f, ...patch })); setSaved(null); };
  const area = (field: PackField, key: keyof PackForm, label: string, rows: number, hint?: string) => (
    <Field label={label} hint={hint}>
      <textarea rows={rows} value={form[key]} aria-label={label} aria-invalid={!!errors[field]} className={errors[field] ? 'invalid' : ''} onChange={(e) => set({ [key]: e.target.value })} />
    </Field>
  );

  return (
    <div className="pack-editor">
      <div className="row center">
        <Segmented label="Editor mode" value={mode} onChange={switchMode} options={[{ value: 'form', label: 'Form' }, { value: 'json', label: 'JSON' }]} />
        <span className="grow" />
        {nErrors > 0 && <span className="chip err" data-testid="pack-error-count">{nErrors} problem{nErrors === 1 ? '' : 's'}</span>}
        {saved && <span className="chip ok">{saved}</span>}
      </div>
      {mode === 'form' ? (
        <>
          <div className="row">
            <Field label="Name">
              <input value={form.name} maxLength={120} aria-label="Pack name" aria-invalid={!!errors.name} className={errors.name ? 'invalid' : ''} onChange={(e) => set({ name: e.target.value })} />
            </Field>
          </div>
          <FieldErrors errors={errors} field="name" />
          {area('description', 'description', 'Description', 2)}
          <FieldErrors errors={errors} field="description" />
          <div className="row">
            {area('instructions', 'pos', 'Positive instructions', 4, 'one per line')}
            {area('instructions', 'neg', 'Negative instructions', 4, 'same order')}
          </div>
          <FieldErrors errors={errors} field="instructions" />
          <div className="row">
            {area('extractionQuestions', 'extractionQuestions', 'Extraction questions', 4, 'one per line')}
            {area('evaluationQuestions', 'evaluationQuestions', 'Evaluation questions', 4, 'one per line')}
          </div>
          <FieldErrors errors={errors} field="extractionQuestions" />
          <FieldErrors errors={errors} field="evaluationQuestions" />
          {area('evalPrompt', 'evalPrompt', 'Judge prompt', 5, '{question} {answer}')}
          <FieldErrors errors={errors} field="evalPrompt" />
          <FieldErrors errors={errors} field="json" />
        </>
      ) : (
        <>
          <Field label="Pack JSON" hint="ours or {instruction, questions, eval_prompt}">
            <textarea className={`mono json ${nErrors ? 'invalid' : ''}`} rows={16} spellCheck={false} value={json} aria-label="Pack JSON" onChange={(e) => { setJson(e.target.value); setSaved(null); }} />
          </Field>
          {nErrors > 0 && (
            <div className="field-error-groups" role="alert">
              {(Object.keys(errors) as PackField[]).map((f) => (
                <div key={f} className="field-error-group">
                  <span className="mono small field-error-name">{f === 'json' ? 'pack' : f}</span>
                  <FieldErrors errors={errors} field={f} />
                </div>
              ))}
            </div>
          )}
        </>
      )}
      <div className="row center">
        <button className="primary" onClick={() => void save()}>Save pack</button>
        <button className="ghost" onClick={onClose}>Close editor</button>
        <span className="grow" />
        {savedPacks.some((p) => p.name === form.name.trim()) && mode === 'form' && (
          <button className="ghost small danger" onClick={() => { void removePack(form.name.trim()); onClose(); }}>Delete saved pack</button>
        )}
      </div>
    </div>
  );
}
