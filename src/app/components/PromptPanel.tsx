import { LIMITS } from '../../engine/io/shareLink';
import { runGenerate, stopGenerate } from '../actions';
import { setLab, useLab } from '../store';
import { Field, Panel } from './ui';

export function PromptPanel() {
  const { prompt, systemPrompt, seed, temperature, maxTokens, runStatus, modelStatus, contrastStatus, info } = useLab();
  const running = runStatus === 'running';
  const ready = modelStatus === 'ready' && contrastStatus !== 'running';
  const int = (v: string, lo: number, hi: number) => Math.max(lo, Math.min(hi, Math.round(Number(v) || 0)));
  return (
    <Panel title="Prompt" right={info && !info.hasChatTemplate ? <span className="muted small">no chat template: plain text</span> : undefined}>
      <Field label="System prompt">
        <textarea rows={2} value={systemPrompt} maxLength={LIMITS.text} onChange={(e) => setLab({ systemPrompt: e.target.value })} />
      </Field>
      <Field label="User prompt">
        <textarea rows={3} value={prompt} maxLength={LIMITS.text} onChange={(e) => setLab({ prompt: e.target.value })}
          onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && ready) void runGenerate(); }} />
      </Field>
      <div className="row end">
        <Field label="Seed"><input type="number" min={0} value={seed} onChange={(e) => setLab({ seed: int(e.target.value, 0, 0xffffffff) })} /></Field>
        <Field label="Temperature" hint={temperature === 0 ? 'greedy' : undefined}>
          <input type="number" min={0} max={LIMITS.temperature} step={0.1} value={temperature}
            onChange={(e) => setLab({ temperature: Math.max(0, Math.min(LIMITS.temperature, Number(e.target.value) || 0)) })} />
        </Field>
        <Field label="Max tokens"><input type="number" min={1} max={LIMITS.maxTokens} value={maxTokens} onChange={(e) => setLab({ maxTokens: int(e.target.value, 1, LIMITS.maxTokens) })} /></Field>
        {running
          ? <button className="ghost run" onClick={stopGenerate}>Stop</button>
          : <button className="primary run" disabled={!ready} onClick={() => void runGenerate()} title="Ctrl+Enter">Generate</button>}
      </div>
    </Panel>
  );
}
