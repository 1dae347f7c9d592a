/// <reference lib="webworker" />
/** The Web Worker: the in-process engine behind workers/handler.ts. Nothing else lives here. */
import { createEngine } from '../src/engine/runtime/engine';
import { createHandler } from './handler';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createHandler(createEngine(), (msg, transfer) => scope.postMessage(msg, transfer));
scope.addEventListener('message', (e: MessageEvent) => handle(e.data));
