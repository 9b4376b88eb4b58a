import { defineConfig } from 'vitest/config';

// Unit and integration tests (tests/ mirrors the source tree). Runtime tests load the real Level Zero
// loader through koffi, so each file runs in its own process (forks) with its own driver environment.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
