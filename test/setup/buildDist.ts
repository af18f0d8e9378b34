// Global setup of the node project: builds dist/ (scripts/build.mjs, about a second), so that the tests that run
// `node bin/siglip.js` as a user would run the build of the sources under test, never a stale one.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildDist(): void {
  try {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
  } catch {
    // The build removes dist/cli/ before it starts, so the CLI tests fail saying dist/ is not built, while the
    // tests that import the sources still run; esbuild has printed why above.
    console.error('\nbuildDist: npm run build failed (see above); the tests that run bin/siglip.js will fail\n');
  }
}
