import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The portal (and later the console) as one app; `coffer serve` serves dist/web.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Hashed file names: the server caches /assets/* as immutable.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite web` during development: the API is the running `coffer serve`.
    proxy: { '/portal/api': 'http://127.0.0.1:8080', '/sandbox': 'http://127.0.0.1:8080' },
  },
});
