// SharePoint and OneDrive for Business rewrite Office Open XML documents after upload ("property
// promotion": library columns are written into the document's properties), so the stored file is
// not byte-for-byte what was sent and its size and quickXorHash differ from the uploader's.
// The emulator imitates this deterministically by appending a small metadata part after the
// package; zip readers locate the central directory from the end, so the document stays readable
// by tools that tolerate trailing data, and the same input always gives the same stored bytes.

/** Office Open XML extensions (Word, Excel, PowerPoint, Visio) that SharePoint promotes properties of. */
export const OFFICE_OPEN_XML_EXTENSIONS: ReadonlySet<string> = new Set([
  'docx',
  'docm',
  'dotx',
  'dotm',
  'xlsx',
  'xlsm',
  'xltx',
  'xltm',
  'pptx',
  'pptm',
  'potx',
  'potm',
  'ppsx',
  'ppsm',
  'vsdx',
]);

const METADATA_PART = Buffer.from(
  '<?xml version="1.0" encoding="UTF-8"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"><property name="ContentTypeId">0x0101</property></Properties>',
  'utf8',
);

export function isOfficeDocument(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot > 0 && OFFICE_OPEN_XML_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

/** The bytes the library keeps for an upload named `name`. */
export function promoteProperties(name: string, content: Buffer): Buffer {
  return isOfficeDocument(name) ? Buffer.concat([content, METADATA_PART]) : content;
}
