// `drives` and `folders`: what a connection can reach, so a job's destination can be picked without
// the setup page. Folders are listed under a path, every page of them.
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION } from './client';
import { stringOption, UsageError, type Command } from './command';
import { formatBytes, printJson, printTable } from './format';

const NOT_FOUND = 'list the connections with `connection list`';

interface Drive {
  id: string;
  name?: string;
  driveType?: string;
  ownerName?: string;
  webUrl?: string;
  quota?: { total?: number; used?: number; remaining?: number };
}

interface FolderPage {
  folders: Array<{ id: string; name: string; path: string; childCount?: number }>;
  next?: string;
}

/** More pages than any real folder has: a server that keeps answering `next` cannot loop us forever. */
const MAX_PAGES = 500;

const drivesCommand: Command = {
  path: ['drives'],
  summary: "List the drives a connection can reach (its OneDrive, or a site's libraries)",
  usage: '[--json]',
  positionals: ['connectionId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [id]) {
    const { drives } = await clientFrom(values, io).get<{ drives: Drive[] }>(
      `connections/${encodeURIComponent(id!)}/drives`,
      { notFoundHint: NOT_FOUND },
    );
    if (values.json) {
      printJson(io, { drives });
      return 0;
    }
    printTable(
      io,
      ['ID', 'NAME', 'TYPE', 'OWNER', 'FREE'],
      drives.map((d) => [
        d.id,
        d.name ?? '-',
        d.driveType ?? '-',
        d.ownerName ?? '-',
        d.quota?.remaining === undefined ? '-' : formatBytes(d.quota.remaining),
      ]),
      'This connection reaches no drive.',
    );
    return 0;
  },
};

const foldersCommand: Command = {
  path: ['folders'],
  summary: "List the folders under a path of a connection's drive",
  usage: '[--path </folder>] [--json]',
  positionals: ['connectionId'],
  options: {
    path: { type: 'string', description: 'Folder to list, from the drive root (default /)' },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io, [id]) {
    const path = stringOption(values, 'path') ?? '/';
    if (!path.startsWith('/'))
      throw new UsageError(`--path: expected a path from the drive root such as /Backups, got '${path}'`);
    const client = clientFrom(values, io);
    const folders: FolderPage['folders'] = [];
    let next: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const result = await client.get<FolderPage>(`connections/${encodeURIComponent(id!)}/folders`, {
        query: { path, next },
        notFoundHint: `${NOT_FOUND}, and the folders under / with \`folders ${id}\``,
        fields: { path: 'path' },
      });
      folders.push(...result.folders);
      next = result.next;
      if (!next) break;
    }
    if (values.json) {
      printJson(io, { path, folders });
      return 0;
    }
    printTable(
      io,
      ['PATH', 'ITEMS'],
      folders.map((f) => [f.path, f.childCount === undefined ? '-' : String(f.childCount)]),
      `No folders under ${path}.`,
    );
    return 0;
  },
};

export const browseCommands: Command[] = [drivesCommand, foldersCommand];
