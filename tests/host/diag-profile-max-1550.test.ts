// `xpuscope diag --level 2` on the simulated max-1550 (its own process: one driver setting per process).
import { simulatedProfileSuite } from './diag-helpers.js';

simulatedProfileSuite('max-1550', 2);
