/** The public library API of mllmshift. */
export * from './errors.js';
export * from './core/matrix.js';
export * from './io/safetensors.js';
export type * from './data/sample.js';
