import { useCallback, useState } from 'react';
import { LIMITS } from '../../engine/clients/io/shareLink';
import { runGenerate, stopGenerate } from '../actions';
import { maxTokensRule, parseNumber, textProblem, type NumberRule } from '../fields';
import { setLab, useLab } from '../store';
import { NumberInput, TextLimitNote } from './fields';
import { Field, Panel } from './ui';

const SEED: NumberRule = { what: 'The seed', min: 0, max: 0xffffffff, integer: true };
const TEMPERATURE: NumberRule = { what: 'Temperature', min: 0, max: LIMITS.temperature };

export function PromptPanel() {
  const { prompt, systemPrompt, seed, temperature, maxTokens, runStatus, modelStatus, contrastStatus, info } = useLab();
  const running = runStatus === 'running';
  const tokensRule = maxTokensRule(info);
  const [invalid, setInvalid] = useState<Record<string, boolean>>({});
  const validity = useCallback((name: string) => (ok: boolean) => setInvalid((m) => (m[name] === !ok ? m : { ...m, [name]: !ok })), []);
  // Generate waits until every field holds something it can run: a problem is shown next to its field.
  const fieldsOk = parseNumber(String(maxTokens), tokensRule).ok && !textProblem('', prompt) && !textProblem('', systemPrompt) && !Object.values(invalid).some(Boolean);
  const ready = modelStatus === 'ready' && contrastStatus !== 'running' && fieldsOk;
  return (
    <Panel title="Prompt" className="prompt-panel" right={info && !info.hasChatTemplate ? <span className="muted small">no chat template: plain text</span> : undefined}>
      <Field label="System prompt">
        <textarea rows={2} value={systemPrompt} onChange={(e) => setLab({ systemPrompt: e.target.value })} aria-invalid={!!textProblem('', systemPrompt)} />
        <TextLimitNote what="The system prompt" text={systemPrompt} />
      </Field>
      <Field label="User prompt">
        <textarea rows={3} value={prompt} onChange={(e) => setLab({ prompt: e.target.value })} aria-invalid={!!textProblem('', prompt)}
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && ready) void runGenerate(); }} />
        <TextLimitNote what="The prompt" text={prompt} />
      </Field>
      <div className="row end prompt-fields">
        <Field label="Seed"><NumberInput label="Seed" onValidity={validity('Seed')} value={seed} rule={SEED} onChange={(v) => setLab({ seed: v })} /></Field>
        <Field label="Temperature" hint={temperature === 0 ? 'greedy' : undefined}>
          <NumberInput label="Temperature" onValidity={validity('Temperature')} value={temperature} rule={TEMPERATURE} step={0.1} onChange={(v) => setLab({ temperature: v })} />
        </Field>
        <Field label="Max tokens"><NumberInput label="Max tokens" onValidity={validity('Max tokens')} value={maxTokens} rule={tokensRule} onChange={(v) => setLab({ maxTokens: v })} /></Field>
        {running
          ? <button className="ghost run" onClick={stopGenerate}>Stop</button>
          : <button className="primary run" disabled={!ready} onClick={() => void runGenerate()} title="Ctrl+Enter">Generate</button>}
      </div>
    </Panel>
  );
}
