#!/usr/bin/env bash
# The whole test suite: build, type-check, lint, format, compose file, then Jest on real
# services (Temporal dev server + FerretDB, installed into ~/.cache/tokenpay on first use).
# Then the chaos run's short profile, on the single-process stack and on the cluster. Ends with one plain line "N passed, N failed" counting Jest
# tests plus the static checks and the chaos run.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test-artifacts

passed=0
failed=0
check() {
  local name=$1
  shift
  echo "── ${name}"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "✗ ${name} failed"
  fi
}

compose() {
  if command -v docker-compose >/dev/null 2>&1; then
    docker-compose "$@"
  elif docker compose version >/dev/null 2>&1; then
    docker compose "$@"
  else
    echo "docker-compose is not installed (apt-get install docker-compose)"
    return 2
  fi
}

# The compose file is valid with every secret given, and refuses to start without them.
compose_config() {
  local env_file
  env_file=$(mktemp)
  printf '%s\n' PUBLIC_BASE_URL=https://pay.example TEMPORAL_UI_PUBLIC_URL=https://ops.example \
    TOKENPAY_ADMIN_KEY=x TOKENPAY_FINGERPRINT_KEYS=fp1:x TOKENPAY_CSRF_KEY=x TOKENPAY_SESSION_ID_KEY=x \
    TOKENPAY_CODEC_KEYS=c1:x TOKENPAY_CODEC_CREDENTIALS=operator:x TOKENPAY_METRICS_TOKEN=x \
    TOKENPAY_GATEWAY_NOTIFY_SECRET=x \
    TEMPORAL_DB_PASSWORD=x >"$env_file"
  local ok=0
  compose --env-file "$env_file" -f docker-compose.yml config -q || ok=1
  # shellcheck disable=SC2046
  if (unset $(compgen -v | grep -E '^(TOKENPAY_|TEMPORAL_|PUBLIC_BASE_URL)') && compose -f docker-compose.yml config -q) >/dev/null 2>&1; then
    echo "docker-compose.yml starts without its secrets"
    ok=1
  fi
  rm -f "$env_file"
  return $ok
}

check "build" npm run build --silent
# Every test runs the workflow code the image ships: the bundle the build just wrote (its build id
# is the workers' version; the replay gate replays these very bytes).
[ -f dist/workflow-bundle.js ] && export TOKENPAY_WORKFLOW_BUNDLE="$PWD/dist/workflow-bundle.js"
check "install service binaries" node dist/dev/install.js --cluster
check "typecheck (tsc --noEmit)" npx tsc --noEmit
check "eslint" npx eslint .
check "prettier" npx prettier --check .
check "docker-compose config" compose_config

echo "── jest"
npx jest --ci --maxWorkers=2 --json --outputFile=test-artifacts/jest.json "$@"
jest_status=$?
if [ -f test-artifacts/jest.json ]; then
  read -r jp jf < <(node -e 'const r=require("./test-artifacts/jest.json");console.log(r.numPassedTests, r.numFailedTests + (r.numRuntimeErrorTestSuites||0))')
  passed=$((passed + jp))
  failed=$((failed + jf))
fi
if [ "$jest_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

# The fault-injection run's short profile (~2 min): kills, restarts and gateway faults under load,
# then reconciliation (charged twice, lost, stuck, missing tokens/webhooks, card data, 500s: all 0).
# Only for the whole suite: `npm test -- <jest args>` runs just those Jest tests.
if [ "$#" -eq 0 ]; then
  check "chaos (short profile)" npm run chaos --silent
  # The same mix on the production shape (npm run cluster): Temporal server on PostgreSQL, two
  # API instances behind a proxy, two workers; ~1.5 min once the server binary is cached.
  check "chaos (short profile, cluster)" npm run chaos --silent -- --cluster
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
