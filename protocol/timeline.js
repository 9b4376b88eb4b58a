// What one completed GPU operation looks like once the runtime's recorder has converted its device
// timestamps to host time. The runtime produces these, the timeline model stores them column-wise,
// trace export/import reads and writes them, and the UI draws them.
/** Operation kinds; the index in this list is the numeric code used in columnar storage. */
export const OP_KINDS = ['kernel', 'copy', 'fill', 'barrier', 'event-record', 'event-wait'];
//# sourceMappingURL=timeline.js.map
