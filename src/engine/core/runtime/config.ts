/** The parts of a hub config.json / generation_config.json the engine needs, validated. */
import { EngineError } from '../../shared/errors';

export interface ModelConfig {
  architecture: string;
  modelType: string;
  numLayers: number;
  hiddenSize: number;
  vocabSize: number;
  maxPositions: number;
  eosTokenIds: number[];
  padTokenId: number;
}

const asIds = (v: unknown): number[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]).filter(Number.isInteger) as number[];

function positiveInt(cfg: Record<string, unknown>, key: string): number {
  const v = cfg[key];
  if (!Number.isInteger(v) || (v as number) <= 0) {
    throw new EngineError('unsupported-model', `config.json: "${key}" is ${JSON.stringify(v)}; a decoder config needs a positive integer there.`);
  }
  return v as number;
}

export function readModelConfig(config: unknown, generation?: unknown): ModelConfig {
  if (typeof config !== 'object' || config === null) throw new EngineError('load-failed', 'config.json is not a JSON object.');
  const c = config as Record<string, unknown>;
  const g = (typeof generation === 'object' && generation) ? generation as Record<string, unknown> : {};
  const eos = [...new Set([...asIds(g.eos_token_id), ...asIds(c.eos_token_id)])];
  return {
    architecture: Array.isArray(c.architectures) ? String(c.architectures[0]) : String(c.model_type ?? 'unknown'),
    modelType: String(c.model_type ?? 'unknown'),
    numLayers: positiveInt(c, 'num_hidden_layers'),
    hiddenSize: positiveInt(c, 'hidden_size'),
    vocabSize: positiveInt(c, 'vocab_size'),
    maxPositions: Number.isInteger(c.max_position_embeddings) ? (c.max_position_embeddings as number) : 4096,
    eosTokenIds: eos,
    padTokenId: asIds(c.pad_token_id)[0] ?? asIds(g.pad_token_id)[0] ?? eos[0] ?? 0,
  };
}
