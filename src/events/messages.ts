// The settle check's queue message: which job and blob to look at, and the token of the event that
// scheduled it. Ids and a name only; the blob's facts are read from the source when it runs.
import { AppError } from '../errors';
import { blobNameProblem } from './blobEvent';

export interface SettleMessage {
  v: 1;
  jobId: string;
  blobName: string;
  token: string;
  /** How many times the check already waited for the blob to stop changing. */
  waits: number;
}

const ID = /^[A-Za-z0-9-]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_-]{8,64}$/;

const invalid = (why: string): AppError =>
  new AppError('MessageInvalid', `Malformed settle check: ${why}.`, {
    advice:
      'The message was not written by this version of the app, or was altered; nothing was done for it.',
  });

export function parseSettleMessage(raw: unknown): SettleMessage {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.v !== 1) throw invalid(`unknown version ${JSON.stringify(m.v)}`);
  if (typeof m.jobId !== 'string' || !ID.test(m.jobId)) throw invalid('jobId missing or malformed');
  if (typeof m.blobName !== 'string') throw invalid('blobName missing');
  const problem = blobNameProblem(m.blobName);
  if (problem) throw invalid(problem);
  if (typeof m.token !== 'string' || !TOKEN.test(m.token)) throw invalid('token missing or malformed');
  const waits = m.waits ?? 0;
  if (typeof waits !== 'number' || !Number.isSafeInteger(waits) || waits < 0)
    throw invalid('waits must be a whole number');
  return { v: 1, jobId: m.jobId, blobName: m.blobName, token: m.token, waits };
}
