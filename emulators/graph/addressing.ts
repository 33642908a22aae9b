// Graph's ways of naming a drive and an item, parsed from the still percent-encoded request path:
//   /me/drive | /users/{id}/drive | /drives/{id} | /sites/{id}/drive
//   followed by /root | /items/{id}, optionally :/{path} (with or without the closing ':'),
//   optionally /{action} (children, content, createUploadSession, copy, versions, delta,
//   permanentDelete).
// A ':' in a name arrives encoded (%3A), so raw colons are always delimiters.
import { GraphError } from './errors';
import { decodeSegments } from './names';

export type DriveRef =
  | { kind: 'me' }
  | { kind: 'user'; id: string }
  | { kind: 'drive'; id: string }
  | { kind: 'site'; id: string };

export interface ItemRef {
  /** 'root' or an item id. */
  base: { root: true } | { id: string };
  /** Decoded path segments after ':', when the address uses the path syntax. */
  segments?: string[];
}

export interface DriveAddress {
  drive: DriveRef;
  item?: ItemRef;
  action?: string;
}

const DRIVE_PREFIX =
  /^\/(?:me\/drive|users\/([^/]+)\/drive|drives\/([^/:]+)|sites\/([^/]+)\/drive)(?=\/|$)(.*)$/;

/** Parses a path below /v1.0; undefined when it is not a drive or item address. */
export function parseDriveAddress(apiPath: string): DriveAddress | undefined {
  const match = DRIVE_PREFIX.exec(apiPath);
  if (!match) return undefined;
  const [, user, driveId, site, rest] = match;
  const drive: DriveRef = user
    ? { kind: 'user', id: decode(user) }
    : driveId
      ? { kind: 'drive', id: decode(driveId) }
      : site
        ? { kind: 'site', id: decode(site) }
        : { kind: 'me' };
  if (rest === '' || rest === '/') return { drive };

  const itemMatch = /^\/(?:root|items\/([^/:]+))(.*)$/.exec(rest);
  if (!itemMatch) return undefined;
  const base = itemMatch[1] ? { id: decode(itemMatch[1]) } : ({ root: true } as const);
  let tail = itemMatch[2];
  let segments: string[] | undefined;
  if (tail.startsWith(':')) {
    const close = tail.indexOf(':', 1);
    segments = decodeSegments(close < 0 ? tail.slice(1) : tail.slice(1, close));
    tail = close < 0 ? '' : tail.slice(close + 1);
  }
  if (tail === '' || tail === '/') return { drive, item: { base, segments } };
  const action = /^\/(?:microsoft\.graph\.)?([A-Za-z]+)$/.exec(tail)?.[1];
  if (!action) return undefined;
  return { drive, item: { base, segments }, action };
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GraphError(400, 'invalidRequest', `Malformed percent-encoding in "${segment}".`);
  }
}
