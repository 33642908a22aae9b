import { AppError } from '../../../../src/errors';
import { assertUploadUrl, hostAllowed, UPLOAD_HOSTS_BY_CLOUD } from '../../../../src/backup/upload/uploadUrl';

describe('upload URL validation', () => {
  it('accepts the cloud upload hosts and an explicitly allowed local host', () => {
    expect(hostAllowed('contoso-my.sharepoint.com', UPLOAD_HOSTS_BY_CLOUD.global)).toBe(true);
    expect(hostAllowed('api.onedrive.com', UPLOAD_HOSTS_BY_CLOUD.global)).toBe(true);
    expect(() => assertUploadUrl('https://127.0.0.1:4443/up/abc/def', ['127.0.0.1'])).not.toThrow();
  });
  it.each([
    ['http://contoso-my.sharepoint.com/x', 'plain http'],
    ['https://evil.example/x', 'another host'],
    ['https://sharepoint.com.evil.example/x', 'a look-alike suffix'],
    ['https://user:pw@contoso-my.sharepoint.com/x', 'credentials in the URL'],
    ['https://169.254.169.254/metadata', 'the instance metadata address'],
    ['not a url', 'not a URL'],
  ])('refuses %s (%s)', (url) => {
    expect(() => assertUploadUrl(url, UPLOAD_HOSTS_BY_CLOUD.global)).toThrow(AppError);
    try {
      assertUploadUrl(url, UPLOAD_HOSTS_BY_CLOUD.global);
    } catch (error) {
      expect((error as AppError).code).toBe('MessageInvalid');
    }
  });
});
