// A file that fails because its blob changed or vanished during the run says so; a 404 or 409 from
// the drive (Graph) keeps its own words, since the blob is not at fault there.
import { sourceAware } from '../../../src/backup/uploadFiles';
import { graphFailureToError } from '../../../src/graph/errors';
import { toSourceError } from '../../../src/sources/storageErrors';

describe('sourceAware', () => {
  it.each([
    ['deleted', { statusCode: 404, code: 'BlobNotFound' }, 'NotFound'],
    ['changed', { statusCode: 412, code: 'ConditionNotMet' }, 'Conflict'],
  ])('says the blob was %s during the backup', (_, storage, code) => {
    const error = sourceAware(toSourceError(storage, { container: 'c', name: 'a.bin', etag: '"1"' }));
    expect(error).toMatchObject({
      code,
      message: expect.stringMatching(/^The blob changed or was deleted during the backup/),
    });
  });

  it.each([
    [404, 'itemNotFound', 'NotFound'],
    [409, 'nameAlreadyExists', 'Conflict'],
  ])('leaves a Graph %s as Graph said it', (status, graphCode, code) => {
    const graph = graphFailureToError({ status, code: graphCode }, 'Read uploaded item');
    const error = sourceAware(graph);
    expect(error).toBe(graph);
    expect(error).toMatchObject({ code, message: expect.not.stringMatching(/blob/) });
  });
});
