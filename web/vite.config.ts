import { defineConfig } from "vite";

// Served by nginx at /app/ (bookiji/gateway.py); the runtime configuration is
// /app/config.json, so one build serves every environment.
export default defineConfig({
  base: "/app/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    target: "es2022",
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
