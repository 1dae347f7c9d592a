/// <reference lib="webworker" />
/** The Web Worker: the in-process engine behind workers/handler.ts. Nothing else lives here. */
import { createEngine } from '../src/engine/runtime/engine';
import { createHandler } from './handler';

const scope = self as unknown as DedicatedWorkerGlobalScope;
// vite.config.ts serves onnxruntime-web's runtime files there, in dev, preview and the build.
const engine = createEngine({ wasmPaths: '/ort/' });
const handle = createHandler(engine, (msg, transfer) => scope.postMessage(msg, transfer));
scope.addEventListener('message', (e: MessageEvent) => handle(e.data));
