// colocation/eviction: offline pods leave a node whose load stays above the eviction threshold,
// through the Eviction API, cheapest to lose first, and the node keeps them away for a while.
export { startEvictionController } from './controller.js';
export type { EvictionController, EvictionControllerOptions } from './controller.js';
export { apiEvictor } from './evictor.js';
export type { PodEvictor, EvictionResult } from './evictor.js';
export { evictionOrder, EVICTION_ORDER } from './order.js';
export type { EvictionOrder } from './order.js';
export { detectPressure } from './pressure.js';
export type { Pressure, PressureResource } from './pressure.js';
export { projectEvictionPod } from './pod-projection.js';
export type { EvictionPod, OfflineWorkload } from './pod-projection.js';
