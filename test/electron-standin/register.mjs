// `node --import ./test/electron-standin/register.mjs out/main/index.js` runs the built main entry,
// unchanged, with the module `electron` resolved to our stand-in.
import { register } from 'node:module';

register('./loader.mjs', import.meta.url);
