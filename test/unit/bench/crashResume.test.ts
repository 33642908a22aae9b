// The crash part's figures from a soak report (bench/crashResume.ts): per kill what it made the
// product send again, and every resend charged to anything but a kill counted apart, so a resume
// that started a file over cannot hide under another cause.
import { crashJobSizes, crashResultOf } from '../../../bench/crashResume';
import type { SoakReport } from '../../../scripts/soak';

const MiB = 1024 ** 2;

function report(byCause: Record<string, number>): SoakReport {
  return {
    machine: 'test',
    date: '2026-12-02',
    files: 2,
    bytes: 60 * MiB,
    largestBytes: 50 * MiB,
    wallSeconds: 30,
    runSeconds: 25,
    kills: 1,
    sessionExpiries: 0,
    faults: {},
    faultsTotal: 0,
    graphRequests: 20,
    retries: {},
    redeliveries: 1,
    poisoned: 0,
    bytesOffered: 80 * MiB,
    bytesResent: 20 * MiB,
    chunkBytes: 10 * MiB,
    resends: {
      byCause,
      kills: [
        {
          kill: 1,
          filesInterrupted: 1,
          sessionBytes: 10 * MiB,
          simpleBytes: 0,
          maxSessionBytesPerFile: 10 * MiB,
          firstResumeMs: 8100,
        },
      ],
    },
    run: { status: 'succeeded', totals: {}, failures: [] },
    verifiedFiles: 2,
    problems: [],
  };
}

describe('crash part figures', () => {
  it('keeps each kill and counts resends charged to other causes apart', () => {
    const result = crashResultOf(report({ 'kill 1': 10 * MiB, 'session expired': 10 * MiB, other: 1 * MiB }));
    expect(result.kills).toEqual([
      {
        kill: 1,
        filesInterrupted: 1,
        sessionBytes: 10 * MiB,
        maxSessionBytesPerFile: 10 * MiB,
        simpleBytes: 0,
        firstResumeMs: 8100,
      },
    ]);
    expect(result.resentOtherwise).toBe(11 * MiB);
    expect(result).toMatchObject({
      files: 2,
      verifiedFiles: 2,
      chunkBytes: 10 * MiB,
      runStatus: 'succeeded',
    });
  });

  it('counts nothing apart when every resend is a kill’s', () => {
    expect(crashResultOf(report({ 'kill 1': 10 * MiB, 'kill 12': 5 })).resentOtherwise).toBe(0);
  });

  it('backs up files of several chunks, so a kill lands mid-file', () => {
    const sizes = crashJobSizes();
    expect(sizes.filter((s) => s > 2 * 10 * MiB).length).toBeGreaterThanOrEqual(20);
  });
});
