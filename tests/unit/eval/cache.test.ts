import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedStep, canonicalJson, createFileStore, createMemoryStore, fromPlain, stableHash, toPlain } from '../../../src/engine/clients/eval/cache';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('step cache', () => {
  it('hashes canonically: key order does not matter, content does', async () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    const h1 = await stableHash({ model: 'm', seed: 1, v: new Float32Array([1, 2]) });
    const h2 = await stableHash({ v: new Float32Array([1, 2]), seed: 1, model: 'm' });
    const h3 = await stableHash({ v: new Float32Array([1, 2.0000002]), seed: 1, model: 'm' });
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(h1).toBe(h2);
    expect(h1).not.toBe(h3);
    expect(await stableHash(new Float32Array([1]))).not.toBe(await stableHash(new Float64Array([1])));
    // Known SHA-256 of the canonical JSON "abc" string ("\"abc\"").
    expect(await stableHash('abc')).toBe('6cc43f858fbb763301637b5af970e2a46b46f461f27e5a0f41e009c59b827b25');
  });

  it('round-trips typed arrays, non-finite numbers and -0', () => {
    const v = { a: new Float32Array([1.5, -0, 3e-39]), n: [NaN, Infinity, -Infinity, -0], s: 'x', u: undefined };
    const back = fromPlain(JSON.parse(JSON.stringify(toPlain(v)))) as typeof v;
    expect(back.a).toBeInstanceOf(Float32Array);
    expect(Array.from(back.a)).toEqual(Array.from(v.a));
    expect(Object.is(back.a[1], -0)).toBe(true);
    expect(back.n[0]).toBeNaN();
    expect(back.n.slice(1)).toEqual([Infinity, -Infinity, -0]);
    expect(Object.is(back.n[3], -0)).toBe(true);
    expect('u' in back).toBe(false);
    expect(() => toPlain(new Map())).toThrow(/plain objects/);
  });

  it('cachedStep computes once per distinct input (memory store)', async () => {
    const store = createMemoryStore();
    let calls = 0;
    const run = (seed: number) => cachedStep(store, 'gen', { seed }, async () => { calls++; return { out: new Float32Array([seed]) }; });
    expect(Array.from((await run(1)).out)).toEqual([1]);
    expect(Array.from((await run(1)).out)).toEqual([1]);
    await run(2);
    expect(calls).toBe(2);
    // A caller mutating a returned value cannot corrupt the cache.
    (await run(1)).out[0] = 99;
    expect(Array.from((await run(1)).out)).toEqual([1]);
  });

  it('file store persists across instances and keeps keys inside its folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'steer-cache-'));
    dirs.push(dir);
    const a = createFileStore(dir);
    expect(await a.has('k1')).toBe(false);
    expect(await a.get('k1')).toBeUndefined();
    await a.set('k1', { x: new Float32Array([0.1, 0.2]) });
    await a.set('../../evil', 1);
    const b = createFileStore(dir);
    expect(await b.has('k1')).toBe(true);
    expect(Array.from((await b.get('k1') as { x: Float32Array }).x)).toEqual(Array.from(new Float32Array([0.1, 0.2])));
    expect(await b.get('../../evil')).toBe(1);
    const files = await readdir(dir);
    expect(files.sort()).toEqual(expect.arrayContaining(['k1.json']));
    expect(files.every((f) => !f.includes('..') && f.endsWith('.json'))).toBe(true);
  });
});
