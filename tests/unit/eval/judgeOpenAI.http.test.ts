/**
 * The OpenAI-compatible judge against a real HTTP server on 127.0.0.1 (node:http, through the global fetch):
 * the exact request it sends, and each kind of failure in the words the user sees.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAIJudge } from '../../../src/engine/clients/eval/judgeOpenAI';

interface Seen { url: string; headers: IncomingMessage['headers']; body: Record<string, unknown> }
let server: Server;
let base: string;
const seen: Seen[] = [];
/** path → [status, body] */
let answer: (path: string) => [number, string];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: body ? JSON.parse(body) : {} });
      const [status, text] = answer(req.url ?? '');
      res.statusCode = status;
      res.end(text);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

const top = (xs: [string, number][]) => JSON.stringify({ choices: [{ logprobs: { content: [{ top_logprobs: xs.map(([token, p]) => ({ token, logprob: Math.log(p) })) }] } }] });

describe('OpenAI-compatible judge over HTTP', () => {
  it('posts one user message for one token with top-k logprobs, and the key as a bearer token', async () => {
    answer = () => [200, top([['60', 0.5], ['x', 0.5]])];
    seen.length = 0;
    const j = createOpenAIJudge({ baseUrl: `${base}/`, apiKey: 'sk-KEY-123456789', model: 'judge-1' });
    expect(await j.scoreAnswer('Q={question} A={answer}', 'why', 'because')).toBeCloseTo(60, 10);
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/v1/chat/completions');
    expect(seen[0].headers.authorization).toBe('Bearer sk-KEY-123456789');
    expect(seen[0].headers['content-type']).toBe('application/json');
    expect(seen[0].body).toEqual({ model: 'judge-1', messages: [{ role: 'user', content: 'Q=why A=because' }], max_tokens: 1, temperature: 0, logprobs: true, top_logprobs: 20 });
    expect(j.toJSON()).toEqual({ baseUrl: `${base}/`, model: 'judge-1' });
    expect(j.model).toBe('judge-1');

    seen.length = 0;
    const k = createOpenAIJudge({ baseUrl: `${base}/chat/completions`, model: 'm', topLogprobs: 5 });
    expect(await k.topLogprobs('p')).toEqual([{ token: '60', logprob: Math.log(0.5) }, { token: 'x', logprob: Math.log(0.5) }]);
    expect(seen[0].url).toBe('/v1/chat/completions');
    expect(seen[0].headers.authorization).toBeUndefined();
    expect(seen[0].body.top_logprobs).toBe(5);
  });

  it('keeps only well-formed top entries and scores null below a quarter of the mass on numbers', async () => {
    answer = () => [200, JSON.stringify({ choices: [{ logprobs: { content: [{ top_logprobs: [{ token: '90', logprob: Math.log(0.2) }, { token: 5, logprob: 0 }, { token: '10' }, null, { token: 'no', logprob: Math.log(0.8) }] }] } }] })];
    const j = createOpenAIJudge({ baseUrl: base, model: 'm' });
    expect(await j.topLogprobs('p')).toEqual([{ token: '90', logprob: Math.log(0.2) }, { token: 'no', logprob: Math.log(0.8) }]);
    expect(await j.score('p')).toBeNull();
  });

  it('says what failed: status with a hint, the body, non-JSON replies, missing logprobs, unreachable hosts', async () => {
    const j = createOpenAIJudge({ baseUrl: base, apiKey: 'sk-SECRETSECRET', model: 'm' });
    const url = `${base}/chat/completions`;
    const fails = async (status: number, body: string) => {
      answer = () => [status, body];
      return j.score('p').then(() => { throw new Error('resolved'); }, (e) => e as { code: string; message: string });
    };
    expect(await fails(401, 'nope')).toMatchObject({ code: 'bad-input', message: `The judge at ${url} answered HTTP 401. Check the API key. nope` });
    expect(await fails(403, '')).toMatchObject({ code: 'bad-input', message: `The judge at ${url} answered HTTP 403. Check the API key.` });
    expect(await fails(404, 'no such model')).toMatchObject({ code: 'bad-input', message: `The judge at ${url} answered HTTP 404. Check the URL and model name. no such model` });
    expect(await fails(400, 'x'.repeat(400))).toMatchObject({ code: 'bad-input', message: `The judge at ${url} answered HTTP 400. ${'x'.repeat(300)}` });
    expect(await fails(499, '')).toMatchObject({ code: 'bad-input' });
    expect(await fails(429, 'slow down')).toMatchObject({ code: 'load-failed', message: `The judge at ${url} answered HTTP 429. slow down` });
    expect(await fails(500, 'key was sk-SECRETSECRET')).toMatchObject({ code: 'load-failed', message: `The judge at ${url} answered HTTP 500. key was [redacted]` });
    expect(await fails(200, 'not json')).toMatchObject({ code: 'load-failed', message: `The judge at ${url} did not return JSON.` });
    expect(await fails(200, '{"choices":[]}')).toMatchObject({ code: 'bad-input', message: 'The judge reply has no choices[0].logprobs.content[0].top_logprobs; the endpoint or model may not support logprobs.' });
    expect(await fails(200, 'null')).toMatchObject({ code: 'bad-input' });
    // A port nothing listens on.
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    const gone = createOpenAIJudge({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm' });
    const err = await gone.score('p').then(() => null, (e) => e as { code: string; message: string });
    expect(err?.code).toBe('load-failed');
    expect(err?.message).toMatch(new RegExp(`^Could not reach the judge at http://127\\.0\\.0\\.1:${port}/v1/chat/completions: `));
  });
});
