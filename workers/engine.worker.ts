/// <reference lib="webworker" />
/** The Web Worker: the in-process engine behind workers/handler.ts. Nothing else lives here. */
import { createHandler } from './handler';
import type { WorkerResponse } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (msg: WorkerResponse, transfer: ArrayBuffer[]) => scope.postMessage(msg, transfer);

// Listen before anything else: the engine's modules start asynchronously (onnxruntime is loaded with a
// top-level await), and a message that arrives while no listener exists is lost — the page sends its
// first requests (attach, and load when it opens a share link) as soon as the worker exists.
const early: unknown[] = [];
let handle: ((raw: unknown) => void) | null = null;
scope.addEventListener('message', (e: MessageEvent) => (handle ? handle(e.data) : early.push(e.data)));

import('../src/engine/core/runtime/engine').then(
  ({ createEngine }) => {
    // vite.config.ts serves onnxruntime-web's runtime files there, in dev, preview and the build.
    handle = createHandler(createEngine({ wasmPaths: '/ort/' }), post);
  },
  (e: unknown) => {
    const message = `The engine failed to start: ${e instanceof Error ? e.message : String(e)}`;
    handle = (raw) => {
      const id = (raw as { id?: unknown })?.id;
      if (Number.isInteger(id) && (raw as { type?: unknown }).type !== 'cancel') post({ type: 'error', id: id as number, error: { code: 'internal', message } }, []);
    };
  },
).finally(() => { for (const m of early.splice(0)) handle!(m); });
