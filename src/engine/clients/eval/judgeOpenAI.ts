/**
 * An OpenAI-compatible chat-completions judge: one token, top-20 log-probabilities, mapped into the judge maths.
 * The API key lives only in a closure: it is never a property (so no JSON.stringify, console.log or
 * structured clone can carry it), and every error message is scrubbed of it before it is thrown.
 */
import { EngineError } from '../../shared/errors';
import { MIN_NUMBER_MASS, fillJudgePrompt, scoreFromLogprobs, type TopLogprob } from './judge';

export interface OpenAIJudgeConfig {
  /** e.g. "https://api.openai.com/v1" or a full ".../chat/completions" URL. */
  baseUrl: string;
  apiKey?: string;
  model: string;
  topLogprobs?: number;
  /** Injected for tests and for hosts without a global fetch. */
  fetch?: typeof fetch;
}

export interface OpenAIJudge {
  readonly baseUrl: string;
  readonly model: string;
  topLogprobs(prompt: string, signal?: AbortSignal): Promise<TopLogprob[]>;
  /** Score of a filled prompt, or null when the judge put too little mass on numbers. */
  score(prompt: string, signal?: AbortSignal): Promise<number | null>;
  scoreAnswer(template: string, question: string, answer: string, signal?: AbortSignal): Promise<number | null>;
  toJSON(): { baseUrl: string; model: string };
}

export function chatCompletionsUrl(baseUrl: string): string {
  const u = baseUrl.trim().replace(/\/+$/, '');
  return /\/chat\/completions$/.test(u) ? u : `${u}/chat/completions`;
}

/** Removes the key (and anything shaped like a bearer secret) from text that may be shown or logged. */
export function redact(text: string, key: string | undefined): string {
  let out = text;
  if (key) out = out.split(key).join('[redacted]');
  return out.replace(/\b(sk|rk|pk)-[A-Za-z0-9_*-]{6,}/g, '[redacted]').replace(/(Bearer\s+)\S+/gi, '$1[redacted]');
}

function topFromReply(body: unknown): TopLogprob[] {
  const choice = (body as { choices?: { logprobs?: { content?: { top_logprobs?: unknown }[] } }[] })?.choices?.[0];
  const top = choice?.logprobs?.content?.[0]?.top_logprobs;
  if (!Array.isArray(top)) {
    throw new EngineError('bad-input', 'The judge reply has no choices[0].logprobs.content[0].top_logprobs; the endpoint or model may not support logprobs.');
  }
  return top
    .filter((t): t is { token: string; logprob: number } => typeof t?.token === 'string' && typeof t?.logprob === 'number')
    .map((t) => ({ token: t.token, logprob: t.logprob }));
}

export function createOpenAIJudge(config: OpenAIJudgeConfig): OpenAIJudge {
  const key = config.apiKey;
  const url = chatCompletionsUrl(config.baseUrl);
  const doFetch = config.fetch ?? globalThis.fetch.bind(globalThis);
  const safe = (s: string): string => redact(s, key);
  const shownUrl = safe(url);
  const shownBase = safe(config.baseUrl);

  async function topLogprobs(prompt: string, signal?: AbortSignal): Promise<TopLogprob[]> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (key) headers.Authorization = `Bearer ${key}`;
    const body = JSON.stringify({
      model: config.model,
      messages: [{ role: 'user', content: prompt }],
      max_tokens: 1,
      temperature: 0,
      logprobs: true,
      top_logprobs: config.topLogprobs ?? 20,
    });
    let res: Response;
    try {
      res = await doFetch(url, { method: 'POST', headers, body, signal });
    } catch (e) {
      if (signal?.aborted || (e as { name?: string })?.name === 'AbortError') throw new EngineError('cancelled', 'The judge request was cancelled.');
      throw new EngineError('load-failed', safe(`Could not reach the judge at ${url}: ${e instanceof Error ? e.message : String(e)}`));
    }
    if (!res.ok) {
      const detail = await res.text().catch(() => '');
      const code = res.status >= 400 && res.status < 500 && res.status !== 429 ? 'bad-input' : 'load-failed';
      const hint = res.status === 401 || res.status === 403 ? ' Check the API key.' : res.status === 404 ? ' Check the URL and model name.' : '';
      throw new EngineError(code, safe(`The judge at ${url} answered HTTP ${res.status}.${hint} ${detail.slice(0, 300)}`.trim()));
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new EngineError('load-failed', `The judge at ${shownUrl} did not return JSON.`);
    }
    return topFromReply(json);
  }

  const score = async (prompt: string, signal?: AbortSignal): Promise<number | null> =>
    scoreFromLogprobs(await topLogprobs(prompt, signal), MIN_NUMBER_MASS);

  return {
    baseUrl: shownBase,
    model: config.model,
    topLogprobs,
    score,
    scoreAnswer: (template, question, answer, signal) => score(fillJudgePrompt(template, question, answer), signal),
    toJSON: () => ({ baseUrl: shownBase, model: config.model }),
  };
}
