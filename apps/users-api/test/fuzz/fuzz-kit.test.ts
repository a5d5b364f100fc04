import { useTestApp } from '@steadfast/service-kit/testing';
import { describeFuzzSuite } from '@steadfast/service-kit/testing-fuzz';
import { describe } from 'vitest';
import { usersApp } from '../helpers.js';
import { FUZZ_ENV, USERS_FUZZ } from './users-fuzz.js';

// The fuzz findings packages/http fixes (see apps/incidents-api/test/fuzz/fuzz-kit.test.ts). Left out of the
// default run by vitest.config.ts; run with `FUZZ_KIT=1 pnpm --filter @steadfast/users-api exec vitest run
// test/fuzz/fuzz-kit.test.ts`.
const t = useTestApp(usersApp(FUZZ_ENV));

describe('users-api: the kit’s fuzz findings', () => {
  describeFuzzSuite({ ...USERS_FUZZ, test: t, mode: 'kit' });
});
