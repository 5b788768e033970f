/** The public library API of mllmshift. */
export * from './errors.js';
export * from './core/matrix.js';
export * from './io/safetensors.js';
export type * from './data/sample.js';
export * from './data/dataset-dir.js';
export * from './data/llava-bench.js';
export * from './data/parquet.js';
export * from './data/load.js';
export * from './data/scenarios.js';
export * from './data/responses.js';
