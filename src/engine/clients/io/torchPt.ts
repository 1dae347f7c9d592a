/**
 * Tensors saved by torch.save (PyTorch >= 1.6 zip layout), read without running anything.
 *
 * Layout (torch/serialization.py, _save): a zip archive whose entries share one top-level folder
 * `<name>/`: `data.pkl` (the pickled object), `data/<key>` (the raw bytes of each storage, in the
 * byte order named by `byteorder`, little when absent), `version`, and a few small records we ignore.
 * In data.pkl a tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
 * backward_hooks[, metadata])`, and each storage is a persistent id `('storage', torch.FloatStorage, key,
 * location, numel)` resolved against `data/<key>`.
 *
 * The unpickler below is deliberately tiny: it knows only the opcodes torch.save emits for tensors and plain
 * containers, and it resolves only the globals on ALLOWED. Any other global (os.system, builtins.eval, a class of
 * the author's own) is refused when it is named, before anything could be called; REDUCE can only reach the
 * rebuild functions and OrderedDict, and BUILD only sets state on a dict (state_dict's `_metadata`), which we drop.
 */
import { unzipSync } from 'fflate';
import { EngineError } from '../../shared/errors';
import { type FloatDtype, type ForeignOptions, type ForeignResult, type NamedTensor, BYTES_PER, assembleForeign, floatsToF32 } from './foreign';

/** Every refusal names what was found; damage gets the one remedy there is. */
const bad = (m: string): EngineError => new EngineError('bad-input', `PyTorch .pt file: ${m}${/damaged|truncated/.test(m) && !/again/.test(m) ? ' Save or download the file again.' : ''}`);

const MAX_PICKLE = 16 * 1024 * 1024;
const MAX_ELEMENTS = 1 << 26; // 256 MiB of float32: a [num_layers+1, hidden] file of the largest models is ~1M values
const MAX_ENTRY = 1 << 28; // bytes one archive entry may claim (a storage of MAX_ELEMENTS float32 values)

const STORAGES: Record<string, FloatDtype> = { FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64' };
const NON_FLOAT_STORAGES = new Set(['LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage',
  'ComplexFloatStorage', 'ComplexDoubleStorage', 'QInt8Storage', 'QUInt8Storage', 'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage', 'UntypedStorage']);

/** Everything the pickle may name. Storage classes only ever appear inside persistent ids. */
const ALLOWED = new Set([
  'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter', 'collections.OrderedDict',
  ...Object.keys(STORAGES).map((s) => `torch.${s}`), ...[...NON_FLOAT_STORAGES].map((s) => `torch.${s}`),
]);

class Global { constructor(readonly path: string) {} }
class Tuple { constructor(readonly items: Value[]) {} }
class List { constructor(readonly items: Value[]) {} }
class Dict { readonly map = new Map<string | number, Value>(); }
class Storage { constructor(readonly dtype: FloatDtype, readonly key: string, readonly numel: number) {} }
class Tensor { constructor(readonly shape: number[], readonly data: Float32Array) {} }
const MARK = Symbol('mark');
type Value = null | boolean | number | bigint | string | Global | Tuple | List | Dict | Storage | Tensor;

interface Archive { entry: (name: string) => Uint8Array | undefined; prefix: string; littleEndian: boolean }

/** Reads storages lazily from the archive, once each, checking their size against the persistent id. */
function storageData(s: Storage, ar: Archive, cache: Map<string, Float32Array>): Float32Array {
  const hit = cache.get(s.key);
  if (hit) return hit;
  const raw = ar.entry(`${ar.prefix}data/${s.key}`);
  if (!raw) throw bad(`storage "${s.key}" is named in data.pkl but ${ar.prefix}data/${s.key} is missing from the archive; the file is incomplete.`);
  const need = s.numel * BYTES_PER[s.dtype];
  if (raw.length !== need) throw bad(`storage "${s.key}" has ${raw.length} bytes, but ${s.numel} ${s.dtype} values need ${need}; the file is damaged.`);
  let bytes = raw;
  if (!ar.littleEndian && BYTES_PER[s.dtype] > 1) { // byteorder "big": swap each element
    const w = BYTES_PER[s.dtype];
    bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i += w) for (let j = 0; j < w; j++) bytes[i + j] = raw[i + w - 1 - j];
  }
  const data = floatsToF32(bytes, 0, s.numel, s.dtype);
  cache.set(s.key, data);
  return data;
}

const isInt = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);

function intTuple(v: Value, what: string): number[] {
  if (!(v instanceof Tuple) || !v.items.every((x) => isInt(x) && x >= 0)) throw bad(`the tensor's ${what} must be a tuple of non-negative integers.`);
  return v.items as number[];
}

function rebuildTensor(args: Value[], ar: Archive, cache: Map<string, Float32Array>): Tensor {
  if (args.length < 6 || args.length > 7) throw bad(`_rebuild_tensor_v2 takes 6 or 7 arguments; the pickle gives ${args.length}.`);
  const [storage, offset, sizeV, strideV, requiresGrad, hooks] = args;
  if (!(storage instanceof Storage)) throw bad('a tensor\'s first argument is not a storage.');
  if (!isInt(offset) || offset < 0) throw bad('a tensor\'s storage offset must be a non-negative integer.');
  const size = intTuple(sizeV, 'size');
  const stride = intTuple(strideV, 'stride');
  if (size.length !== stride.length || size.length > 4) throw bad(`a tensor has size [${size}] and stride [${stride}]; expected matching lengths, at most 4 dimensions.`);
  if (typeof requiresGrad !== 'boolean') throw bad('a tensor\'s requires_grad must be True or False.');
  if (!(hooks instanceof Dict) || hooks.map.size !== 0) throw bad('a tensor carries backward hooks; hooks are code and are not loaded.');
  let count = 1;
  for (const d of size) {
    count *= d;
    if (count > MAX_ELEMENTS) throw bad(`a tensor has shape [${size}], more than ${MAX_ELEMENTS} values; that is not a steering vector.`);
  }
  const last = count === 0 ? offset : offset + size.reduce((a, d, i) => a + (d - 1) * stride[i], 0);
  if (count > 0 && last >= storage.numel) throw bad(`a tensor of shape [${size}] (offset ${offset}, stride [${stride}]) reaches past its storage of ${storage.numel} values; the file is damaged.`);
  const src = storageData(storage, ar, cache);
  const out = new Float32Array(count);
  // Gather in row-major order; contiguous tensors are one copy.
  const contiguous = size.every((_, i) => size[i] === 1 || stride[i] === size.slice(i + 1).reduce((a, b) => a * b, 1));
  if (contiguous) out.set(src.subarray(offset, offset + count));
  else {
    const idx = new Array<number>(size.length).fill(0);
    for (let n = 0; n < count; n++) {
      out[n] = src[offset + idx.reduce((a, k, i) => a + k * stride[i], 0)];
      for (let i = size.length - 1; i >= 0; i--) { if (++idx[i] < size[i]) break; idx[i] = 0; }
    }
  }
  return new Tensor(size, out);
}

/** The restricted unpickler. Returns the root object. */
function unpickle(p: Uint8Array, ar: Archive): Value {
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const stack: (Value | typeof MARK)[] = [];
  const memo = new Map<number, Value>();
  const cache = new Map<string, Float32Array>();
  let pos = 0;
  const need = (n: number): number => {
    if (pos + n > p.length) throw bad('data.pkl ends in the middle of an instruction; the file is truncated.');
    const at = pos; pos += n; return at;
  };
  const u8 = (): number => p[need(1)];
  const u16 = (): number => dv.getUint16(need(2), true);
  const u32 = (): number => dv.getUint32(need(4), true);
  const text = (n: number): string => {
    const at = need(n);
    try { return new TextDecoder('utf-8', { fatal: true }).decode(p.subarray(at, at + n)); } catch { throw bad('data.pkl holds a string that is not UTF-8.'); }
  };
  const line = (): string => {
    const end = p.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 200) throw bad('data.pkl names a global without a terminating newline; the file is damaged.');
    return text(end - pos + 1).slice(0, -1);
  };
  const pop = (): Value => {
    const v = stack.pop();
    if (v === undefined || v === MARK) throw bad('data.pkl pops an empty stack; the file is damaged or not a tensor pickle.');
    return v;
  };
  const popMark = (): Value[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw bad('data.pkl uses a mark it never set; the file is damaged.');
    const items = stack.splice(i) as Value[];
    items.shift();
    return items;
  };
  const top = (): Value => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw bad('data.pkl expects an object on the stack; the file is damaged.');
    return v;
  };
  const global = (module: string, name: string): Global => {
    const path = `${module}.${name}`;
    if (!ALLOWED.has(path)) {
      throw bad(`data.pkl asks for "${path}". Only float tensors (and dicts, lists and tuples of them) are read; `
        + 'a pickle that names other Python objects could run code when loaded, so nothing in it was run. '
        + 'If you trust the file, re-save the tensors alone (torch.save(tensor, path)) or as safetensors.');
    }
    return new Global(path);
  };
  const setItem = (d: Value, k: Value, v: Value): void => {
    if (!(d instanceof Dict)) throw bad('data.pkl sets an item on something that is not a dict.');
    if (typeof k !== 'string' && !isInt(k)) throw bad('data.pkl uses a dict key that is not a string or integer.');
    d.map.set(k, v);
  };
  const memoKey = (k: number): Value => {
    if (!memo.has(k)) throw bad(`data.pkl refers to memo entry ${k} that was never stored; the file is damaged.`);
    return memo.get(k)!;
  };
  for (let steps = 0; ; steps++) {
    if (steps > 10_000_000 || stack.length > 100_000) throw bad('data.pkl is far larger than a tensor file; refused.');
    const op = u8();
    switch (op) {
      case 0x80: { const v = u8(); if (v > 5) throw bad(`pickle protocol ${v} is not supported.`); break; } // PROTO
      case 0x95: need(8); break; // FRAME: length prefix only
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: stack.push(MARK); break; // MARK
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(dv.getInt32(need(4), true)); break; // BININT
      case 0x8a: { // LONG1
        const n = u8();
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(p[at + i]);
        if (n > 0 && p[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: stack.push(dv.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x29: stack.push(new Tuple([])); break; // EMPTY_TUPLE
      case 0x85: stack.push(new Tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(new Tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(new Tuple([a, b, c])); break; } // TUPLE3
      case 0x74: stack.push(new Tuple(popMark())); break; // TUPLE
      case 0x5d: stack.push(new List([])); break; // EMPTY_LIST
      case 0x7d: stack.push(new Dict()); break; // EMPTY_DICT
      case 0x61: { const v = pop(); const l = top(); if (!(l instanceof List)) throw bad('data.pkl appends to something that is not a list.'); l.items.push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = top(); if (!(l instanceof List)) throw bad('data.pkl appends to something that is not a list.'); l.items.push(...items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        if (items.length % 2) throw bad('data.pkl sets items from an odd number of values; the file is damaged.');
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(memoKey(u8())); break; // BINGET
      case 0x6a: stack.push(memoKey(u32())); break; // LONG_BINGET
      case 0x63: { const module = line(); stack.push(global(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop(); const module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') throw bad('data.pkl names a global with non-string parts.');
        stack.push(global(module, name));
        break;
      }
      case 0x51: { // BINPERSID: ('storage', StorageClass, key, location, numel)
        const pid = pop();
        const items = pid instanceof Tuple ? pid.items : [];
        const [tag, cls, key, , numel] = items;
        if (items.length !== 5 || tag !== 'storage' || !(cls instanceof Global) || typeof key !== 'string' || !isInt(numel) || numel < 0) {
          throw bad('data.pkl refers to an external object that is not a torch storage.');
        }
        const name = cls.path.slice('torch.'.length);
        const dtype = STORAGES[name];
        if (!dtype) throw bad(`a tensor is stored as ${name}, not floating point; steering vectors must be float32, float16, bfloat16 or float64. Convert it (tensor.float()) and save again.`);
        if (numel > MAX_ELEMENTS) throw bad(`a storage claims ${numel} values, more than ${MAX_ELEMENTS}; that is not a steering vector.`);
        if (!/^[\w.-]{1,64}$/.test(key)) throw bad('a storage key is not a plain name.');
        stack.push(new Storage(dtype, key, numel));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof Global) || !(args instanceof Tuple)) throw bad('data.pkl calls something that is not an allowed function.');
        if (fn.path === 'collections.OrderedDict') {
          if (args.items.length) throw bad('OrderedDict is built with arguments; only empty OrderedDicts are read.');
          stack.push(new Dict());
        } else if (fn.path === 'torch._utils._rebuild_tensor_v2') stack.push(rebuildTensor(args.items, ar, cache));
        else if (fn.path === 'torch._utils._rebuild_parameter') {
          const [t, , hooks] = args.items;
          if (!(t instanceof Tensor) || !(hooks instanceof Dict) || hooks.map.size) throw bad('a Parameter must wrap a tensor and carry no hooks.');
          stack.push(t);
        } else throw bad(`data.pkl calls ${fn.path}, which only names a type here; refused.`);
        break;
      }
      case 0x62: { // BUILD: only state dicts' `_metadata` on a dict, which we drop
        const state = pop();
        if (!(top() instanceof Dict) || !(state instanceof Dict)) throw bad('data.pkl sets the state of an object that is not a plain dict; only tensors and containers are read.');
        break;
      }
      default:
        throw bad(`data.pkl uses pickle opcode 0x${op.toString(16).padStart(2, '0')} ("${String.fromCharCode(op)}"), which a file of tensors does not need; refused without running it.`);
    }
  }
}

/** Tensors reachable from the root: a tensor, or dicts/lists/tuples of them (non-tensor leaves are ignored). */
function collect(v: Value, name: string, out: NamedTensor[], depth = 0): void {
  if (depth > 4) return;
  if (v instanceof Tensor) out.push({ name, shape: v.shape, data: v.data });
  else if (v instanceof Dict) for (const [k, x] of v.map) collect(x, name ? `${name}.${k}` : String(k), out, depth + 1);
  else if (v instanceof List || v instanceof Tuple) v.items.forEach((x, i) => collect(x, name ? `${name}.${i}` : String(i), out, depth + 1));
}

/** True for a zip archive (local file header), which is how torch.save has stored files since PyTorch 1.6. */
export const isZip = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

/** Opens the archive and returns the tensors data.pkl rebuilds, named by their path in the saved object. */
export function readTorchTensors(bytes: Uint8Array): NamedTensor[] {
  if (!isZip(bytes)) {
    const legacy = bytes[0] === 0x80 ? ' It looks like the legacy (pre-1.6) format: load it in Python and torch.save it again with a current PyTorch.' : '';
    throw bad(`the file is not a zip archive.${legacy}`);
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (f.originalSize > MAX_ENTRY) throw bad(`archive entry ${f.name} claims ${f.originalSize} bytes; refused.`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof EngineError) throw e;
    throw bad(`the zip archive cannot be read (${e instanceof Error ? e.message : String(e)}); the file is truncated or damaged. Download or save it again.`);
  }
  const pkl = Object.keys(files).filter((n) => /^[^/]+\/data\.pkl$/.test(n) || n === 'data.pkl');
  if (pkl.length !== 1) throw bad(`expected one <name>/data.pkl in the archive; found ${pkl.length ? pkl.join(', ') : `none (entries: ${Object.keys(files).slice(0, 6).join(', ')})`}. Is this a torch.save file?`);
  const prefix = pkl[0].slice(0, -'data.pkl'.length);
  const order = files[`${prefix}byteorder`];
  const byteorder = order ? new TextDecoder().decode(order).trim() : 'little';
  if (byteorder !== 'little' && byteorder !== 'big') throw bad(`byteorder is "${byteorder.slice(0, 20)}"; expected little or big.`);
  const p = files[pkl[0]];
  if (p.length > MAX_PICKLE) throw bad(`data.pkl is ${p.length} bytes, far more than a file of tensors needs; refused.`);
  const root = unpickle(p, { entry: (n) => files[n], prefix, littleEndian: byteorder === 'little' });
  const out: NamedTensor[] = [];
  collect(root, '', out);
  if (out.length === 0) throw bad('the file holds no tensors.');
  if (root instanceof Tensor) out[0].name = 'tensor';
  return out;
}

/**
 * A .pt vector file. A bare 2-D tensor follows persona_vectors ([num_layers+1, hidden], row N = hidden_states[N]);
 * a bare 1-D tensor needs its layer; dicts use the per-layer naming layouts of foreign.ts.
 */
export function readTorchVectors(bytes: Uint8Array, opts: ForeignOptions = {}): ForeignResult {
  const tensors = readTorchTensors(bytes);
  return assembleForeign(tensors, 'PyTorch .pt file', opts, tensors.length === 1 && tensors[0].name === 'tensor' ? 'hidden-states' : undefined);
}
