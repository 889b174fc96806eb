# One image for both roles: the API by default, the worker with `node worker/dist/main.js`
# (see docker-compose.yml).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.base.json tsconfig.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY worker/package.json worker/
COPY client-sdk/package.json client-sdk/
COPY dashboard/package.json dashboard/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
# The code stays root's (read-only to the app); only the data folder (the dev outbox when
# SMTP_URL is unset) belongs to the user the processes run as.
COPY --from=build /app /app
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# A young generation of up to 32 MiB per semi-space (Node's default is 16): at Taskgate's rates,
# collections then cost a fraction as much (docs/OPERATIONS.md, "Node's heap"). Both roles.
ENV NODE_OPTIONS=--max-semi-space-size=32
# node itself, not npm, as PID 1: `docker stop` and Kubernetes send SIGTERM to PID 1, and node's
# handler drains (docs/OPERATIONS.md, Shutdown). Its exit code is the container's.
CMD ["node", "server/dist/main.js"]
