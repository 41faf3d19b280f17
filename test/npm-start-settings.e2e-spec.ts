/**
 * `npm start` runs the built service with runtime settings (package.json: `npm run build && VAR=value ... node
 * <node options> dist/main.js`; README, Configuration): malloc variables and V8 options that keep its memory low
 * across backups. A Node release that no longer takes one of those options refuses to start at all ("bad option"),
 * so the built service is started here with exactly them, on each Node version CI runs (Node 20 and 24).
 */
import fs from 'node:fs';
import { assertServiceBuilt, SERVICE_MAIN, startService, waitHealthy } from './fixtures/restore-service.js';
import { npmStartSettings } from './support/npm-start-script.js';
import { makeScratchDir } from './support/test-app.js';

describe("npm start's runtime settings", () => {
  it('boot the built service on this Node, which then answers and stops cleanly on SIGTERM', async () => {
    assertServiceBuilt();
    const { variables, nodeOptions } = npmStartSettings();
    expect(nodeOptions.length).toBeGreaterThan(0);
    const root = makeScratchDir('sentinel-npm-start-');
    try {
      const service = await startService(root, variables, SERVICE_MAIN, nodeOptions);
      let stopped: Awaited<ReturnType<typeof service.stop>> | undefined;
      try {
        await waitHealthy(service);
        // What runs is what npm start runs: node, its options, the service; its variables in the environment.
        const pid = service.child.pid as number;
        const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        expect(commandLine.slice(1)).toEqual([...nodeOptions, SERVICE_MAIN]);
        const environment = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        expect(environment).toEqual(expect.arrayContaining(Object.entries(variables).map(([name, value]) => `${name}=${value}`)));
        stopped = await service.stop();
      } finally {
        await service.stop();
      }
      expect(stopped).toEqual({ code: 0, signal: null });
      // Node's own complaints: an option it does not take, or a warning about one ("(node:123) [DEP…] …Warning: …").
      expect(service.output()).not.toMatch(/bad option|\(node:\d+\) (\[\w+\] )?\w*Warning/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
