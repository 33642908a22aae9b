// The Graph JSON the product reads, typed, and the readers that check it at runtime.
//
// Hand-written rather than @microsoft/microsoft-graph-types: the product reads about a dozen
// fields, and JSON off the wire must be checked field by field whatever its declared type (those
// types declare every property optional and nullable, so the same checks would remain). They also
// leave out instance annotations the product depends on (`@microsoft.graph.downloadUrl`), and a
// types-only dependency is one more package to keep current for no check it would add.

export interface GraphHashes {
  /** Base64; the only hash both personal and business drives fill in. */
  quickXorHash?: string;
}

export interface GraphDriveItem {
  id: string;
  name?: string;
  size?: number;
  eTag?: string;
  webUrl?: string;
  file?: { hashes?: GraphHashes };
  folder?: { childCount?: number };
  /** `path` is the percent-encoded API path of the parent, e.g. /drive/root:/Backups. */
  parentReference?: { path?: string };
  /** The dates OneDrive shows for the file (the client's), apart from the service's own. */
  fileSystemInfo?: { createdDateTime?: string; lastModifiedDateTime?: string };
  /** Pre-authenticated, short-lived; present on files when Graph includes it. */
  '@microsoft.graph.downloadUrl'?: string;
}

export interface GraphQuota {
  total?: number;
  used?: number;
  remaining?: number;
  deleted?: number;
  /** normal, nearing, critical or exceeded. */
  state?: string;
}

export interface GraphDrive {
  id: string;
  name?: string;
  /** personal, business or documentLibrary. */
  driveType?: string;
  webUrl?: string;
  owner?: { user?: { displayName?: string } };
  quota?: GraphQuota;
}

export interface GraphSite {
  id: string;
  name?: string;
  displayName?: string;
  webUrl?: string;
}

export interface GraphUser {
  id?: string;
  displayName?: string;
  userPrincipalName?: string;
  mail?: string;
}

export interface GraphUploadSession {
  uploadUrl?: string;
  expirationDateTime?: string;
  /** What the server still needs, e.g. ["26-"]; empty when it has every byte. */
  nextExpectedRanges?: unknown;
}

/** `{error: {code, message, innerError}}`; some services spell it `innererror`. */
export interface GraphErrorBody {
  error?: { code?: unknown; message?: unknown; innerError?: unknown; innererror?: unknown };
}

/** A page of a collection; `@odata.nextLink` continues it. */
export interface GraphPage<T> {
  value: T[];
  nextLink?: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const obj = (value: unknown): Json | undefined => (isObject(value) ? value : undefined);

/** Drops undefined fields, so a read item compares and serializes like the answer it came from. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A driveItem with the fields of the declared types, or undefined when the answer has no id. */
export function readDriveItem(body: unknown): GraphDriveItem | undefined {
  if (!isObject(body) || typeof body.id !== 'string') return undefined;
  const file = obj(body.file);
  const folder = obj(body.folder);
  const parent = obj(body.parentReference);
  const dates = obj(body.fileSystemInfo);
  return defined({
    id: body.id,
    name: str(body.name),
    size: num(body.size),
    eTag: str(body.eTag),
    webUrl: str(body.webUrl),
    file: file && { hashes: defined({ quickXorHash: str(obj(file.hashes)?.quickXorHash) }) },
    folder: folder && defined({ childCount: num(folder.childCount) }),
    parentReference: parent && defined({ path: str(parent.path) }),
    fileSystemInfo:
      dates &&
      defined({
        createdDateTime: str(dates.createdDateTime),
        lastModifiedDateTime: str(dates.lastModifiedDateTime),
      }),
    '@microsoft.graph.downloadUrl': str(body['@microsoft.graph.downloadUrl']),
  });
}

export function readDrive(body: unknown): GraphDrive | undefined {
  if (!isObject(body) || body.id === undefined) return undefined;
  const quota = obj(body.quota);
  const user = obj(obj(body.owner)?.user);
  return defined({
    id: String(body.id),
    name: str(body.name),
    driveType: str(body.driveType),
    webUrl: str(body.webUrl),
    owner: user && { user: defined({ displayName: str(user.displayName) }) },
    quota:
      quota &&
      defined({
        total: num(quota.total),
        used: num(quota.used),
        remaining: num(quota.remaining),
        deleted: num(quota.deleted),
        state: str(quota.state),
      }),
  });
}

export function readSite(body: unknown): GraphSite | undefined {
  if (!isObject(body) || body.id === undefined) return undefined;
  return defined({
    id: String(body.id),
    name: str(body.name),
    displayName: str(body.displayName),
    webUrl: str(body.webUrl),
  });
}

export function readUser(body: unknown): GraphUser {
  const user = obj(body) ?? {};
  return defined({
    id: str(user.id),
    displayName: str(user.displayName),
    userPrincipalName: str(user.userPrincipalName),
    mail: str(user.mail),
  });
}

export function readUploadSession(body: unknown): GraphUploadSession {
  const session = obj(body) ?? {};
  return defined({
    uploadUrl: str(session.uploadUrl),
    expirationDateTime: str(session.expirationDateTime),
    nextExpectedRanges: session.nextExpectedRanges,
  });
}

/** The entries of a collection page that `read` accepts, and the page's nextLink. */
export function readPage<T>(body: unknown, read: (entry: unknown) => T | undefined): GraphPage<T> {
  const page = obj(body) ?? {};
  const entries = Array.isArray(page.value) ? page.value : [];
  const value = entries.map(read).filter((entry): entry is T => entry !== undefined);
  const nextLink = str(page['@odata.nextLink']);
  return nextLink === undefined ? { value } : { value, nextLink };
}

/** The code and message of a Graph error body, with stand-ins when the body is not one. */
export function readGraphError(body: unknown, status: number): { code: string; message: string } {
  const error = obj((body as GraphErrorBody | undefined)?.error);
  return {
    code: str(error?.code) ?? `http${status}`,
    message: str(error?.message)?.slice(0, 300) ?? `HTTP ${status}`,
  };
}
