import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initActions, openShareLink } from './actions';
import { App } from './App';
import { createWorkerEngine, type PortLike } from './workerEngine';
import './styles.css';

const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
const engine = createWorkerEngine(worker as unknown as PortLike);
initActions(engine);

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);

// A share link restores its state, loads the model and generates; later hash changes do the same.
void openShareLink(location.hash);
addEventListener('hashchange', () => void openShareLink(location.hash));

// For tests and the console: the same Engine the UI uses.
(globalThis as { steeringLab?: unknown }).steeringLab = { engine };
