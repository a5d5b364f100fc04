export { postgresTestConfig as default } from '@steadfast/embedded-pg/vitest-preset';
