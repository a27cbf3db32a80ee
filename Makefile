# SafeMap: the two commands are `make run` and `make test` (see README.md).
.PHONY: run test build setup generate check-generated lint fuzz-web bench-account bench-assessment bench-reporting bench-public-flood clean

setup:
	@scripts/setup.sh

build: setup
	swift build

# All three services on a private PostgreSQL (or $SAFEMAP_DATABASE_URL) with demo data.
run: build
	scripts/run-local.sh

# Every test: unit tests and integration tests against a throwaway PostgreSQL and real gRPC.
# Executables are built too, because the lifecycle tests start the real account-service.
test:
	@scripts/setup.sh --tests
	swift build --build-tests
	swift test --skip-build

# 100,000 random and mutated HTTP requests against web-service (CI sends 2,000); every request
# sent is written to .build/fuzz-web.log.
fuzz-web:
	@scripts/setup.sh --tests
	swift build --build-tests
	SAFEMAP_FUZZ_REQUESTS=$${SAFEMAP_FUZZ_REQUESTS:-100000} SAFEMAP_FUZZ_CONCURRENCY=8 \
	  SAFEMAP_FUZZ_LOG=$$PWD/.build/fuzz-web.log \
	  swift test --skip-build --filter WebFuzzTests

# swift-format lint over the tree (generated code aside); CI fails on any finding.
lint:
	scripts/lint.sh

# Regenerates Shared/API/Generated from Proto/ (protoc + plugins from the pinned packages).
generate:
	@scripts/setup.sh --protoc
	scripts/generate-protos.sh

# Fails if the committed generated code differs from what Proto/ generates.
check-generated:
	@scripts/setup.sh --protoc
	scripts/generate-protos.sh --check

# account-service under load (release build): issuance of 10,000 accounts, logins, WhoAmI.
bench-account: setup
	swift build -c release --product account-benchmark
	swift build -c release --product account-service
	$$(swift build -c release --show-bin-path)/account-benchmark

# SubmitAssessment through gRPC vs pgbench running the same SQL transaction (release build).
bench-assessment: setup
	swift build -c release --product assessment-benchmark
	$$(swift build -c release --show-bin-path)/assessment-benchmark

# Every report at national scale (500,000 facilities, 60 days; generated once into
# BENCH_DATA_DIR, default /var/tmp/safemap-reporting-bench) through gRPC, next to plain SQL,
# and the public map of the largest province through web-service.
bench-reporting: setup
	swift build -c release --product reporting-benchmark
	swift build -c release --product account-service
	swift build -c release --product reporting-service
	swift build -c release --product web-service
	$$(swift build -c release --show-bin-path)/reporting-benchmark

# 60 s of one anonymous client cycling every province × level of the public map, at the default
# per-client limit and with limits lifted: web-service's peak RSS and an official's R1 p99 beside
# idle (release build, the same data set as bench-reporting).
bench-public-flood: setup
	swift build -c release --product reporting-benchmark
	swift build -c release --product account-service
	swift build -c release --product reporting-service
	swift build -c release --product web-service
	BENCH_ONLY=flood $$(swift build -c release --show-bin-path)/reporting-benchmark

clean:
	rm -rf .build .build-protoc
