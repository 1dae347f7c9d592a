/**
 * The engine's layers are enforced by lint (eslint.config.js). These cases lint a one-line file placed in
 * each layer with ESLint's own API: an import that runs upward must be an error, one that runs downward
 * must not. If the layer rules are dropped or their patterns stop matching relative paths, this fails. The app
 * also must not import the maths that runs in the compute worker (probe training, cosine matrices).
 */
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const upward: [string, string, string][] = [
  ['clients import the core', 'src/engine/clients/eval/probe_.ts', "import { createEngine } from '../../core/runtime/engine';"],
  ['the app imports the core', 'src/app/probe_.ts', "import { createEngine } from '../engine/core/runtime/engine';"],
  ['a view imports the core', 'src/app/views/probe_.ts', "import { instrument } from '../../engine/core/onnx/instrument';"],
  ['shared imports clients', 'src/engine/shared/probe_.ts', "import { diffInMeans } from '../clients/vectors/diffInMeans';"],
  ['shared imports the core', 'src/engine/shared/probe_.ts', "import { createEngine } from '../core/runtime/engine';"],
  ['the core imports clients', 'src/engine/core/runtime/probe_.ts', "import { diffInMeans } from '../../clients/vectors/diffInMeans';"],
  ['the core imports the app', 'src/engine/core/onnx/probe_.ts', "import { useLab } from '../../../app/store';"],
  ['the worker imports the app', 'workers/probe_.ts', "import { useLab } from '../src/app/store';"],
  ['the app imports onnxruntime', 'src/app/probe_.ts', "import * as ort from 'onnxruntime-web';"],
  ['clients import onnxruntime', 'src/engine/clients/io/probe_.ts', "import * as ort from 'onnxruntime-web/webgpu';"],
  // Heavy client maths belongs to the compute worker, not the UI thread.
  ['a view imports probe training', 'src/app/views/probe_.ts', "import { trainProbe } from '../../engine/clients/vectors/probe';"],
  ['the app imports the detection table', 'src/app/probe_.ts', "import { detectionTable } from '../engine/clients/vectors/detection';"],
  ['a view imports a cosine matrix', 'src/app/views/probe_.ts', "import { projectRows, layerCosineMatrix } from '../../engine/clients/vectors/projection';"],
];

const downward: [string, string, string][] = [
  ['clients import shared', 'src/engine/clients/eval/probe_.ts', "import { EngineError } from '../../shared/errors';"],
  ['the app imports clients', 'src/app/probe_.ts', "import { diffInMeans } from '../engine/clients/vectors/diffInMeans';"],
  ['the worker imports the core', 'workers/probe_.ts', "import { createEngine } from '../src/engine/core/runtime/engine';"],
  ['the CLI imports the core', 'src/cli/probe_.ts', "import { createEngine } from '../engine/core/runtime/engine';"],
  ['ort.ts imports onnxruntime', 'src/engine/core/runtime/ort.ts', "import * as ort from 'onnxruntime-web';"],
  ['a view imports a probe type', 'src/app/views/probe_.ts', "import type { ProbeOptions } from '../../engine/clients/vectors/probe';"],
  ['a view imports a projection that is not a matrix', 'src/app/views/probe_.ts', "import { projectRows } from '../../engine/clients/vectors/projection';"],
  ['the compute worker imports probe training', 'workers/probe_.ts', "import { trainProbe } from '../src/engine/clients/vectors/probe';"],
];

describe('engine layers (lint)', () => {
  it.each(upward)('refuses: %s', async (_name, filePath, code) => {
    expect(await layerErrors(filePath, code)).toHaveLength(1);
  });
  it.each(downward)('allows: %s', async (_name, filePath, code) => {
    expect(await layerErrors(filePath, code)).toEqual([]);
  });
});
