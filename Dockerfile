# One image for api, worker and migrate; the command picks the process. All three
# run the compiled JavaScript in dist/ (`npm run build`): no TypeScript compiler
# is installed in the runtime image.
#   api      node dist/api/main.js        (default)
#   worker   node dist/worker/main.js
#   migrate  node dist/cli/main.js migrate   (also `scaiwave migrate`)

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: dist/ (compiled code, generated Prisma client, prebuilt workflow bundle)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
# Dev dependencies are needed here (TypeScript, the prisma CLI, the bundler).
# Install scripts are skipped as in development (npm 11 skips them there), so
# Prisma never tries to download engines and the image is built from what the
# tests ran against. `install --no-save` rather than `ci`: the lock file lacks
# some platforms' optional swc binaries (see scripts/ensure-tools.sh) and ci
# would refuse it.
RUN npm install --no-save --ignore-scripts
COPY . .
# The image's Node is 24, so scripts/node-env.sh installs nothing here.
RUN npm run build && test -s dist/workflow-bundle.js && test -s dist/api/main.js

# ---- prod-deps: runtime packages only
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm install --no-save --omit=dev --ignore-scripts && npm cache clean --force

# ---- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SCAIWAVE_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
# Files stay owned by root: the process runs as `node` and cannot rewrite its own code.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
# Read at run time from the project root (lib/infra/project-files.ts): the
# migrations `migrate` applies and the gRPC contracts spoken with ScaiInfer nodes.
COPY --from=build /app/prisma/migrations ./prisma/migrations
COPY --from=build /app/proto ./proto
COPY --from=build /app/web ./web
# `scaiwave …` for operators in a shell in the container (`docker compose exec api scaiwave --help`).
COPY --from=build /app/cli/bin.js ./cli/bin.js
RUN ln -s /app/cli/bin.js /usr/local/bin/scaiwave
USER node
EXPOSE 8000 8001
CMD ["node", "dist/api/main.js"]
