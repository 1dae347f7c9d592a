import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { chatCompletionsUrl, createOpenAIJudge, redact } from '../../../src/engine/clients/eval/judgeOpenAI';
import { EngineError, toErrorData } from '../../../src/engine/shared/errors';

const KEY = 'sk-test-SECRET-0123456789abcdef';

function reply(top: [string, number][]): Response {
  const body = { choices: [{ logprobs: { content: [{ token: top[0][0], logprob: Math.log(top[0][1]), top_logprobs: top.map(([token, p]) => ({ token, logprob: Math.log(p), bytes: [] })) }] } }] };
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
}

/** Everything an error could leak through: message, stack, JSON, inspect. */
async function leaked(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return [String(e), (e as Error).stack, JSON.stringify(e), JSON.stringify(toErrorData(e)), inspect(e)].join('\n');
  }
  throw new Error('expected a rejection');
}

describe('OpenAI-compatible judge', () => {
  it('sends one-token, top-20 logprob requests and maps the reply into a score', async () => {
    let seen: { url: string; init: RequestInit } | null = null;
    const judge = createOpenAIJudge({
      baseUrl: 'https://judge.example/v1/', apiKey: KEY, model: 'gpt-x',
      fetch: async (url, init) => { seen = { url: String(url), init: init! }; return reply([['80', 0.5], ['90', 0.3], ['No', 0.2]]); },
    });
    expect(await judge.scoreAnswer('Q: {question}\nA: {answer}', 'q', 'a')).toBeCloseTo((80 * 0.5 + 90 * 0.3) / 0.8, 10);
    expect(seen!.url).toBe('https://judge.example/v1/chat/completions');
    const body = JSON.parse(String(seen!.init.body));
    expect(body).toMatchObject({ model: 'gpt-x', max_tokens: 1, logprobs: true, top_logprobs: 20, messages: [{ role: 'user', content: 'Q: q\nA: a' }] });
    expect((seen!.init.headers as Record<string, string>).Authorization).toBe(`Bearer ${KEY}`);
  });

  it('returns null when the reply has too little mass on numbers', async () => {
    const judge = createOpenAIJudge({ baseUrl: 'http://x', model: 'm', fetch: async () => reply([['I', 0.9], ['5', 0.1]]) });
    expect(await judge.score('p')).toBeNull();
  });

  it('never exposes the key through serialisation or inspection of the judge', () => {
    const judge = createOpenAIJudge({ baseUrl: 'http://x/v1', apiKey: KEY, model: 'm', fetch: async () => reply([['1', 1]]) });
    for (const s of [JSON.stringify(judge), inspect(judge, { depth: 10, showHidden: true }), String(Object.values(judge)), JSON.stringify(Object.entries(judge))]) {
      expect(s).not.toContain(KEY);
      expect(s).not.toContain('SECRET');
    }
    expect(JSON.parse(JSON.stringify(judge))).toEqual({ baseUrl: 'http://x/v1', model: 'm' });
  });

  it('keeps the key out of errors: HTTP error bodies echoing it, network errors quoting it, keys in the URL', async () => {
    const echo = createOpenAIJudge({ baseUrl: 'http://x', apiKey: KEY, model: 'm', fetch: async () => new Response(`{"error":"Incorrect API key provided: ${KEY}"}`, { status: 401 }) });
    const e1 = await leaked(echo.score('p'));
    expect(e1).toContain('HTTP 401');
    expect(e1).toContain('Check the API key');
    expect(e1).not.toContain('SECRET');

    const net = createOpenAIJudge({ baseUrl: 'http://x', apiKey: KEY, model: 'm', fetch: async () => { throw new TypeError(`fetch failed (Authorization: Bearer ${KEY})`); } });
    const e2 = await leaked(net.score('p'));
    expect(e2).toContain('Could not reach the judge');
    expect(e2).not.toContain('SECRET');

    const inUrl = createOpenAIJudge({ baseUrl: `http://x/v1?api-key=${KEY}`, apiKey: KEY, model: 'm', fetch: async () => new Response('nope', { status: 500 }) });
    const e3 = await leaked(inUrl.score('p'));
    expect(e3).not.toContain('SECRET');
    expect(JSON.stringify(inUrl)).not.toContain('SECRET');
  });

  it('classifies failures with engine error codes', async () => {
    const mk = (status: number) => createOpenAIJudge({ baseUrl: 'http://x', model: 'm', fetch: async () => new Response('x', { status }) });
    await expect(mk(404).score('p')).rejects.toMatchObject({ code: 'bad-input' });
    await expect(mk(429).score('p')).rejects.toMatchObject({ code: 'load-failed' });
    await expect(mk(503).score('p')).rejects.toMatchObject({ code: 'load-failed' });
    const noLogprobs = createOpenAIJudge({ baseUrl: 'http://x', model: 'm', fetch: async () => new Response('{"choices":[{}]}') });
    await expect(noLogprobs.score('p')).rejects.toThrow(/top_logprobs/);
    const aborted = new AbortController();
    aborted.abort();
    const cancel = createOpenAIJudge({ baseUrl: 'http://x', model: 'm', fetch: async (_u, init) => { init?.signal?.throwIfAborted(); return reply([['1', 1]]); } });
    await expect(cancel.score('p', aborted.signal)).rejects.toBeInstanceOf(EngineError);
    await expect(cancel.score('p', aborted.signal)).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('url and redaction helpers', () => {
    expect(chatCompletionsUrl('https://a/v1')).toBe('https://a/v1/chat/completions');
    expect(chatCompletionsUrl('https://a/v1/chat/completions')).toBe('https://a/v1/chat/completions');
    expect(redact('key sk-abcdefghijkl and Bearer xyz', undefined)).toBe('key [redacted] and Bearer [redacted]');
  });
});
