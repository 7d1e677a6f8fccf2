#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_fuzz.sh - the fuzz harnesses in the test suite: each one for
# FUZZ_TIME seconds (default 30) with ASan and UBSan, failing on any finding
# (tests/fuzz/run.sh says what it runs and where findings are kept). The
# harnesses are built by make build-tests (make fuzz-build).
exec bash "$(dirname "$0")/../fuzz/run.sh"
