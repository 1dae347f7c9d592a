/**
 * A model folder from the user's disk (drag and drop, directory picker or <input webkitdirectory>).
 * Only the files needed for the chosen dtype are read: a folder often holds several multi-GB variants.
 */
import type { ModelDtype } from '../engine/shared/api';
import { DTYPE_SUFFIX } from './presets';

export interface LocalFile { path: string; file: File }
export interface LocalFolder { name: string; files: LocalFile[]; dtypes: ModelDtype[] }

const MODEL_RE = /(^|\/)model(_[a-z0-9]+)?\.onnx$/;

export function describeFolder(name: string, files: LocalFile[]): LocalFolder {
  const suffixes = new Set(files.map((f) => f.path.match(MODEL_RE)).filter((m) => m !== null).map((m) => m[2] ?? ''));
  const dtypes = (Object.keys(DTYPE_SUFFIX) as ModelDtype[]).filter((d) => d !== 'quantized' && suffixes.has(DTYPE_SUFFIX[d]));
  return { name, files, dtypes };
}

/** Configs, tokenizer, chat template and the onnx graph (+ external data) for one dtype. */
export function filesFor(folder: LocalFolder, dtype: ModelDtype): LocalFile[] {
  const base = `model${DTYPE_SUFFIX[dtype]}.onnx`;
  return folder.files.filter(({ path }) => {
    const name = path.split('/').pop() ?? '';
    if (/\.(json|jinja|txt|model)$/.test(name)) return true;
    return name === base || name.startsWith(`${base}_data`) || name.startsWith(`${base}.data`);
  });
}

export async function readFiles(files: LocalFile[], onProgress: (loaded: number, total: number) => void): Promise<Record<string, Uint8Array>> {
  const total = files.reduce((n, f) => n + f.file.size, 0);
  let loaded = 0;
  const out: Record<string, Uint8Array> = {};
  for (const f of files) {
    out[f.path] = new Uint8Array(await f.file.arrayBuffer());
    loaded += f.file.size;
    onProgress(loaded, total);
  }
  return out;
}

/** <input type=file webkitdirectory>: paths start with the folder name, which we strip. */
export function fromFileList(list: FileList): LocalFolder {
  const all = [...list];
  const name = all[0]?.webkitRelativePath.split('/')[0] ?? 'folder';
  return describeFolder(name, all.map((file) => ({ path: file.webkitRelativePath.split('/').slice(1).join('/') || file.name, file })));
}

export async function fromDrop(dt: DataTransfer): Promise<LocalFolder | null> {
  const entry = [...dt.items].map((i) => i.webkitGetAsEntry?.()).find((e) => e?.isDirectory) as FileSystemDirectoryEntry | undefined;
  if (!entry) return null;
  const files: LocalFile[] = [];
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    const reader = dir.createReader();
    // readEntries returns batches; an empty batch means the end.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((res, rej) => reader.readEntries(res, rej));
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.isDirectory) await walk(e as FileSystemDirectoryEntry, `${prefix}${e.name}/`);
        else files.push({ path: prefix + e.name, file: await new Promise<File>((res, rej) => (e as FileSystemFileEntry).file(res, rej)) });
      }
    }
  };
  await walk(entry, '');
  return describeFolder(entry.name, files);
}

type DirHandle = { name: string; kind: 'directory'; values(): AsyncIterable<DirHandle | FileHandle> };
type FileHandle = { name: string; kind: 'file'; getFile(): Promise<File> };

export const hasDirectoryPicker = () => typeof (globalThis as { showDirectoryPicker?: unknown }).showDirectoryPicker === 'function';

export async function fromDirectoryPicker(): Promise<LocalFolder> {
  const root = await (globalThis as unknown as { showDirectoryPicker(o?: object): Promise<DirHandle> }).showDirectoryPicker({ mode: 'read' });
  const files: LocalFile[] = [];
  const walk = async (dir: DirHandle, prefix: string): Promise<void> => {
    for await (const h of dir.values()) {
      if (h.kind === 'directory') await walk(h, `${prefix}${h.name}/`);
      else files.push({ path: prefix + h.name, file: await h.getFile() });
    }
  };
  await walk(root, '');
  return describeFolder(root.name, files);
}
