// The shape of orchestrator.config.json once defaults are applied and paths are resolved.
import type { FleetConfig } from '../fleet/fleet-config.js';

export type SlotName = 'a' | 'b';
export const SLOT_NAMES: readonly SlotName[] = ['a', 'b'];
export type DeployMode = 'bluegreen' | 'hotswap';

export interface SlotConfig {
  dir: string;
  port: number;
}

export interface TlsCertificateConfig {
  hosts: string[];
  certFile: string;
  keyFile: string;
}

/** proxy.tls: on when certFile is set; certificates are chosen by SNI, certFile/keyFile is the default. */
export interface TlsConfig extends Omit<TlsCertificateConfig, 'hosts'> {
  port: number;
  certificates: TlsCertificateConfig[];
  acme: AcmeConfig;
}

/** proxy.tls.acme: on when directoryUrl is set; caBundle is a CA file trusted for the directory's own HTTPS. */
export interface AcmeConfig {
  directoryUrl: string;
  email: string;
  domains: string[];
  caBundle: string;
}

export interface Config {
  /** Absolute path of the config file these values came from. */
  file: string;
  app: string;
  mode: DeployMode;
  proxy: { host: string; port: number; publicUrl: string; slotPathPrefix: string; keepAliveTimeoutMs: number; headersTimeoutMs: number; maxActiveRequests: number; tls: TlsConfig; redirectHttp: boolean; hsts: string };
  admin: { host: string; port: number; tokenFile: string; tls: { certFile: string; keyFile: string } };
  stateFile: string;
  releasesDir: string;
  keepReleases: number;
  bootstrap: string;
  slots: Record<SlotName, SlotConfig>;
  instances: number;
  health: { path: string; intervalMs: number; timeoutMs: number };
  drain: { graceMs: number; idleMs: number; timeoutMs: number; stopTimeoutMs: number; websocketGraceMs: number };
  hold: { timeoutMs: number; maxQueued: number };
  clients: { versionHeader: string; manifestPath: string; upgradeStatus: number; keepAppVersions: number };
  hotswap: { exeFile: string; updateFile: string; args: string[] };
  uploads: { maxBytes: number; idleTimeoutMs: number };
  /** Set only when the config has a "fleet" key (docs/fleet.md). */
  fleet?: FleetConfig;
}

export function isSlotName(value: unknown): value is SlotName {
  return value === 'a' || value === 'b';
}

export function otherSlot(slot: SlotName): SlotName {
  return slot === 'a' ? 'b' : 'a';
}
