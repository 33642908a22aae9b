// A job's encryption option: rclone crypt's own defaults, field-named refusals, fixed once the job
// exists, and passwords that never become part of the job.
import { AppError } from '../../../src/errors';
import {
  fromEncryptionRow,
  passwordsOf,
  toEncryptionRow,
  validateEncryption,
} from '../../../src/store/jobEncryption';
import { validateJob } from '../../../src/store/jobs';

const fieldOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return (error as AppError).field;
  }
  return undefined;
};

const JOB = {
  name: 'n',
  connectionId: 'c',
  source: { container: 'abc' },
  destinationFolder: 'd',
  schedule: '0 0 2 * * *',
};

describe('validateEncryption', () => {
  it('is off when left out, and takes rclone crypt defaults for what a crypt job leaves out', () => {
    expect(validateEncryption(undefined, undefined)).toEqual({ mode: 'off' });
    expect(validateEncryption({ mode: 'rclone-crypt' }, undefined)).toEqual({
      mode: 'rclone-crypt',
      filenameEncryption: 'standard',
      directoryNameEncryption: true,
      filenameEncoding: 'base32',
    });
  });

  it.each([
    [{ mode: 'aes' }, 'encryption.mode'],
    [{ mode: 'rclone-crypt', filenameEncryption: 'hidden' }, 'encryption.filenameEncryption'],
    [{ mode: 'rclone-crypt', directoryNameEncryption: 'yes' }, 'encryption.directoryNameEncryption'],
    [{ mode: 'rclone-crypt', filenameEncoding: 'hex' }, 'encryption.filenameEncoding'],
    [{ mode: 'off', filenameEncryption: 'standard' }, 'encryption.filenameEncryption'],
    [{ mode: 'rclone-crypt', key: 'x' }, 'encryption.key'],
    ['rclone-crypt', 'encryption'],
  ])('refuses %j naming %s', (input, field) => {
    expect(fieldOf(() => validateEncryption(input, undefined))).toBe(field);
  });

  it('cannot change once the job exists, in either direction', () => {
    const crypt = validateEncryption({ mode: 'rclone-crypt' }, undefined);
    expect(fieldOf(() => validateEncryption({ mode: 'off' }, crypt))).toBe('encryption');
    expect(fieldOf(() => validateEncryption({ mode: 'rclone-crypt' }, { mode: 'off' }))).toBe('encryption');
    expect(
      fieldOf(() => validateEncryption({ mode: 'rclone-crypt', filenameEncryption: 'off' }, crypt)),
    ).toBe('encryption');
    // Left out on an edit: kept as it is.
    expect(validateEncryption(undefined, crypt)).toEqual(crypt);
  });

  it('is part of the job through validateJob, and an edit cannot switch it', () => {
    const job = validateJob({ ...JOB, encryption: { mode: 'rclone-crypt' } }, undefined, 'j1', new Date());
    expect(job.encryption.mode).toBe('rclone-crypt');
    expect(fieldOf(() => validateJob({ encryption: { mode: 'off' } }, job, 'j1', new Date()))).toBe(
      'encryption',
    );
    expect(validateJob({ name: 'renamed' }, job, 'j1', new Date()).encryption).toEqual(job.encryption);
  });

  it('round-trips through the table row, and old rows are off', () => {
    const crypt = validateEncryption(
      {
        mode: 'rclone-crypt',
        filenameEncryption: 'obfuscate',
        directoryNameEncryption: false,
        filenameEncoding: 'base64',
      },
      undefined,
    );
    expect(fromEncryptionRow(toEncryptionRow(crypt))).toEqual(crypt);
    expect(fromEncryptionRow({})).toEqual({ mode: 'off' });
    expect(JSON.stringify(toEncryptionRow(crypt))).not.toMatch(/password/i);
  });
});

describe('passwordsOf', () => {
  it('takes the passwords apart from the job and refuses weak ones by name', () => {
    expect(
      passwordsOf({ mode: 'rclone-crypt', password: 'correct horse battery', password2: 'salt' }),
    ).toEqual({
      password: 'correct horse battery',
      password2: 'salt',
    });
    expect(passwordsOf({ mode: 'rclone-crypt' })).toEqual({ password: undefined, password2: undefined });
    expect(fieldOf(() => passwordsOf({ password: 'short' }))).toBe('encryption.password');
    expect(fieldOf(() => passwordsOf({ password: 42 }))).toBe('encryption.password');
  });

  it('is refused by validateJob if it reaches the job (the admin API takes it out first)', () => {
    expect(
      fieldOf(() =>
        validateJob(
          { ...JOB, encryption: { mode: 'off', password: 'correct horse battery' } },
          undefined,
          'j',
          new Date(),
        ),
      ),
    ).toBe('encryption.password');
  });
});
