/** What the gateway's main thread and its HTTP threads say to each other over each thread's MessagePort. */
import type { MessagePort } from 'node:worker_threads';
import type { KeysFile } from '../auth/keysFile';
import type { GatewayOptions } from '../nodeOptions';
import type { RateDecision, TenantPolicy } from '../types';

/** What an HTTP thread is started with. */
export interface GatewayThreadInit {
  index: number;
  /** This thread's own descriptor of the gateway's listening socket. */
  fd: number;
  port: MessagePort;
  options: GatewayOptions;
  /** The keys as the main thread read them (each reload sends them again: every thread has the same version). */
  keys: KeysFile;
}

export type FromGatewayThread =
  | { t: 'take'; id: number; tenant: TenantPolicy; cost: number }
  | { t: 'reloaded'; id: number; error?: string }
  | { t: 'drained' };

export type ToGatewayThread =
  | { t: 'taken'; id: number; decision: RateDecision }
  | { t: 'takeFailed'; id: number; message: string }
  | { t: 'reloadKeys'; id: number; keys: KeysFile }
  | { t: 'drain'; timeoutMs: number };
