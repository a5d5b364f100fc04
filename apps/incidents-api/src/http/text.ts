import { type StringOptions, Type } from '@sinclair/typebox';

// PostgreSQL stores no NUL character (text refuses it with 22021, jsonb with 22P05): every string a client sends
// is refused at the schema with a 400 naming the field, before anything reaches the database. Both patterns are
// linear: their parts never match the same character.
const NUL_FREE = '^[^\\u0000]*$';
const NOT_BLANK_NUL_FREE = '^\\s*[^\\s\\u0000][^\\u0000]*$';

/** A string from a client: any text without NUL. */
export const Text = (options: Omit<StringOptions, 'pattern'> = {}) =>
  Type.String({ ...options, pattern: NUL_FREE });

/** A string from a client that must hold something other than whitespace, and no NUL. */
export const NonBlankText = (options: Omit<StringOptions, 'pattern' | 'minLength'> = {}) =>
  Type.String({ minLength: 1, ...options, pattern: NOT_BLANK_NUL_FREE });

/** String-to-string maps (Alertmanager's labels and annotations): NUL-free keys and values. */
export const TextRecord = () => Type.Record(Text(), Text(), { additionalProperties: false });
