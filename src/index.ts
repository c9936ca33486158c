/** tsp2p: a TypeScript Jupyter kernel with a peer-to-peer cluster. */
export * from './p2p/index.js';
export { Tsp2pError } from './errors.js';
export { runNotebook } from './notebook/runner.js';
