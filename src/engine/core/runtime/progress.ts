/**
 * The one set of progress rules (ProgressEvent in api.ts), enforced in one place:
 *  - per stage, `loaded` never decreases and never exceeds `total`;
 *  - the last event of a stage has done=true and loaded === total, whatever happened before
 *    (sizes unknown up front, a body larger than its Content-Length because it was compressed,
 *    files served from a cache in one step);
 *  - nothing is emitted for a stage after its done event;
 *  - a stage that fails ends with the error, not with a done event.
 * Sources report per-file byte counts; the tracker aggregates them and thins the stream so a
 * 1 GB download does not send tens of thousands of events across the worker boundary.
 */
import type { ProgressEvent } from '../../shared/api';

export type ProgressSink = (e: ProgressEvent) => void;

interface FileState { loaded: number; declared: number; finished: boolean }

/** Emit at most about this many in-between events per stage (start, file boundaries and the end always go out). */
const STEPS = 200;

export class ProgressTracker {
  private readonly files = new Map<string, FileState>();
  private lastLoaded = -1;
  private lastTotal = -1;
  private closed = false;

  constructor(readonly stage: string, private readonly sink?: ProgressSink) {}

  /** Announces a file; `size` is its expected byte count when known (e.g. Content-Length). */
  start(file: string, size?: number): void {
    const f = this.state(file);
    if (size !== undefined && Number.isFinite(size) && size > 0) f.declared = Math.max(f.declared, size);
    this.emit(file, true);
  }

  /** Bytes of `file` received so far (cumulative). Smaller values than before are ignored. */
  update(file: string, loaded: number, size?: number): void {
    const f = this.state(file);
    if (size !== undefined && Number.isFinite(size) && size > 0 && !f.finished) f.declared = Math.max(f.declared, size);
    if (!f.finished && loaded > f.loaded) f.loaded = loaded;
    this.emit(file, false);
  }

  /** The file is complete and really has `bytes` bytes (its declared size, if any, is replaced). */
  finish(file: string, bytes: number): void {
    const f = this.state(file);
    f.loaded = Math.max(f.loaded, bytes);
    f.declared = f.loaded;
    f.finished = true;
    this.emit(file, true);
  }

  /** Ends the stage: every file counts as complete; emits done=true with loaded === total. Idempotent. */
  done(detail?: string): void {
    if (this.closed) return;
    for (const f of this.files.values()) { f.declared = f.loaded; f.finished = true; }
    const { loaded } = this.sums();
    this.closed = true;
    this.sink?.({ stage: this.stage, loaded, total: loaded, done: true, ...(detail ? { detail } : {}) });
  }

  get isDone(): boolean { return this.closed; }

  private state(file: string): FileState {
    let f = this.files.get(file);
    if (!f) this.files.set(file, (f = { loaded: 0, declared: 0, finished: false }));
    return f;
  }

  /** A file's total is what it declared, or what has arrived if that is more (unknown size, compressed body). */
  private sums(): { loaded: number; total: number } {
    let loaded = 0;
    let total = 0;
    for (const f of this.files.values()) { loaded += f.loaded; total += Math.max(f.declared, f.loaded); }
    return { loaded, total };
  }

  private emit(file: string, force: boolean): void {
    if (this.closed || !this.sink) return;
    const { loaded, total } = this.sums();
    if (loaded === this.lastLoaded && total === this.lastTotal) return;
    const moved = Math.max(loaded - this.lastLoaded, Math.abs(total - this.lastTotal));
    if (!force && moved < Math.max(1, total / STEPS)) return;
    this.lastLoaded = loaded;
    this.lastTotal = total;
    this.sink({ stage: this.stage, loaded, total, done: false, detail: file });
  }
}

/** A stage with no byte counts (e.g. building a session): one start event and one done event. */
export async function runStage<T>(stage: string, sink: ProgressSink | undefined, work: () => Promise<T>, detail?: string): Promise<T> {
  sink?.({ stage, loaded: 0, total: 1, done: false, ...(detail ? { detail } : {}) });
  const result = await work();
  sink?.({ stage, loaded: 1, total: 1, done: true, ...(detail ? { detail } : {}) });
  return result;
}
