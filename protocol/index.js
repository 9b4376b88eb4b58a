export * from './devices.js';
export * from './contract.js';
export * from './timeline.js';
//# sourceMappingURL=index.js.map
