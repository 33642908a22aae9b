// Sealing off the event loop. On the main thread, sealing a 10 MiB chunk (about 45 ms at 230 MiB/s)
// blocks everything else: the PUT of the previous chunk stops streaming while the next one is sealed,
// so encryption and upload run one after the other. In a worker the read-ahead's sealing runs on
// another core while the main thread keeps the socket fed. The buffers are SharedArrayBuffers, so a
// task moves no bytes between threads; the worker count is small (one per spare core, at most two):
// one file in flight keeps one chunk sealing at a time, and more would only contend for the cores.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkOpenJob, checkSealJob, type BlockSealer, type OpenJob, type SealJob } from './blockSeal';
import { nativeSodiumPath } from './nativeSecretbox';
import { SEAL_WORKER_SOURCE } from './sealWorkerSource';

interface Task {
  id: number;
  op: 'seal' | 'open';
  job: SealJob | OpenJob;
  /** The first box that did not open, or -1 (always -1 for a seal). */
  resolve(bad: number): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  task?: Task;
}

export class SealPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  /**
   * @param native seal with the native addon where it loaded (../nativeSecretbox.ts); false keeps
   *   the WebAssembly build (tests compare the two).
   */
  constructor(
    readonly size = defaultWorkers(),
    private readonly native = true,
  ) {
    if (!Number.isSafeInteger(size) || size < 1)
      throw new RangeError('a seal pool needs at least one worker');
  }

  /** Seals in a worker; `plain` and `cipher` must be views of SharedArrayBuffers. */
  readonly seal: BlockSealer = async (job) => {
    await this.run('seal', job, () => checkSealJob(job));
  };

  /**
   * Opens boxes in a worker (openBlocksSync's contract): resolves with the first box that does not
   * authenticate, or -1. `plain` and `cipher` must be views of SharedArrayBuffers.
   */
  open(job: OpenJob): Promise<number> {
    return this.run('open', job, () => checkOpenJob(job));
  }

  private run(op: Task['op'], job: SealJob | OpenJob, check: () => void): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the seal pool is closed'));
    if (!(job.plain.buffer instanceof SharedArrayBuffer) || !(job.cipher.buffer instanceof SharedArrayBuffer))
      return Promise.reject(new TypeError('a worker seals only views of SharedArrayBuffers'));
    try {
      check();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, op, job, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the workers; what is queued or running fails. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('the seal pool is closed'));
    await Promise.all(this.slots.splice(0).map((slot) => slot.worker.terminate()));
  }

  /** Workers started and alive (tests). */
  get workerCount(): number {
    return this.slots.length;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.task);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift()!;
      slot.task = task;
      // Referenced only while busy: an idle pool must not keep the process alive, a busy one must
      // (a caller awaiting only a seal would otherwise see the process exit under it).
      slot.worker.ref();
      const { key, nonce, plain, cipher } = task.job;
      slot.worker.postMessage({ id: task.id, op: task.op, key, nonce, plain, cipher });
    }
  }

  private spawn(): Slot {
    const worker = new Worker(SEAL_WORKER_SOURCE, {
      eval: true,
      workerData: {
        sodiumPath: require.resolve('libsodium-wrappers'),
        nativePath: this.native ? nativeSodiumPath : undefined,
      },
      // Not the parent's flags: a loader such as tsx would be loaded again in every worker for nothing.
      execArgv: [],
    });
    const slot: Slot = { worker };
    worker.on('message', (answer: { id: number; bad?: number; error?: string }) => {
      const task = slot.task;
      if (!task || task.id !== answer.id) return;
      slot.task = undefined;
      worker.unref();
      if (answer.error) task.reject(new Error(`sealing failed: ${answer.error}`));
      else task.resolve(answer.bad ?? -1);
      this.dispatch();
    });
    const lost = (error: Error): void => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      const task = slot.task;
      slot.task = undefined;
      task?.reject(error);
      if (!this.closed) this.dispatch();
    };
    worker.on('error', (error) => lost(error instanceof Error ? error : new Error(String(error))));
    worker.on('exit', (code) => lost(new Error(`the sealing worker exited (${code})`)));
    // After the listeners: adding a 'message' listener references the worker again.
    worker.unref();
    this.slots.push(slot);
    return slot;
  }
}

function defaultWorkers(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

let shared: SealPool | undefined;

/** The process's pool, started on first use. */
export function sharedSealPool(): SealPool {
  if (!shared) shared = new SealPool();
  return shared;
}

/** Stops the process's pool if it was started (tests, clean shutdown); the next use starts another. */
export async function closeSharedSealPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
