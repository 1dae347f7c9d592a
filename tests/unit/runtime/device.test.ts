import { describe, expect, it } from 'vitest';
import type { ModelDtype } from '../../../src/engine/shared/api';
import { EngineError } from '../../../src/engine/shared/errors';
import { chooseDevice, isF16, probeWebGPU, type DeviceInput } from '../../../src/engine/core/runtime/device';

const f16 = new Set(['shader-f16']);
const none = new Set<string>();
const all: ModelDtype[] = ['fp32', 'fp16', 'q4', 'q4f16', 'q8'];

const choose = (over: Partial<DeviceInput>) => chooseDevice({ preference: 'auto', hasWebGPU: true, adapterFeatures: f16, availableDtypes: all, ...over });

function deviceError(f: () => unknown): EngineError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).code).toBe('device');
    return e as EngineError;
  }
  throw new Error('expected a device error');
}

describe('chooseDevice', () => {
  it('auto with a shader-f16 adapter: WebGPU, q4f16 by default, the requested dtype otherwise', () => {
    expect(choose({})).toMatchObject({ device: 'webgpu', dtype: 'q4f16' });
    expect(choose({ requestedDtype: 'fp16' })).toMatchObject({ device: 'webgpu', dtype: 'fp16' });
    expect(choose({ availableDtypes: ['fp32', 'q4'] })).toMatchObject({ device: 'webgpu', dtype: 'q4' });
  });

  it('auto without WebGPU: wasm, and says so', () => {
    const c = choose({ hasWebGPU: false, adapterFeatures: none });
    expect(c).toMatchObject({ device: 'wasm', dtype: 'q4' });
    expect(c.reason).toMatch(/no WebGPU adapter/i);
  });

  it('wasm requested: wasm even with a GPU', () => {
    expect(choose({ preference: 'wasm', requestedDtype: 'q4f16' })).toMatchObject({ device: 'wasm', dtype: 'q4f16' });
    expect(choose({ preference: 'wasm' }).reason).toMatch(/requested/);
  });

  it('forced WebGPU without an adapter is a device error that says what to do', () => {
    const e = deviceError(() => choose({ preference: 'webgpu', hasWebGPU: false, adapterFeatures: none }));
    expect(e.message).toMatch(/no WebGPU adapter/);
    expect(e.message).toMatch(/wasm/);
    const probed = deviceError(() => chooseDevice({ preference: 'webgpu', gpu: { hasWebGPU: false, adapterFeatures: none, detail: 'navigator.gpu is not available' }, availableDtypes: all }));
    expect(probed.message).toMatch(/navigator\.gpu is not available/);
  });

  describe('adapter without shader-f16 never gets an f16 model on WebGPU', () => {
    const noF16 = (over: Partial<DeviceInput>) => choose({ adapterFeatures: none, ...over });
    const cases: [Partial<DeviceInput>][] = [
      [{}], [{ requestedDtype: 'q4f16' }], [{ requestedDtype: 'fp16' }], [{ preference: 'webgpu' }],
      [{ availableDtypes: ['q4f16', 'fp16'] }], [{ availableDtypes: ['q4f16'], requestedDtype: 'q4f16' }], [{ availableDtypes: [] }],
      [{ availableDtypes: [], requestedDtype: 'q4f16' }],
    ];
    it.each(cases)('%o', (over) => {
      const c = noF16(over);
      expect(c.device === 'webgpu' && isF16(c.dtype)).toBe(false);
    });

    it('q4f16 -> q4 on WebGPU, fp16 -> fp32, and the reason names shader-f16', () => {
      const a = noF16({ requestedDtype: 'q4f16' });
      expect(a).toMatchObject({ device: 'webgpu', dtype: 'q4' });
      expect(a.reason).toMatch(/shader-f16/);
      expect(a.reason).toMatch(/q4f16/);
      expect(noF16({ requestedDtype: 'fp16' })).toMatchObject({ device: 'webgpu', dtype: 'fp32' });
      expect(noF16({})).toMatchObject({ device: 'webgpu', dtype: 'q4' });
      expect(noF16({ availableDtypes: ['q4f16', 'fp32'] })).toMatchObject({ device: 'webgpu', dtype: 'fp32' });
    });

    it('only f16 variants: wasm under auto, a device error when WebGPU is forced', () => {
      const c = noF16({ availableDtypes: ['q4f16'], requestedDtype: 'q4f16' });
      expect(c).toMatchObject({ device: 'wasm', dtype: 'q4f16' });
      expect(c.reason).toMatch(/shader-f16/);
      const e = deviceError(() => noF16({ preference: 'webgpu', availableDtypes: ['q4f16'] }));
      expect(e.message).toMatch(/shader-f16/);
      expect(e.message).toMatch(/wasm/);
    });

    it('an unknown variant list: non-f16 requests and the default go ahead, an f16 request goes to wasm', () => {
      expect(noF16({ availableDtypes: [] })).toMatchObject({ device: 'webgpu', dtype: 'q4' });
      expect(noF16({ availableDtypes: [], requestedDtype: 'fp32' })).toMatchObject({ device: 'webgpu', dtype: 'fp32' });
      expect(noF16({ availableDtypes: [], requestedDtype: 'q4f16' })).toMatchObject({ device: 'wasm', dtype: 'q4f16' });
    });

    it('accepts a probeWebGPU() result in place of the flat fields', () => {
      const c = chooseDevice({ preference: 'auto', gpu: { hasWebGPU: true, adapterFeatures: none, detail: '' }, requestedDtype: 'q4f16', availableDtypes: all });
      expect(c).toMatchObject({ device: 'webgpu', dtype: 'q4' });
    });
  });
});

describe('probeWebGPU', () => {
  it('reports no WebGPU in Node without throwing', async () => {
    const p = await probeWebGPU();
    expect(p.hasWebGPU).toBe(false);
    expect(p.adapterFeatures.size).toBe(0);
    expect(p.detail).toMatch(/not available/);
  });

  it('reads adapter features, and survives a null adapter or a throwing requestAdapter', async () => {
    const nav = globalThis.navigator;
    const setGpu = (gpu: unknown) => Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    try {
      setGpu({ requestAdapter: async () => ({ features: new Set(['shader-f16', 'timestamp-query']) }) });
      const ok = await probeWebGPU();
      expect(ok.hasWebGPU).toBe(true);
      expect(ok.adapterFeatures.has('shader-f16')).toBe(true);
      setGpu({ requestAdapter: async () => null });
      expect((await probeWebGPU()).hasWebGPU).toBe(false);
      setGpu({ requestAdapter: async () => { throw new Error('blocked'); } });
      const failed = await probeWebGPU();
      expect(failed.hasWebGPU).toBe(false);
      expect(failed.detail).toMatch(/blocked/);
    } finally {
      Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
    }
  });
});
