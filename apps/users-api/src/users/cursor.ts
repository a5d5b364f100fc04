import { ValidationError } from '@steadfast/errors';

/** A position in the newest-first listing: the last row's creation time (µs since epoch) and id. */
export interface Cursor {
  createdAtMicros: string;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAtMicros}.${cursor.id}`).toString('base64url');
}

export function decodeCursor(value: string): Cursor {
  const [createdAtMicros, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('.');
  if (rest.length > 0 || !createdAtMicros || !/^\d{1,17}$/.test(createdAtMicros) || !id || !UUID.test(id)) {
    throw new ValidationError('The cursor is not one this service issued', [
      { field: 'querystring.cursor', message: 'is not a valid cursor' },
    ]);
  }
  return { createdAtMicros, id };
}
