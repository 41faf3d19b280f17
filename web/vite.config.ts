import { defineConfig } from 'vite';

/**
 * The admin page: `npm run build:web` (vite build web) writes web/dist, which the Nest app serves at `/`.
 * `npm run dev:web` serves it with live reload and forwards /api to the service on port 8080
 * (or SENTINEL_API_URL).
 */
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 200,
  },
  server: {
    proxy: { '/api': { target: process.env.SENTINEL_API_URL ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
});
