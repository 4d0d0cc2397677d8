# One image for api, worker and migrate; the command picks the process:
#   api      node --import tsx api/main.ts   (default)
#   worker   node --import tsx worker/main.ts
#   migrate  node --import tsx cli/main.ts migrate

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: generated Prisma client and the prebuilt workflow bundle
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
# Dev dependencies are needed here (prisma CLI, bundler). Install scripts are
# skipped as in development (npm 11 skips them there), so Prisma never tries
# to download engines and the image is built from what the tests ran against.
# `install --no-save` rather than `ci`: the lock file lacks some platforms'
# optional swc binaries (see scripts/ensure-tools.sh) and ci would refuse it.
RUN npm install --no-save --ignore-scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# generate never runs the schema engine, but the CLI insists on finding one;
# any existing file stops it from downloading.
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 \
    npx prisma generate
COPY . .
# Production workers load this bundle instead of compiling workflows at start.
RUN npx tsx scripts/build-workflow-bundle.ts && test -s dist/workflow-bundle.js

# ---- prod-deps: runtime packages only (tsx is one of them)
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
COPY --from=build /app/package.json /app/tsconfig.json ./
COPY --from=build /app/api ./api
COPY --from=build /app/worker ./worker
COPY --from=build /app/cli ./cli
COPY --from=build /app/lib ./lib
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/activities ./activities
# migrate applies prisma/migrations at run time.
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8000 8001
CMD ["node", "--import", "tsx", "api/main.ts"]
