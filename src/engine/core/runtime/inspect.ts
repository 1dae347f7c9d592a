/** What `steer-lab inspect` reports: the instrumented layout of a model, without creating a session. */
import type { ModelDtype, ModelSource, TapName } from '../../shared/api';
import { instrument } from '../onnx/instrument';
import { readModelConfig } from './config';
import { loadModelFiles } from './modelFiles';

export interface Inspection {
  layout: 'decomposed' | 'builder';
  numLayers: number;
  hiddenSize: number;
  dtype: ModelDtype;
  bodyDtype: 'float32' | 'float16';
  taps: TapName[];
  warnings: string[];
}

export async function inspectModel(source: ModelSource, opts: { dtype?: ModelDtype; remoteHost?: string }): Promise<Inspection> {
  const files = await loadModelFiles(source, { dtype: opts.dtype, remoteHost: opts.remoteHost });
  const config = readModelConfig(files.config, files.generationConfig);
  const inst = instrument(files.onnx, { numLayers: config.numLayers, hiddenSize: config.hiddenSize, inPlace: true });
  return { layout: inst.layout, numLayers: inst.numLayers, hiddenSize: inst.hiddenSize, dtype: files.dtype, bodyDtype: inst.bodyDtype, taps: inst.taps, warnings: inst.warnings };
}
