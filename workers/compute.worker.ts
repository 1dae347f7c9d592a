/// <reference lib="webworker" />
/** The compute worker: the clients' heavy pure maths (vectors/compute.ts) behind workers/computeHandler.ts. */
import { createComputeHandler } from './computeHandler';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createComputeHandler((msg, transfer) => scope.postMessage(msg, transfer));
scope.addEventListener('message', (e: MessageEvent) => handle(e.data));
