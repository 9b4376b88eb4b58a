export * from './devices.js';
export * from './contract.js';
export * from './schemas.js';
export * from './timeline.js';
export * from './views.js';
export * from './timeline-batch.js';
