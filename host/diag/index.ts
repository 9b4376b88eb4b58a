// Diagnostics for QA: a registry of checks (levels 1 software, 2 functional, 3 performance) and a
// runner. No UI code. `runDiagnostics(opts, onProgress)` is what `xpuscope diag` and the service use.
export { runDiagnostics, checksForLevel, summarize, CHECKS } from './runner.js';
export { formatReport, toJUnit, ttyProgress, xmlEscape } from './report.js';
export type { CheckDef, CheckContext, Outcome } from './registry.js';
export * from './types.js';
