// The setup page's script: the entry point the bundle is built from (see ../clientBundle.ts). Every
// module only declares; the page starts here, once all of them are in place.
import { boot } from './session';

boot();
