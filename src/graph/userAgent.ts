// The User-Agent every request to Graph, SharePoint upload URLs and download URLs carries.
// Microsoft asks independent software vendors to decorate their traffic as
// `ISV|<company>|<app>/<version>`: SharePoint Online throttles undecorated traffic first and uses
// the string to tell one app's load from another's. The publisher is a setting
// (USER_AGENT_PUBLISHER) so a company that redistributes the product can put its own name there;
// the app name and version are the package's. Kept process-wide, like the log sink: it is read once
// at start and every HTTP context in the process must send the same value.
import packageJson from '../../package.json';

export const DEFAULT_USER_AGENT_PUBLISHER = 'azure-onedrive-backup';

/** What the header may hold: printable ASCII without the '|' that separates its parts. */
const PUBLISHER = /^[\x21-\x7b\x7d\x7e](?:[\x20-\x7b\x7d\x7e]{0,62}[\x21-\x7b\x7d\x7e])?$/;

let publisher = DEFAULT_USER_AGENT_PUBLISHER;

export function isValidPublisher(value: string): boolean {
  return PUBLISHER.test(value);
}

/** Sets the publisher part (from the configuration, once at start). */
export function setUserAgentPublisher(value: string | undefined): void {
  publisher = value && isValidPublisher(value) ? value : DEFAULT_USER_AGENT_PUBLISHER;
}

export function graphUserAgent(): string {
  return `ISV|${publisher}|${packageJson.name}/${packageJson.version}`;
}
