// The short soak inside `npm test`: the same engine as `npm run soak` (scripts/soak.ts), scaled to
// 60 files from 0 B to 12 MiB, two SIGKILLs of the local host mid-run, and the same fault mix
// (about 10% of Graph requests failing every way, 416s, expired sessions, token endpoint outages
// after each restart, Key Vault 429s). It proves that crashes and faults never cost a byte or add a
// duplicate, and that the run record agrees with what is in the drive.
import { formatReport, runSoak, shortSoakOptions, type SoakReport } from '../../scripts/soak';

const MiB = 1024 * 1024;

let report: SoakReport;

beforeAll(async () => {
  report = await runSoak(shortSoakOptions());
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

  it('a kill costs the uploads in flight the chunk they had on the wire, not the file', () => {
    // Saved sessions are resumed with GET uploadUrl: no file sends more than one chunk again
    // because of a kill. A new session's catching up is charged to what lost the old one, so a
    // session the soak expired before or after the kill is the expiry's (scripts/soakResends.ts);
    // each file over the rule comes with its story, printed here when the rule fails.
    expect(report.resends.kills).toHaveLength(2);
    for (const kill of report.resends.kills) {
      expect({ kill: kill.kill, over: kill.filesOverChunk?.files ?? [] }).toEqual({
        kill: kill.kill,
        over: [],
      });
      expect(kill.maxSessionBytesPerFile).toBeLessThanOrEqual(report.chunkBytes);
    }
  });
});
