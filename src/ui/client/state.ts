// The lists the page last loaded: the connections (which the jobs refer to) and the jobs.
import type { ConnectionView, Job } from './types';

export const state: { connections: ConnectionView[]; jobs: Job[] } = { connections: [], jobs: [] };

export function findConnection(id: string): ConnectionView | undefined {
  return state.connections.find((c) => c.id === id);
}
