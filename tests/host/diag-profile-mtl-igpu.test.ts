// `xpuscope diag --level 2` on the simulated mtl-igpu (its own process: one driver setting per process).
import { simulatedProfileSuite } from './diag-helpers.js';

simulatedProfileSuite('mtl-igpu', 1);
