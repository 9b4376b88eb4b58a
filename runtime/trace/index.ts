// Trace export (Chrome Trace Event JSON, crash-safe streaming writer) and import (streaming parser;
// xpuscope, unitrace and Kineto traces). See README.md.
export * from './format.js';
export * from './json-stream.js';
export * from './export.js';
export * from './import.js';
export * from './synthetic.js';
