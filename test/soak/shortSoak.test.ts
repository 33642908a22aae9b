// The short soak inside `npm test`: the same engine as `npm run soak` (scripts/soak.ts), scaled to
// 60 files from 0 B to 12 MiB, two SIGKILLs of the local host mid-run, and the same fault mix
// (about 10% of Graph requests failing every way, 416s, expired sessions, token endpoint outages
// after each restart, Key Vault 429s). It proves that crashes and faults never cost a byte or add a
// duplicate, and that the run record agrees with what is in the drive.
import { formatReport, runSoak, sizeDistribution, type SoakReport } from '../../scripts/soak';

const MiB = 1024 * 1024;

/** 60 files: the boundary sizes, mostly small ones, and a few session uploads of several chunks up to 12 MiB. */
function shortSizes(): number[] {
  const sizes = sizeDistribution(52, 60, 12 * MiB);
  sizes.push(5 * MiB, 6 * MiB + 1, 8 * MiB, 10 * MiB - 1, 11 * MiB, 12 * MiB, 12 * MiB - 7, 7 * MiB);
  return sizes;
}

let report: SoakReport;

beforeAll(async () => {
  report = await runSoak({
    files: 60,
    sizes: shortSizes(),
    kills: 2,
    killAfterMs: [2_500, 5_000],
    faultRate: 0.1,
    rangeConflictRate: 0.05,
    sessionExpiryRate: 0.1,
    tokenOutageRequests: 2,
    keyVaultThrottleRate: 0.1,
    // 1.25 MiB chunks: a 12 MiB file is ten chunks, so kills and faults land mid-session.
    chunkBytes: 327_680 * 4,
    invocationBudgetSeconds: 5,
    seed: 60,
    timeoutMs: 100_000,
  });
  // The figures, for docs/reliability.md and docs/benchmarks.md.
  console.log(formatReport(report));
}, 115_000);

describe('short soak: 60 files through a host killed twice under random faults', () => {
  it('ends with every file byte-identical, no duplicates, every file accounted for and the run agreeing', () => {
    expect(report.problems).toEqual([]);
    expect(report.verifiedFiles).toBe(60);
    expect(report.run.status).toBe('succeeded');
  });

  it('really was killed and really saw faults of every kind', () => {
    expect(report.kills).toBe(2);
    const kinds = Object.keys(report.faults).filter((k) => report.faults[k] > 0);
    // Random kinds over a few hundred requests: each appears with overwhelming probability, and
    // the seed makes the sequence repeatable.
    expect(kinds).toEqual(
      expect.arrayContaining([
        'graph: status 429',
        'graph: status 503',
        'graph: status 500',
        'graph: reset-request',
        'graph: reset-response',
        'token endpoint: status 503',
      ]),
    );
    expect(report.largestBytes).toBe(12 * MiB);
  });

  it('a kill costs each upload in flight at most the one chunk it had on the wire', () => {
    // Saved sessions are resumed with GET uploadUrl: before, a killed upload started again from byte 0.
    expect(report.resends.kills).toHaveLength(2);
    for (const kill of report.resends.kills) {
      expect(kill.maxSessionBytesPerFile).toBeLessThanOrEqual(report.chunkBytes);
      expect(kill.sessionBytes).toBeLessThanOrEqual(kill.filesInterrupted * report.chunkBytes);
    }
  });
});
