// `connection add | list | authorize | test | delete`: the OneDrive or SharePoint sign-ins. Adding one prints
// the address to open in a browser: the authorize route is an admin route, so that address carries
// the function key as ?code= (the only place the CLI ever prints the key, and it says so).
import { adviceForCli } from './advice';
import { clientFrom, CONNECT_OPTIONS, JSON_OPTION, type ApiClient } from './client';
import {
  CliFailure,
  requiredOptions,
  stringOption,
  UsageError,
  writeLine,
  type CliIO,
  type Command,
  type OptionValues,
} from './command';
import { printJson, printTable } from './format';

export interface ConnectionView {
  id: string;
  name: string;
  cloud: string;
  tenant: string;
  driveType: string;
  rootFolder: string;
  status: string;
  statusReason?: string;
  advice?: string;
  accountUpn?: string;
  authorizePath?: string;
}

const CLOUDS = ['global', 'usgov', 'usgov-dod', 'china'];
const DRIVE_TYPES = ['personal', 'business', 'sharepoint'];
const NOT_FOUND = 'list the connections with `connection list`';

/** API fields → the options that set them, so a 400 names the option to fix. */
const CONNECTION_FIELDS: Record<string, string> = {
  name: 'name',
  tenant: 'tenant',
  cloud: 'cloud',
  driveType: 'drive-type',
  rootFolder: 'root-folder',
  siteId: 'site-id',
};

function oneOf(values: OptionValues, name: string, allowed: string[]): string | undefined {
  const value = stringOption(values, name);
  if (value !== undefined && !allowed.includes(value))
    throw new UsageError(`--${name}: expected one of ${allowed.join(', ')}, got '${value}'`);
  return value;
}

function authorizePathOf(connection: ConnectionView): string {
  return connection.authorizePath ?? `/api/connections/${encodeURIComponent(connection.id)}/authorize`;
}

/** Prints where to sign in: the browser address (with the key) and what happens there. */
function printAuthorize(io: CliIO, client: ApiClient, connection: ConnectionView): void {
  const path = authorizePathOf(connection);
  if (!client.hasKey) {
    writeLine(io.stdout, `Authorize it by opening ${client.base}${path}?code=<function key> in a browser.`);
    return;
  }
  writeLine(io.stdout, 'Authorize it: open this address in a browser and sign in with the account whose');
  writeLine(
    io.stdout,
    'OneDrive or SharePoint receives the backups (it contains the function key: do not share it):',
  );
  writeLine(io.stdout, '');
  writeLine(io.stdout, `  ${client.browserUrl(path)}`);
  writeLine(io.stdout, '');
  writeLine(io.stdout, `Then check it with: ${client.hints.command('connection', 'test', connection.id)}`);
}

const addCommand: Command = {
  path: ['connection', 'add'],
  summary: 'Add a OneDrive or SharePoint connection and print its authorize address',
  usage:
    '--name <name> [--tenant <common|consumers|organizations|tenant id>] [--drive-type <personal|business|sharepoint>] [--cloud <global|usgov|usgov-dod|china>] [--root-folder </Backups>] [--site-id <id>]',
  options: {
    name: { type: 'string', description: 'A name for the connection (required)' },
    tenant: {
      type: 'string',
      description:
        "Tenant: common, consumers, organizations or a tenant id (default: the app's GRAPH_TENANT)",
    },
    'drive-type': {
      type: 'string',
      description: `One of ${DRIVE_TYPES.join(', ')} (default: from tenant and cloud)`,
    },
    cloud: {
      type: 'string',
      description: `National cloud: ${CLOUDS.join(', ')} (default: the app's GRAPH_CLOUD)`,
    },
    'root-folder': {
      type: 'string',
      description: 'Folder in the drive that holds the backups (default /Backups)',
    },
    'site-id': { type: 'string', description: 'SharePoint site id (drive type sharepoint)' },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io) {
    const body = {
      name: requiredOptions(values, { name: 'a name for the connection, e.g. --name "My OneDrive"' }).name,
      tenant: stringOption(values, 'tenant'),
      driveType: oneOf(values, 'drive-type', DRIVE_TYPES),
      cloud: oneOf(values, 'cloud', CLOUDS),
      rootFolder: stringOption(values, 'root-folder'),
      siteId: stringOption(values, 'site-id'),
    };
    const client = clientFrom(values, io);
    const connection = await client.post<ConnectionView>('connections', { body, fields: CONNECTION_FIELDS });
    if (values.json) {
      // As `connection authorize --json`: the sign-in address without the key (a script adds ?code=).
      printJson(
        io,
        connection.authorizePath
          ? { ...connection, authorizeUrl: `${client.base}${authorizePathOf(connection)}` }
          : connection,
      );
      return 0;
    }
    writeLine(
      io.stdout,
      `Added connection '${connection.name}' (${connection.id}): ${connection.driveType} drive, tenant ${connection.tenant}, cloud ${connection.cloud}, backups under ${connection.rootFolder}.`,
    );
    printAuthorize(io, client, connection);
    return 0;
  },
};

const authorizeCommand: Command = {
  path: ['connection', 'authorize'],
  summary: 'Print the address that (re-)authorizes a connection in a browser',
  usage: '[--json]',
  positionals: ['connectionId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [id]) {
    const client = clientFrom(values, io);
    const connection = await client.get<ConnectionView>(`connections/${encodeURIComponent(id!)}`, {
      notFoundHint: NOT_FOUND,
    });
    if (values.json) {
      // Without the key: JSON ends up in logs and pipelines without the warning the text carries.
      // A script appends ?code=<function key> itself.
      printJson(io, { ...connection, authorizeUrl: `${client.base}${authorizePathOf(connection)}` });
      return 0;
    }
    writeLine(io.stdout, `Connection '${connection.name}' is ${connection.status}.`);
    printAuthorize(io, client, connection);
    return 0;
  },
};

const listCommand: Command = {
  path: ['connection', 'list'],
  summary: 'List the connections with their status',
  usage: '[--json]',
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io) {
    const client = clientFrom(values, io);
    const { connections } = await client.get<{ connections: ConnectionView[] }>('connections');
    if (values.json) {
      printJson(io, { connections });
      return 0;
    }
    printTable(
      io,
      ['ID', 'NAME', 'STATUS', 'DRIVE', 'ACCOUNT', 'FOLDER'],
      connections.map((c) => [
        c.id,
        c.name,
        c.status,
        `${c.driveType} (${c.cloud}, ${c.tenant})`,
        c.accountUpn ?? '-',
        c.rootFolder,
      ]),
      'No connections yet: add one with `connection add --name <name>`.',
    );
    for (const c of connections.filter((x) => x.status === 'reauth-required')) {
      const advice = c.advice
        ? adviceForCli(c.advice, client.hints, { connectionId: c.id })
        : `Run ${client.hints.quoted('connection', 'authorize', c.id)} and open the address it prints.`;
      writeLine(io.stdout, `'${c.name}' needs re-authorization: ${c.statusReason ?? ''} ${advice}`.trim());
    }
    return 0;
  },
};

interface TestReport {
  ok: boolean;
  steps: Array<{
    step: string;
    ok: boolean;
    skipped?: boolean;
    detail?: string;
    code?: string;
    advice?: string;
  }>;
  folder?: { path: string; webUrl?: string };
}

const testCommand: Command = {
  path: ['connection', 'test'],
  summary: 'Test a connection step by step: token, drive, folder, a probe upload',
  usage: '[--json]',
  positionals: ['connectionId'],
  options: { ...CONNECT_OPTIONS, ...JSON_OPTION },
  async run(values, io, [id]) {
    const client = clientFrom(values, io);
    const report = await client.post<TestReport>(`connections/${encodeURIComponent(id!)}/test`, {
      notFoundHint: NOT_FOUND,
      context: { connectionId: id },
    });
    if (values.json) {
      printJson(io, report);
      return report.ok ? 0 : 1;
    }
    for (const s of report.steps) {
      const mark = s.skipped ? 'skipped' : s.ok ? 'ok' : 'FAILED';
      writeLine(io.stdout, `  ${s.step.padEnd(7)} ${mark}${s.detail ? `  ${s.detail}` : ''}`);
    }
    if (report.folder)
      writeLine(
        io.stdout,
        `Backups land in ${report.folder.path}${report.folder.webUrl ? ` (${report.folder.webUrl})` : ''}.`,
      );
    if (report.ok) {
      writeLine(io.stdout, 'All steps passed.');
      return 0;
    }
    const failed = report.steps.find((s) => !s.ok && !s.skipped);
    const advice = failed?.advice && adviceForCli(failed.advice, client.hints, { connectionId: id });
    writeLine(
      io.stderr,
      `Connection test failed at '${failed?.step ?? '?'}'${failed?.code ? ` (${failed.code})` : ''}: ${failed?.detail ?? ''}${advice ? ` — ${advice}` : ''}`,
    );
    return 1;
  },
};

const deleteCommand: Command = {
  path: ['connection', 'delete'],
  summary: 'Delete a connection and its stored sign-in (the files in OneDrive stay)',
  usage: '[--force] [--json]',
  positionals: ['connectionId'],
  options: {
    force: { type: 'boolean', description: 'Delete it even though jobs still use it (they will fail)' },
    ...CONNECT_OPTIONS,
    ...JSON_OPTION,
  },
  async run(values, io, [id]) {
    const client = clientFrom(values, io);
    // The API deletes a connection whatever uses it; the jobs that do would fail on every run after.
    const { jobs } = await client.get<{ jobs: Array<{ id: string; connectionId: string }> }>('jobs');
    const using = jobs.filter((j) => j.connectionId === id).map((j) => j.id);
    if (using.length > 0 && !values.force)
      throw new CliFailure(
        `Connection ${id} is used by ${using.length} job(s): ${using.join(', ')} — delete them first (${client.hints.quoted('job', 'delete', using[0]!)}), or pass --force`,
      );
    await client.delete(`connections/${encodeURIComponent(id!)}`, { notFoundHint: NOT_FOUND });
    if (values.json) printJson(io, { id, deleted: true });
    else
      writeLine(
        io.stdout,
        `Deleted connection ${id} and its stored sign-in. Its files in OneDrive were left as they are.`,
      );
    return 0;
  },
};

export const connectionCommands: Command[] = [
  addCommand,
  listCommand,
  authorizeCommand,
  testCommand,
  deleteCommand,
];
