import { createContext } from 'preact';

/**
 * The operator's tokens, typed in and held in this tab's memory only: never in storage, cookies or the URL, so
 * closing the tab forgets them. The proxy forwards them as the operator's own.
 */
export interface Session {
  token: string;
  setToken(token: string): void;
  adminToken: string;
  setAdminToken(token: string): void;
}

export const SessionContext = createContext<Session>({
  token: '',
  setToken: () => undefined,
  adminToken: '',
  setAdminToken: () => undefined,
});
