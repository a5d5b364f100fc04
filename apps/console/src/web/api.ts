/** A failed call as the pages show it: status 0 when the console itself could not be reached. */
export interface ApiError {
  status: number;
  code: string;
  message: string;
}

export type Result<T> =
  | { ok: true; data: T; etag: string | null; meta?: unknown }
  | { ok: false; error: ApiError };

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** The operator's token (typed in, kept in this tab's memory); the proxy forwards it as theirs. */
  token?: string;
  ifMatch?: string;
  /** Read the body as text (the postmortem is Markdown). */
  text?: boolean;
}

/** Calls one of the console's services through its same-origin proxy: `/api/<service><path>`. */
export async function call<T>(service: string, path: string, options: CallOptions = {}): Promise<Result<T>> {
  const headers: Record<string, string> = { accept: options.text ? 'text/markdown' : 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  let response: Response;
  try {
    response = await fetch(`/api/${service}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
  } catch {
    return { ok: false, error: { status: 0, code: 'NETWORK', message: 'The console cannot be reached.' } };
  }
  const etag = response.headers.get('etag');
  if (response.status === 204) return { ok: true, data: undefined as T, etag };
  if (options.text && response.ok) return { ok: true, data: (await response.text()) as T, etag };
  const body = (await response.json().catch(() => undefined)) as
    | { data?: T; meta?: unknown; error?: { code?: string; message?: string } }
    | undefined;
  if (response.ok) return { ok: true, data: body?.data as T, etag, meta: body?.meta };
  // Health answers 503 with its report when not ready: that is data, not a failure to read it.
  return {
    ok: false,
    error: {
      status: response.status,
      code: body?.error?.code ?? 'HTTP_ERROR',
      message: body?.error?.message ?? `HTTP ${response.status}`,
    },
  };
}
