.PHONY: up down test check-infra release deploy demo bench

# Start the local stack (moto + cargo lambda watch on loopback) and write .local/env.
up:
	local/up.sh

# The whole workflow on the local stack: starts it (and leaves it up), creates a demo REST API
# and hosted zone, asks for a custom-domain stack and shows its progress until READY.
demo:
	scripts/demo.sh

# Stop what `make up` started.
down:
	local/down.sh

# Every test: fmt, clippy, unit tests, the infra checks, then the local stack and the end-to-end tests.
test:
	scripts/test.sh

# A burst of custom-domain stacks on a local stack of its own (50, 30 % of the calls throttled),
# then their deletes: writes docs/benchmarks.md.
bench:
	scripts/bench.sh

# cfn-lint, checkov, statelint and the project's own checks of infra/ and statemachine/.
check-infra:
	scripts/check-infra.sh

# The Lambda artifacts infra/template.yaml points at: target/lambda/<binary>/bootstrap.zip (arm64).
release:
	scripts/release.sh

# sam build + sam deploy --guided of infra/template.yaml with the artifacts of `make release`.
deploy: release
	scripts/deploy.sh
