// Timeline model: columnar bounded storage of OpRecords, metrics, incremental batches (see README.md).
export * from './strings.js';
export * from './timeline.js';
export * from './batch.js';
export * from './metrics.js';
export * from './analysis.js';
