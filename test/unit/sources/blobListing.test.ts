// parseListing on answers in the shape "List Blobs" documents
// (https://learn.microsoft.com/rest/api/storageservices/list-blobs), including what Azurite never
// sends: a name the XML cannot carry, percent-encoded with Encoded="true"; a metadata key "_";
// character references; elements of later service versions; a hierarchical listing's BlobPrefix.
import { parseListing } from '../../../src/sources/blobListing';

const blob = (inner: string) => `<Blob>${inner}</Blob>`;
const listing = (blobs: string, next = '<NextMarker />') =>
  `<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acct.blob.core.windows.net/" ContainerName="box"><Prefix>p</Prefix><Marker /><MaxResults>2</MaxResults><Blobs>${blobs}</Blobs>${next}</EnumerationResults>`;
const props = `<Properties><Creation-Time>Mon, 30 Nov 2026 08:00:00 GMT</Creation-Time><Last-Modified>Tue, 01 Dec 2026 10:00:00 GMT</Last-Modified><Etag>0x8DCAFE</Etag><Content-Length>42</Content-Length><Content-Type>text/plain</Content-Type><Content-Encoding /><Content-Language /><Content-CRC64 /><Content-MD5>1B2M2Y8AsgTpgAmY7PhCfg==</Content-MD5><Cache-Control /><Content-Disposition /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier></Properties>`;

describe('parseListing', () => {
  it('reads the fields a backup keeps and skips the rest', () => {
    const page = parseListing(
      listing(
        blob(
          `<Name>a &amp; b &#x263A; &lt;c&gt;</Name><VersionId>2026-12-01T10:00:00.0000000Z</VersionId><IsCurrentVersion>true</IsCurrentVersion>${props}<Metadata><_>under</_><Key1>v &quot;1&quot;</Key1><x-ms-invalid-name>bad key</x-ms-invalid-name></Metadata><Tags><TagSet><Tag><Key>team</Key><Value>a b</Value></Tag><Tag><Key>empty</Key><Value /></Tag></TagSet></Tags><OrMetadata><Or-policy_rule>Complete</Or-policy_rule></OrMetadata>`,
        ) + '<BlobPrefix><Name>folder/</Name></BlobPrefix>',
        '<NextMarker>2!88!MDAwMDE2IWZvbGRlci9iITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--</NextMarker>',
      ),
    );
    expect(page).toEqual({
      blobs: [
        {
          name: 'a & b ☺ <c>',
          contentLength: 42,
          etag: '0x8DCAFE',
          contentMd5: '1B2M2Y8AsgTpgAmY7PhCfg==',
          lastModified: new Date('2026-12-01T10:00:00Z'),
          // An empty element is a property set to "" (Blob storage keeps it), as the SDK reads it.
          headers: {
            contentType: 'text/plain',
            contentEncoding: '',
            contentLanguage: '',
            cacheControl: '',
            contentDisposition: '',
          },
          metadata: { _: 'under', Key1: 'v "1"', 'x-ms-invalid-name': 'bad key' },
          tags: { team: 'a b', empty: '' },
        },
      ],
      nextMarker: '2!88!MDAwMDE2IWZvbGRlci9iITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--',
    });
  });

  it('decodes a percent-encoded name', () => {
    const page = parseListing(listing(blob(`<Name Encoded="true">bad%EF%BF%BEname%25.txt</Name>${props}`)));
    expect(page.blobs.map((b) => b.name)).toEqual(['bad\uFFFEname%.txt']);
    expect(page.nextMarker).toBeUndefined();
  });

  it('decodes numeric character references in a name (the SDK\'s parse left "&#xD;" as it was)', () => {
    const page = parseListing(listing(blob(`<Name>line&#xD;end&#13;&#10;tab&#9;</Name>${props}`)));
    expect(page.blobs.map((b) => b.name)).toEqual(['line\rend\r\ntab\t']);
  });

  it('keeps a name of spaces and a % that is not encoded as it is', () => {
    const page = parseListing(listing(blob(`<Name>  50% off  </Name>${props}`)));
    expect(page.blobs.map((b) => b.name)).toEqual(['  50% off  ']);
  });

  it('reads an empty container', () => {
    expect(parseListing(listing(''))).toEqual({ blobs: [] });
    expect(parseListing(listing('').replace('<Blobs></Blobs>', '<Blobs />'))).toEqual({ blobs: [] });
  });

  it.each([
    ['a truncated answer', listing(blob(`<Name>x</Name>${props}`)).slice(0, 300)],
    ['mismatched tags', listing(blob(`<Name>x</Nome>${props}`))],
    ['an unknown entity', listing(blob(`<Name>x &nbsp;</Name>${props}`))],
    ['another document', '<?xml version="1.0"?><Error><Code>InternalError</Code></Error>'],
    ['a blob without a name', listing(blob(props))],
    ['nothing', ''],
  ])('refuses %s', (_label, xml) => {
    expect(() => parseListing(xml)).toThrow();
  });
});
