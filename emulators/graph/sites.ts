// SharePoint sites and their document libraries (each library is a drive of type documentLibrary).
import type { Drive, DriveStore } from './store';

export interface SiteInit {
  id: string;
  displayName: string;
  webUrl: string;
  /** Document library names; the first is the site's default drive (/sites/{id}/drive). */
  libraries: string[];
}

export interface Site extends SiteInit {
  driveIds: string[];
  created: number;
}

export class Sites {
  private readonly sites = new Map<string, Site>();

  constructor(
    private readonly store: DriveStore,
    private readonly now: () => number,
  ) {}

  add(init: SiteInit): Site {
    const site: Site = { ...init, driveIds: [], created: this.now() };
    for (const name of init.libraries.length ? init.libraries : ['Documents']) {
      const drive = this.store.createDrive({
        driveType: 'documentLibrary',
        name,
        webUrl: `${init.webUrl}/${encodeURIComponent(name === 'Documents' ? 'Shared Documents' : name)}`,
        owner: { group: { id: init.id, displayName: init.displayName } },
        siteId: init.id,
      });
      site.driveIds.push(drive.id);
    }
    this.sites.set(site.id, site);
    return site;
  }

  get(id: string): Site | undefined {
    return this.sites.get(id);
  }

  /** Case-insensitive match on name or URL; '*' lists all, as Graph's site search does. */
  search(query: string): Site[] {
    const q = query.trim().toLowerCase();
    return [...this.sites.values()].filter(
      (s) => q === '*' || s.displayName.toLowerCase().includes(q) || s.webUrl.toLowerCase().includes(q),
    );
  }

  drives(site: Site): Drive[] {
    return site.driveIds.map((id) => this.store.drive(id)!).filter(Boolean);
  }

  json(site: Site): Record<string, unknown> {
    return {
      id: site.id,
      name: site.displayName,
      displayName: site.displayName,
      webUrl: site.webUrl,
      createdDateTime: new Date(site.created).toISOString(),
    };
  }
}
