// The project's own orchestrator.config.json, copied into a temp project with only its ports changed to free ones.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePortRange } from './ports.js';
import { makeProject } from './test-daemon.js';

export const SHIPPED_CONFIG = path.resolve(import.meta.dirname, '../../orchestrator.config.json');

interface ShippedConfig {
  proxy: { port: number; host: string; publicUrl?: string };
  admin: { port: number; host: string };
  slots: Record<'a' | 'b', { port: number }>;
  [key: string]: unknown;
}

/** A temp project (sample API as bootstrap) whose config is the shipped one on free proxy, admin and slot ports. */
export async function makeShippedProject(): Promise<{ dir: string; configFile: string; config: ShippedConfig & Record<string, unknown> }> {
  const project = await makeProject();
  const config = JSON.parse(await readFile(SHIPPED_CONFIG, 'utf8')) as ShippedConfig;
  config.proxy.port = await freePortRange(1);
  config.admin.port = await freePortRange(1);
  config.slots.a.port = await freePortRange(1);
  config.slots.b.port = await freePortRange(1);
  await writeFile(project.configFile, JSON.stringify(config, null, 2));
  return { ...project, config };
}
