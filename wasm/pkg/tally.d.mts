// Types for `import ... from './tally.mjs'` (TypeScript looks for .d.mts next to a .mjs).
export * from './tally.js';
