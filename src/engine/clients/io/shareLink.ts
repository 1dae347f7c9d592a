/**
 * Share-URL codec (pure; no DOM). A link is `#s=` + base64url(bytes), bytes =
 *   'S' 'L' version:u8  deflateRaw( crc32:u32le  jsonLength:u32le  json:utf8  vector:f16le[dims] )
 * The version sits outside the deflate so an unsupported link is recognised before anything is parsed.
 * The CRC detects damage and hand edits; it is not a signature (anyone can recompute it). Everything
 * decoded is validated (ajv) before the app sees it, and the app renders it only as React text.
 */
import Ajv from 'ajv';
import { deflateSync, Inflate } from 'fflate';
import type { ModelDtype, Positions } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { f16BitsToF32, f32ToF16Bits } from '../../shared/f16';
import { MAX_ABS_COEFF } from '../../shared/limits';
import { base64UrlToBytes, bytesToBase64Url } from './base64';
import type { SteeringSpec } from '../../shared/steering';
import { MAX_SHARED_SPECS, packSpecs, unpackSpecs } from './shareCodec';

export interface ShareState {
  modelId: string;
  dtype: ModelDtype;
  /** One layer's steering vector; travels as float16 scaled by its largest magnitude. */
  vector: Float32Array;
  traitName: string;
  layer: number;
  coeff: number;
  mode: Positions;
  prompt: string;
  systemPrompt: string;
  seed: number;
  temperature: number;
  maxTokens: number;
  /** Interventions beside the main vector (any registered kind), packed by interventions/shareCodec.ts. */
  interventions?: SteeringSpec[];
}

export const SHARE_VERSION = 1;
export const SHARE_PREFIX = '#s=';
/** Whole fragment, in characters. Browsers cope with far more, chat apps and mail clients do not. */
export const MAX_LINK_CHARS = 32 * 1024;
const MAX_INFLATED = 256 * 1024; // guards against deflate bombs
export const LIMITS = { coeff: MAX_ABS_COEFF, layer: 255, dims: 16384, text: 4000, name: 80, modelId: 120, maxTokens: 1024, temperature: 5 } as const;
const MAGIC = [0x53, 0x4c]; // "SL"

const DTYPES: ModelDtype[] = ['fp32', 'fp16', 'q4', 'q4f16', 'q8', 'int8', 'uint8', 'bnb4', 'quantized'];

/** The JSON half of the payload: everything but the vector samples. */
interface Meta extends Omit<ShareState, 'vector' | 'interventions'> { dims: number; scale: number; interventions?: unknown[] }

const validateMeta = new Ajv({ allErrors: false }).compile<Meta>({
  type: 'object',
  additionalProperties: false,
  required: ['modelId', 'dtype', 'traitName', 'layer', 'coeff', 'mode', 'prompt', 'systemPrompt', 'seed', 'temperature', 'maxTokens', 'dims', 'scale'],
  properties: {
    modelId: { type: 'string', minLength: 1, maxLength: LIMITS.modelId, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?$' },
    dtype: { enum: DTYPES },
    traitName: { type: 'string', maxLength: LIMITS.name },
    layer: { type: 'integer', minimum: 0, maximum: LIMITS.layer },
    coeff: { type: 'number', minimum: -LIMITS.coeff, maximum: LIMITS.coeff },
    mode: { enum: ['all', 'prompt', 'response'] },
    prompt: { type: 'string', maxLength: LIMITS.text },
    systemPrompt: { type: 'string', maxLength: LIMITS.text },
    seed: { type: 'integer', minimum: 0, maximum: 0xffffffff },
    temperature: { type: 'number', minimum: 0, maximum: LIMITS.temperature },
    maxTokens: { type: 'integer', minimum: 1, maximum: LIMITS.maxTokens },
    dims: { type: 'integer', minimum: 1, maximum: LIMITS.dims },
    scale: { type: 'number', minimum: 0, maximum: 1e30 },
    interventions: { type: 'array', maxItems: MAX_SHARED_SPECS, items: { type: 'object' } },
  },
});

const bad = (message: string) => new EngineError('bad-input', message);

export function encodeShareLink(state: ShareState): string {
  const { vector, interventions, ...rest } = state;
  if (!vector.every(Number.isFinite)) throw bad('The steering vector contains NaN or infinite values and cannot be shared.');
  let scale = 0;
  for (const x of vector) scale = Math.max(scale, Math.abs(x));
  const meta: Meta = { ...rest, dims: vector.length, scale, ...(interventions?.length ? { interventions: packSpecs(interventions) } : {}) };
  if (!validateMeta(meta)) throw bad(`Cannot share this state: ${describe(validateMeta.errors)}.`);
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const body = new Uint8Array(8 + json.length + 2 * vector.length);
  const view = new DataView(body.buffer);
  view.setUint32(4, json.length, true);
  body.set(json, 8);
  for (let i = 0; i < vector.length; i++) view.setUint16(8 + json.length + 2 * i, f32ToF16Bits(scale > 0 ? vector[i] / scale : 0), true);
  view.setUint32(0, crc32(body.subarray(4)), true);
  const packed = deflateSync(body, { level: 9 });
  const link = SHARE_PREFIX + bytesToBase64Url(concat(new Uint8Array([...MAGIC, SHARE_VERSION]), packed));
  if (link.length > MAX_LINK_CHARS) throw bad(`The share link would be ${kb(link.length)} KB; the limit is ${kb(MAX_LINK_CHARS)} KB. Shorten the prompts.`);
  return link;
}

/** Accepts a fragment (`#s=...`), a full URL with that fragment, or the bare payload. */
export function decodeShareLink(input: string): ShareState {
  const hashAt = input.indexOf(SHARE_PREFIX);
  const payload = hashAt >= 0 ? input.slice(hashAt + SHARE_PREFIX.length) : input;
  if (payload.length + SHARE_PREFIX.length > MAX_LINK_CHARS) throw bad(`This share link is too long (${kb(payload.length)} KB; the limit is ${kb(MAX_LINK_CHARS)} KB).`);
  const bytes = base64UrlToBytes(payload);
  if (!bytes || bytes.length < 4 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1]) throw bad('This share link is corrupt: it is not a Steering Lab link or was cut short.');
  if (bytes[2] !== SHARE_VERSION) throw bad(`This share link uses format version ${bytes[2]}, which this version of Steering Lab does not support.`);
  const body = inflateLimited(bytes.subarray(3));
  if (body.length < 8) throw bad('This share link is corrupt: its data is incomplete.');
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (view.getUint32(0, true) !== crc32(body.subarray(4))) throw bad('This share link has been altered: its checksum does not match its contents.');
  const jsonLength = view.getUint32(4, true);
  if (8 + jsonLength > body.length) throw bad('This share link is corrupt: its data is incomplete.');
  let meta: unknown;
  try { meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(8, 8 + jsonLength))); }
  catch { throw bad('This share link is corrupt: its settings cannot be read.'); }
  if (!validateMeta(meta)) throw bad(`This share link has invalid settings: ${describe(validateMeta.errors)}.`);
  const { dims, scale, interventions, ...rest } = meta;
  if (body.length !== 8 + jsonLength + 2 * dims) throw bad(`This share link is corrupt: expected a vector of ${dims} values.`);
  const vector = new Float32Array(dims);
  for (let i = 0; i < dims; i++) vector[i] = f16BitsToF32(view.getUint16(8 + jsonLength + 2 * i, true)) * scale;
  if (!vector.every(Number.isFinite)) throw bad('This share link is corrupt: its vector has non-finite values.');
  return { ...rest, vector, ...(interventions ? { interventions: unpackSpecs(interventions, dims) } : {}) };
}

function describe(errors: typeof validateMeta.errors): string {
  const e = errors?.[0];
  if (!e) return 'unknown problem';
  const field = e.instancePath.replace(/^\//, '') || 'settings';
  return `${field} ${e.message ?? 'is invalid'}`;
}

function inflateLimited(data: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  const inf = new Inflate((chunk, final) => {
    size += chunk.length;
    if (size > MAX_INFLATED) throw bad('This share link is too large once unpacked.');
    chunks.push(chunk);
    ended ||= final;
  });
  try { inf.push(data, true); }
  catch (e) { if (e instanceof EngineError) throw e; throw bad('This share link is corrupt: its data cannot be unpacked (was it cut short?).'); }
  if (!ended) throw bad('This share link is corrupt: its data ends early (was it cut short?).');
  return concat(...chunks);
}

const kb = (n: number) => (n / 1024).toFixed(1);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
