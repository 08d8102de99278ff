.PHONY: up down test

# Start the local stack (moto + cargo lambda watch on loopback) and write .local/env.
up:
	local/up.sh

# Stop what `make up` started.
down:
	local/down.sh

# Every test: fmt, clippy, unit tests, then the local stack and the end-to-end tests.
test:
	scripts/test.sh
