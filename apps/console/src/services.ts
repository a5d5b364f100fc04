import { InvalidOptionError } from '@steadfast/errors';

/** A service the console shows, by the name the browser uses in `/api/<name>/…`. */
export interface ConsoleService {
  name: string;
  /** Origin the proxy forwards to, without a trailing slash. */
  url: string;
}

/** `users-api=http://127.0.0.1:3001,incidents-api=http://127.0.0.1:3002` into its services, names unique. */
export function parseServices(text: string): ConsoleService[] {
  const services = text.split(',').map((entry) => {
    const [name = '', url = ''] = entry.split('=', 2).map((part) => part.trim());
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new InvalidOptionError('CONSOLE_SERVICES', entry, 'name=http(s)://host:port');
    }
    if (parsed.pathname !== '/' || parsed.search !== '' || parsed.username !== '') {
      throw new InvalidOptionError(
        'CONSOLE_SERVICES',
        entry,
        'a base URL without path, query or credentials',
      );
    }
    return { name, url: parsed.origin };
  });
  const names = services.map((s) => s.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) {
    throw new InvalidOptionError('CONSOLE_SERVICES', repeated, 'each service named once');
  }
  return services;
}
