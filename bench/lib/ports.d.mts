// Types for ports.mjs, so the TypeScript test helpers share it instead of keeping a copy.
export function freePortRange(count?: number): Promise<number>;
