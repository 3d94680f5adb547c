import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__tokenpayServices;
  if (!state) return;
  await Promise.all(state.services.map((s) => s.stop()));
  if (!process.env.TOKENPAY_KEEP_TEST_DIR) fs.rmSync(state.workDir, { recursive: true, force: true });
}
