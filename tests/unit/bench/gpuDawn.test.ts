/**
 * bench/gpu/dawn.ts's one shim: writes from views of a SharedArrayBuffer (onnxruntime-web's threaded heap)
 * reach dawn.node as plain copies of exactly the bytes asked for; other writes pass through untouched.
 */
import { describe, expect, it } from 'vitest';
import { copySharedWrites } from '../../../bench/gpu/dawn';

function fakeQueue() {
  const calls: { data: unknown; dataOffset?: number; size?: number; shared: boolean; bytes: number[] }[] = [];
  class Queue {
    writeBuffer(_b: unknown, _o: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void {
      const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      calls.push({ data, dataOffset, size, shared: ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer, bytes: [...view] });
    }
  }
  copySharedWrites(Queue);
  return { queue: new Queue(), calls };
}

describe('copySharedWrites', () => {
  it('copies the requested range of a shared view (offset and size in elements) into a plain buffer', () => {
    const { queue, calls } = fakeQueue();
    const heap = new Uint8Array(new SharedArrayBuffer(32));
    heap.forEach((_, i) => { heap[i] = i; });
    queue.writeBuffer({}, 0, new Float32Array(heap.buffer, 4, 6), 1, 2);
    expect(calls).toHaveLength(1);
    expect(calls[0].shared).toBe(false);
    expect(calls[0].bytes).toEqual(Array.from({ length: 8 }, (_, i) => 8 + i));
    expect([calls[0].dataOffset, calls[0].size]).toEqual([0, 8]);
  });

  it('passes plain views through as they are', () => {
    const { queue, calls } = fakeQueue();
    const data = Uint8Array.from([1, 2, 3]);
    queue.writeBuffer({}, 4, data, 1, 2);
    expect(calls[0].data).toBe(data);
    expect([calls[0].dataOffset, calls[0].size]).toEqual([1, 2]);
  });
});
