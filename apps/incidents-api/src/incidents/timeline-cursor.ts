import { ValidationError } from '@steadfast/errors';

// Timeline entries are ordered by their bigserial id alone; the cursor is the last id of a page, opaque to clients
// like the kit's cursors over (created_at, id).
export const encodeTimelineCursor = (id: number) => Buffer.from(`t${id}`).toString('base64url');

export function decodeTimelineCursor(value: string): number {
  const match = /^t(\d{1,15})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match?.[1]) {
    throw new ValidationError('The cursor is not one this service issued', [
      { field: 'querystring.cursor', message: 'is not a valid cursor' },
    ]);
  }
  return Number(match[1]);
}
