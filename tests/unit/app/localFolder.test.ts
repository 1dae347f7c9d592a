import { describe, expect, it } from 'vitest';
import { describeFolder, filesFor } from '../../../src/app/localFolder';

const f = (path: string) => ({ path, file: new File([], path.split('/').pop()!) });

describe('local model folders', () => {
  const folder = describeFolder('m', ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'README.md', 'onnx/model.onnx', 'onnx/model_q4.onnx', 'onnx/model_q4f16.onnx', 'onnx/model_q4f16.onnx_data', 'onnx/model_fp16.onnx'].map(f));
  it('lists the dtypes present', () => {
    expect(folder.dtypes.sort()).toEqual(['fp16', 'fp32', 'q4', 'q4f16']);
    expect(describeFolder('x', [f('config.json')]).dtypes).toEqual([]);
  });
  it('reads only the chosen variant and its external data', () => {
    expect(filesFor(folder, 'q4f16').map((x) => x.path)).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4f16.onnx', 'onnx/model_q4f16.onnx_data']);
    expect(filesFor(folder, 'fp32').map((x) => x.path).filter((p) => p.endsWith('.onnx'))).toEqual(['onnx/model.onnx']);
  });
});
