import { defineConfig } from 'vite';

// Builds the page into ../dist, which internal/graphiql embeds. Assets are
// served under /graphiql/; the page itself at /.
export default defineConfig({
  base: '/graphiql/',
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    // Source maps would double the embedded size for little use.
    sourcemap: false,
    // Monaco and GraphiQL are large; the warning would fire on every build.
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      // "use client" directives of React libraries mean nothing in a bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
