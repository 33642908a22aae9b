// Pure parts of the restore: request validation.
import { containerNameProblem, validateRestoreRequest } from '../../../src/restore/request';

describe('restore requests', () => {
  it.each([
    ['ab', 'must be 3 to 63 characters long'],
    ['Upper', 'may contain only lowercase letters, digits and hyphens'],
    ['-abc', 'must start and end with a letter or digit'],
    ['a--b', 'must not contain two hyphens in a row'],
  ])('refuse the container name %p: %s', (name, rule) => {
    expect(containerNameProblem(name)).toBe(rule);
    expect(() => validateRestoreRequest({ targetContainer: name }, { disasterRecovery: false })).toThrow(
      expect.objectContaining({
        code: 'ValidationFailed',
        field: 'targetContainer',
        message: `targetContainer: ${rule}`,
      }),
    );
  });

  it('refuse an unknown overwrite policy and a folder for a job restore, naming the field', () => {
    expect(() =>
      validateRestoreRequest({ targetContainer: 'abc', overwrite: 'merge' }, { disasterRecovery: false }),
    ).toThrow(expect.objectContaining({ field: 'overwrite' }));
    expect(() =>
      validateRestoreRequest({ targetContainer: 'abc', folderPath: 'x' }, { disasterRecovery: false }),
    ).toThrow(expect.objectContaining({ field: 'folderPath' }));
  });

  it('default to fail-if-exists, so a restore never overwrites unless asked', () => {
    expect(
      validateRestoreRequest({ targetContainer: 'restored-1' }, { disasterRecovery: true }),
    ).toMatchObject({
      targetContainer: 'restored-1',
      overwrite: 'fail-if-exists',
    });
  });
});
