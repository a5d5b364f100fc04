import type { UserRow } from '../db/schema.js';

export interface User {
  id: string;
  name: string;
  email: string;
  muted: boolean;
  deviceId: string | null;
  deviceLabel: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser {
  name: string;
  email: string;
}

export interface UserChanges {
  name?: string;
  email?: string;
}

export interface CallState {
  muted?: boolean;
  deviceId?: string | null;
  deviceLabel?: string | null;
}

export interface UserPage {
  users: User[];
  nextCursor: string | null;
}

export const toUser = (row: UserRow): User => ({
  id: row.id,
  name: row.name,
  email: row.email,
  muted: row.muted,
  deviceId: row.device_id,
  deviceLabel: row.device_label,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Emails are compared and stored lowercased, so one address cannot be registered twice in other cases. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();
