import { rerunCost } from '../../../bench/smallFiles';
import { goalRows } from '../../../bench/goals';
import type { Results } from '../../../bench/report';

describe('the unchanged rerun split into per-run and per-page requests', () => {
  it('takes what a page adds from two reruns of the same blobs in different page sizes', () => {
    // 1,000 blobs: 24 requests in one page; 54 in four pages of 250, so a page adds 10.
    const cost = rerunCost(1000, 24, 250, 54);
    expect(cost).toMatchObject({ pages: 1, smallPages: 4, perPage: 10, fixed: 14 });
    // A page whose digest matches costs the same whatever its size: 10 requests per 5,000 files.
    expect(cost.marginalPerFile).toBeCloseTo(10 / 5000, 10);
    expect(cost.comparedMarginalPerFile).toBeUndefined();
  });

  it('takes what comparing a page with the manifest adds from the rerun at unrecorded positions', () => {
    // The four pages compared made 66 requests, 12 more: 3 per page, so a compared page adds 13.
    const cost = rerunCost(1000, 24, 250, 54, 66);
    expect(cost).toMatchObject({ perPage: 10, comparedPerPage: 13 });
    // A full page of 5,000 reads its manifest rows in 5 query pages instead of 1: 17 requests.
    expect(cost.comparedMarginalPerFile).toBeCloseTo(17 / 5000, 10);
  });

  it('has no per-page figure when both reruns listed the same number of pages', () => {
    expect(rerunCost(10, 20, 10, 20).perPage).toBeNaN();
  });

  it('puts the per-file marginal in the goal row, not the run total over its files', () => {
    const results = {
      goals: {},
      memory: [],
      requests: [],
      smallFilesRerun: rerunCost(1000, 24, 250, 54),
    } as unknown as Results;
    const row = goalRows(results).find((g) =>
      g.goal.startsWith('Storage transactions per small file, unchanged'),
    );
    expect(row?.measured).toBe('0.0020 per file');
    expect(row?.met).toBe('yes');
    expect(row?.detail).toContain('fixed per run 14.0');
  });
});
