// Live progress of a backup or restore run, polled from GET runs/{id} until it ends, shown in the
// card of its job: bytes and files, elapsed time, current speed and ETA, the files in flight, the
// failures as they happen, and the throughput over the time it was watched.
import { api, enc, isKeyRefusal } from './api';
import { areaChart } from './chart';
import { $, clearError, fmtBytes, h, isFinished, plural, showError, type Child } from './core';
import { fmtDuration, fmtLocal, fmtUtc, parseTime } from './format';
import { refreshJobs, runSlot } from './jobs';
import { currentSpeed, doneFraction, filesText, rates, runCounts, type Sample } from './runText';
import type { RunView } from './types';

// One run is watched at a time; a poll that finds another run's token in place stops quietly.
let runPoll: number | null = null;
let runToken: object | null = null;
let samples: Sample[] = [];
let watchedRunId: string | null = null;

export function stopRunPoll(): void {
  if (runPoll) window.clearTimeout(runPoll);
  runPoll = null;
  runToken = null;
}

/** The run the panel follows, while it is unfinished (the page's refresh leaves it alone). */
export function watchedRun(): string | null {
  return runPoll !== null || runToken !== null ? watchedRunId : null;
}

export function watchRun(runId: string, title: string, jobId?: string, focus = true): void {
  stopRunPoll();
  const section = $('run-section');
  // Beside its job, where a person looks for it, not at the bottom of the page.
  const slot = jobId ? runSlot(jobId) : undefined;
  if (slot && section.parentElement !== slot) slot.append(section);
  section.hidden = false;
  // A new run starts unfinished: a status left from the previous run must never read as this one's.
  section.setAttribute('data-run-status', 'starting');
  section.setAttribute('data-run-id', runId);
  $('run-title').textContent = title;
  $('run-view').replaceChildren(h('p', { className: 'meta', text: 'Starting\u2026' }));
  clearError($('run-error'));
  if (focus) {
    $('run-title').setAttribute('tabindex', '-1');
    $('run-title').focus();
  }
  samples = [];
  watchedRunId = runId;
  const token = {};
  runToken = token;
  async function poll(): Promise<void> {
    if (runToken !== token) return;
    let run: RunView | undefined;
    try {
      run = await api<RunView>('GET', 'runs/' + enc(runId));
      clearError($('run-error'));
    } catch (error) {
      if (isKeyRefusal(error)) return;
      showError($('run-error'), error);
    }
    if (runToken !== token) return;
    if (run) renderRun(run);
    if (run && isFinished(run)) {
      runPoll = null;
      runToken = null;
      refreshJobs();
      return;
    }
    runPoll = window.setTimeout(poll, 1000);
  }
  poll();
}

function closeButton(): HTMLButtonElement {
  return h('button', {
    text: 'Close',
    attrs: { type: 'button', 'aria-label': 'Close the run view' },
    on: {
      click: () => {
        stopRunPoll();
        watchedRunId = null;
        $('run-section').hidden = true;
      },
    },
  });
}

function elapsedMs(run: RunView): number {
  const started = parseTime(run.startedAt || run.createdAt);
  const ended = parseTime(run.endedAt);
  return started ? (ended ? ended.getTime() : Date.now()) - started.getTime() : 0;
}

/** A titled list of files, each its name in code and a line about it; nothing when empty. */
function fileList(title: string, className: string, rows: Array<[string, Child[]]>): Node[] {
  if (!rows.length) return [];
  return [
    h('h4', { text: title }),
    h(
      'ul',
      { className, attrs: { 'aria-label': title } },
      rows.map(([name, rest]) => h('li', {}, [h('code', { text: name }), ...rest])),
    ),
  ];
}

function failureList(run: RunView): Node[] {
  return fileList(
    'Failed files',
    'failures',
    (run.failures || []).map((f) => [
      f.file || f.blobName || '',
      [
        ': ' + (f.reason || f.code || 'failed'),
        f.code && f.reason ? ' (' + f.code + ')' : '',
        f.attempts ? ' after ' + plural(f.attempts, 'attempt') : '',
      ],
    ]),
  );
}

function inFlightList(run: RunView): Node[] {
  if (isFinished(run)) return [];
  return fileList(
    'Copying now',
    'inflight',
    (run.inFlight || []).map((f) => [
      f.file,
      [' ' + fmtBytes(f.bytesDone || 0) + ' of ' + fmtBytes(f.size || 0)],
    ]),
  );
}

function throughputChart(): Node[] {
  const points = rates(samples);
  if (points.length < 2) return [];
  const start = samples[0].at;
  const peak = Math.max(...points.map((p) => p.rate));
  return [
    h('div', { className: 'chart-box', attrs: { 'data-field': 'throughput-chart' } }, [
      areaChart(
        points.map((p) => ({ x: (p.at - start) / 1000, y: p.rate })),
        'Throughput over the last ' + fmtDuration(points[points.length - 1].at - start),
        'peak ' + fmtBytes(peak) + '/s',
      ),
    ]),
  ];
}

function problem(run: RunView): Node[] {
  if (!run.error) return [];
  return [
    h('p', { className: 'error', attrs: { 'data-field': 'run-problem' } }, [
      h('strong', { text: 'Why it failed: ' }),
      run.error,
      run.errorCode ? ' (' + run.errorCode + ')' : '',
      run.advice ? ' ' + run.advice : '',
    ]),
  ];
}

export function renderRun(run: RunView): void {
  const finished = isFinished(run);
  const c = runCounts(run);
  if (!finished) samples.push({ at: Date.now(), bytes: c.bytesCopied });
  if (samples.length > 600) samples.shift();
  const fraction = doneFraction(run, c, run.status === 'succeeded');
  const bad = run.status === 'failed' || run.status === 'timed-out';
  const bar = h('progress', {
    className: bad ? 'bad' : run.status === 'partially-failed' ? 'warn' : '',
    attrs: { max: '1000', value: String(Math.round(fraction * 1000)), 'aria-label': 'Bytes copied' },
  });
  const elapsed = elapsedMs(run);
  const average = elapsed > 0 ? c.bytesCopied / (elapsed / 1000) : 0;
  const speed = finished ? undefined : currentSpeed(samples);
  const left = c.bytesToCopy - c.bytesCopied;
  const figures: [string, Node | string][] = [
    [
      'Status',
      h('span', {
        className: 'status-' + run.status,
        text: run.status,
        attrs: { 'data-field': 'run-status' },
      }),
    ],
    ['Files', h('span', { attrs: { 'data-field': 'run-files' }, text: filesText(run, c, finished) })],
    [
      'Bytes',
      h('span', {
        attrs: { 'data-field': 'run-bytes' },
        text:
          c.bytesToCopy === 0 && c.bytesCopied === 0
            ? 'nothing to copy'
            : fmtBytes(c.bytesCopied) +
              ' of ' +
              fmtBytes(c.bytesToCopy) +
              (c.bytesFailed ? ' (' + fmtBytes(c.bytesFailed) + ' in failed files)' : ''),
      }),
    ],
    [finished ? 'Took' : 'Elapsed', fmtDuration(elapsed)],
    [
      'Speed',
      h('span', {
        attrs: { 'data-field': 'run-speed' },
        text:
          (speed !== undefined ? fmtBytes(speed) + '/s now, ' : '') +
          fmtBytes(run.throughputBytesPerSecond || average) +
          '/s average',
      }),
    ],
  ];
  if (!finished && speed && left > 0)
    figures.push([
      'Time left',
      h('span', { attrs: { 'data-field': 'run-eta' }, text: 'about ' + fmtDuration((left / speed) * 1000) }),
    ]);
  const started = parseTime(run.startedAt || run.createdAt);
  if (started) figures.push(['Started', fmtUtc(started) + ' (' + fmtLocal(started) + ')']);
  if (run.snapshotFolder) figures.push(['Snapshot', run.snapshotFolder]);
  const dl = h('dl', { className: 'figures' });
  figures.forEach(([term, value]) => dl.append(h('dt', { text: term }), h('dd', {}, [value])));
  $('run-view').replaceChildren(
    h('div', { className: 'progress' }, [bar]),
    ...problem(run),
    dl,
    ...throughputChart(),
    ...inFlightList(run),
    ...failureList(run),
    h('div', { className: 'actions' }, [closeButton()]),
  );
  $('run-section').setAttribute('data-run-id', run.id);
  $('run-section').setAttribute('data-run-status', run.status);
}
