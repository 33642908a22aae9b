// Restore targets: the containers RESTORE_TARGET_CONTAINERS names (the ones the template grants the
// identity write access to) are the only ones a restore may start into; the API says which.
import { LOCAL_BLOB_ENDPOINTS } from '../../helpers/blobEndpoints';
import { isAppError } from '../../../src/errors';
import { restoreFromConnection, restoreTargets, type RestoreApiDeps } from '../../../src/restore/api';
import { assertRestoreTarget, parseRestoreTargets } from '../../../src/restore/targets';

const request = (body: unknown) => ({
  method: 'POST',
  url: 'https://func.example/api/connections/c1/restore',
  params: { id: 'c1' },
  query: new URLSearchParams(),
  headers: {},
  body: JSON.stringify(body),
});

function apiDeps(targets: string | undefined): RestoreApiDeps & { drives: string[] } {
  const drives: string[] = [];
  return {
    drives,
    blobEndpoints: LOCAL_BLOB_ENDPOINTS,
    restore: {
      settings: { targetContainers: parseRestoreTargets(targets) },
      drive: async (id: string) => {
        drives.push(id);
        throw new Error('stop here: the target was accepted');
      },
    } as never,
    job: async () => {
      throw new Error('no job');
    },
  };
}

describe('restore targets', () => {
  it('parses container and account/container entries; unset means unrestricted', () => {
    expect(parseRestoreTargets(undefined)).toBeUndefined();
    expect(parseRestoreTargets(' ')).toBeUndefined();
    expect(parseRestoreTargets('restore, SrcData/restored')).toEqual([
      { container: 'restore' },
      { account: 'srcdata', container: 'restored' },
    ]);
  });

  it('allows a listed container in its account and refuses everything else, naming the allowed ones', () => {
    const targets = parseRestoreTargets('srcdata/restore');
    expect(() =>
      assertRestoreTarget(targets, 'restore', 'https://srcdata.blob.core.windows.net'),
    ).not.toThrow();
    for (const [container, endpoint] of [
      ['photos', 'https://srcdata.blob.core.windows.net'],
      ['restore', 'https://other.blob.core.windows.net'],
    ]) {
      let error: unknown;
      try {
        assertRestoreTarget(targets, container, endpoint);
      } catch (e) {
        error = e;
      }
      expect(isAppError(error, 'ValidationFailed')).toBe(true);
      expect((error as Error).message).toContain('can restore only into srcdata/restore');
      expect((error as { field?: string }).field).toBe('targetContainer');
    }
    expect(() => assertRestoreTarget(undefined, 'anything', undefined)).not.toThrow();
  });

  it('the API refuses a restore into another container before it touches the drive', async () => {
    const deps = apiDeps('srcdata/restore');
    await expect(
      restoreFromConnection(
        deps,
        'c1',
        request({ targetContainer: 'photos', blobEndpoint: 'https://srcdata.blob.core.windows.net' }),
      ),
    ).rejects.toMatchObject({ code: 'ValidationFailed', field: 'targetContainer' });
    expect(deps.drives).toEqual([]);
    await expect(
      restoreFromConnection(
        deps,
        'c1',
        request({ targetContainer: 'restore', blobEndpoint: 'https://srcdata.blob.core.windows.net' }),
      ),
    ).rejects.toThrow('stop here');
    expect(deps.drives).toEqual(['c1']);
  });

  it('GET api/restore/targets lists where a restore may write', () => {
    expect(restoreTargets(apiDeps('srcdata/restore,srcdata/b'))).toMatchObject({
      status: 200,
      body: { restricted: true, containers: ['srcdata/restore', 'srcdata/b'] },
    });
    expect(restoreTargets(apiDeps(undefined))).toMatchObject({ body: { restricted: false, containers: [] } });
  });
});
