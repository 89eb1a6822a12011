# kemu's image: one image for every compose service (control plane, nodes, edge).
#
# Stage 1 builds the monorepo once: npm ci, a type-checking build of the runtime packages,
# then dev dependencies pruned. Node 24 runs the TypeScript sources directly, so nothing
# compiled is copied; the build is the check that they are sound.
# Stage 2 is the runtime: curl, dig and iproute2 as on a real node, so
# `docker compose exec node-1 curl 10.96.66.66` and `dig @10.96.0.10` work.
#
# Only node:24-bookworm-slim is used (our machines have no registry; see README).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY packages ./packages
RUN npm ci --no-audit --no-fund --loglevel=error
RUN npx tsc -b packages/cli \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && rm -rf packages/*/dist packages/*/tsconfig.tsbuildinfo

FROM node:24-bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      curl dnsutils iproute2 ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
RUN ln -s /app/packages/cli/bin/kemu.js /usr/local/bin/kemu && kemu version
ENV NODE_ENV=production
ENTRYPOINT ["kemu"]
CMD ["help"]
