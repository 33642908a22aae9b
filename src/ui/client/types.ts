// The admin API's answers as the page reads them. The stored shapes come from the server's own
// types (type-only imports: nothing of the server reaches the bundle); what a route adds or reshapes
// on the way out is described here.
import type { Severity } from '../../alerts/expiry';
import type { ConnectionInput } from '../../auth/connectionInput';
import type { ConnectionTestReport } from '../../graph/connectionTest';
import type { DriveInfo, FolderInfo, FolderPage, SiteInfo } from '../../graph/drives';
import type { Connection } from '../../store/connections';
import type { Job, JobInput } from '../../store/jobs';
import type { Run, RunTotals } from '../../store/runs';

export type {
  ConnectionInput,
  ConnectionTestReport,
  DriveInfo,
  FolderInfo,
  FolderPage,
  Job,
  JobInput,
  SiteInfo,
};

/** A connection as the connections routes return it: with the client id in effect, never a secret. */
export interface ConnectionView extends Connection {
  ownApp: boolean;
  authorizePath?: string;
}

export interface ConnectionList {
  connections?: ConnectionView[];
}

export interface DriveList {
  drives?: DriveInfo[];
}

export interface SiteList {
  sites?: SiteInfo[];
}

export interface JobList {
  jobs?: Job[];
}

export interface RunList {
  runs?: Run[];
}

/** What starting a backup (the run) or a restore (its id and target) answers. */
export interface StartedRun {
  id?: string;
  runId?: string;
}

export interface RunFailure {
  file?: string;
  blobName?: string;
  code?: string;
  reason?: string;
  attempts?: number;
}

export interface InFlightFile {
  file: string;
  size?: number;
  bytesDone?: number;
}

/**
 * GET runs/{id}: the run with its live totals, its failed files and those being copied. A run
 * that failed as a whole may carry its error's code and advice beside the message.
 */
export interface RunView extends Omit<Run, 'totals'> {
  totals?: Partial<RunTotals>;
  failures?: RunFailure[];
  inFlight?: InFlightFile[];
  errorCode?: string;
  advice?: string;
}

export interface ContainerList {
  containers?: string[];
}

export interface ScheduleDescription {
  expression: string;
  description: string;
  next: string[];
}

/** Either the value or why it could not be read. */
export type StatusPart<T> = T | { error: { code: string; message: string } };

export interface SecretStatus {
  state?: string;
  expiresOn?: string;
  daysLeft?: number | null;
  severity?: Severity;
  error?: { code: string; message: string };
}

export interface ReauthNotice {
  id: string;
  name: string;
  reason?: string;
  advice?: string;
}

/** The app's credential when it is not the client secret (names, dates and codes only). */
export interface CredentialStatus {
  kind?: 'secret' | 'certificate' | 'federated';
  state?: string;
  certificateName?: string;
  thumbprint?: string;
  expiresOn?: string;
  daysLeft?: number;
  accepted?: boolean;
  renewedThumbprint?: string;
  lastRefusal?: { code?: string; reason?: string; at?: string };
  error?: { code: string; message: string };
}

export interface StatusView {
  credential?: CredentialStatus;
  clientSecret?: SecretStatus;
  connectionsNeedingReauthorization?: StatusPart<ReauthNotice[]>;
}
