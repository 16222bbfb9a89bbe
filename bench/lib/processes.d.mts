// Types for what the TypeScript test helpers take from processes.mjs.
export function isAlive(pid: number): boolean;
