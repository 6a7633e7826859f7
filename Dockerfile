# Coffer: build on a full toolchain, run on a slim image as an unprivileged user.
# docker build -t coffer .   (see docs/operations.md, "Deployment", and compose.yaml)

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Sources first: `npm ci` runs the package's `prepare` (the build), which needs them.
COPY . .
RUN npm ci && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    COFFER_DATA_DIR=/var/lib/coffer
WORKDIR /app
COPY --from=build --chown=root:root /app/package.json ./
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/node_modules ./node_modules
# The image's "node" user (uid 1000) owns only the data directory; the code stays read-only to it.
RUN mkdir -p /var/lib/coffer && chown node:node /var/lib/coffer
USER node
EXPOSE 8080
# /healthz answers while the process is up (/readyz also checks the database). No curl in the
# slim image, so Node's fetch does the probe.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM (docker stop) shuts down in order: HTTP, jobs, database pool.
STOPSIGNAL SIGTERM
CMD ["node", "bin/coffer.js", "serve"]
