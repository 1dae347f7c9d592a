import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initActions, loadModel, openShareLink } from './actions';
import { SHARE_PREFIX } from '../engine/clients/io/shareLink';
import { keepSession, restoreSession } from './session';
import { loadModelB } from './modelB';
import { App } from './App';
import { createWorkerEngine, type PortLike } from './workerEngine';
import { createComputeClient } from './computeClient';
import './styles.css';

const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
const engine = createWorkerEngine(worker as unknown as PortLike);
// Probe training and cosine matrices run in their own worker, so neither the page nor a generation waits on them.
const computeWorker = new Worker(new URL('../../workers/compute.worker.ts', import.meta.url), { type: 'module', name: 'compute' });
initActions(engine, createComputeClient(computeWorker as unknown as PortLike));

// The last session comes back (a share link, if opened, takes its place), and so does its model, from the cache.
const reload = location.hash.startsWith(SHARE_PREFIX) ? { modelA: false, modelB: false } : restoreSession();
keepSession();
// Model B is checked against A, so it loads once A is ready; a failure lands in the Model B panel (loadModelB).
if (reload.modelA) void loadModel().then((ok) => { if (ok && reload.modelB) void loadModelB(); });

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);

// A share link restores its state, loads the model and generates; later hash changes do the same.
void openShareLink(location.hash);
addEventListener('hashchange', () => void openShareLink(location.hash));

// For tests and the console: the same Engine the UI uses.
(globalThis as { steeringLab?: unknown }).steeringLab = { engine };
