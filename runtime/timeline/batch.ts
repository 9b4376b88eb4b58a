// The batch format lives in protocol/ so the renderer (which may import only protocol/) decodes with
// the same code the runtime encodes with.
export * from '../../protocol/timeline-batch.js';
