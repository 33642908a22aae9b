// Graph failures as typed errors with advice. The Graph SDK throws GraphError {statusCode, code,
// message}; only the status, the Graph error code and the message are kept (never request content).
import { AppError, type ErrorCode } from '../errors';

export function graphStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: number })?.statusCode;
  return typeof status === 'number' && status > 0 ? status : undefined;
}

export function graphErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
}

export function toAppError(error: unknown, what: string): AppError {
  if (error instanceof AppError) return error;
  const status = graphStatus(error);
  const code = graphErrorCode(error);
  const detail = `${what}: Graph ${status ?? 'network error'}${code ? ` ${code}` : ''}`;
  const make = (appCode: ErrorCode, advice?: string): AppError =>
    new AppError(appCode, detail, { detail, advice, cause: error });
  if (status === 404)
    return make(
      'NotFound',
      'Check the drive, site or folder still exists and the signed-in account can see it.',
    );
  if (status === 401) return make('Unauthorized', 'Authorize the connection again.');
  if (status === 403)
    return make(
      'ConsentRequired',
      'The account or app lacks permission here: check the granted permissions (Files.ReadWrite.All, Sites.Read.All for SharePoint) and that the account can write to this location.',
    );
  if (status === 507) return make('QuotaExceeded', 'The OneDrive is full: free space or pick another drive.');
  if (status === 429 || status === 503) return make('Throttled');
  if (status === undefined || status >= 500) return make('Transient');
  return make('UpstreamError');
}
