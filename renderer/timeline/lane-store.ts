// The lane store's entry point for code outside renderer/timeline/'s store modules (the views, tests):
// the span storage is split by what each part does —
//   timeline-store.ts  TimelineStore: every lane, the string table, dependency edges, groups, spanInfo
//   lane-columns.ts    LaneColumns: one lane's typed columns, the pixel query, the hit test
//   lod-levels.ts      the level-of-detail mipmap levels of one lane (LodLevels)
//   lane-labels.ts     lane and group labels, the display order
//   typed-arrays.ts    growing columns, binary search
// Modules inside renderer/timeline/ import from those directly.
export { LaneColumns, MIN_SPLIT_PX, MIXED_KIND, type RectSink } from './lane-columns.js';
export { compareLanes, groupLabel, laneLabel, laneTitle } from './lane-labels.js';
export { levelBucketNs, MAX_LEVEL } from './lod-levels.js';
export {
  OP_INDEX_CAP,
  TimelineStore,
  type LaneGroup,
  type SpanInfo,
  type StoreOptions,
} from './timeline-store.js';
