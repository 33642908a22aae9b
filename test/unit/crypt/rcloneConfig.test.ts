import { CryptError, rcloneConfigSection, reveal } from '../../../src/crypt';

describe('rcloneConfigSection', () => {
  it('writes rclone’s option names with obscured passwords that reveal to the originals', () => {
    const text = rcloneConfigSection('mybackup', {
      remote: 'onedrive:Backups/photos',
      password: 'p1',
      password2: 'p2',
      filenameEncryption: 'obfuscate',
      directoryNameEncryption: false,
    });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('[mybackup]');
    const values = Object.fromEntries(lines.slice(1).map((line) => line.split(' = ')));
    expect(values).toMatchObject({
      type: 'crypt',
      remote: 'onedrive:Backups/photos',
      filename_encryption: 'obfuscate',
      directory_name_encryption: 'false',
      filename_encoding: 'base32',
    });
    expect(reveal(values.password)).toBe('p1');
    expect(reveal(values.password2)).toBe('p2');
    expect(text).not.toContain('p1\n');
  });

  it('leaves password2 out when there is none and refuses what rclone.conf cannot hold', () => {
    expect(rcloneConfigSection('x', { remote: 'r:', password: 'p' })).not.toContain('password2');
    expect(() => rcloneConfigSection('bad]name', { remote: 'r:', password: 'p' })).toThrow(CryptError);
    expect(() => rcloneConfigSection('x', { remote: 'r:\n[evil]', password: 'p' })).toThrow(CryptError);
    expect(() => rcloneConfigSection('x', { remote: 'r:', password: '' })).toThrow(CryptError);
  });
});
