import type { ServiceRow } from '../db/schema.js';

export interface Service {
  id: string;
  name: string;
  owner: string | null;
  tier: number | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewService {
  name: string;
  owner?: string | null;
  tier?: number | null;
  description?: string | null;
}

export type ServiceChanges = Partial<NewService>;

export const toService = (row: ServiceRow): Service => ({
  id: row.id,
  name: row.name,
  owner: row.owner,
  tier: row.tier,
  description: row.description,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});
