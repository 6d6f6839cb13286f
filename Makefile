# Thin wrappers; scripts/bootstrap.sh installs what each target needs (Debian packages as root, .venv).
.PHONY: run test test-fast bench lint clean-data

run:
	@sh scripts/bootstrap.sh run
	.venv/bin/district-monitor serve

# One test process per core (pytest-xdist); each has its own throwaway PostGIS cluster, and a file's tests stay
# together in one process (--dist loadfile), in their order, sharing their module fixtures. Files are handed out
# in collection order (--no-loadscope-reorder), which tests/conftest.py makes longest first (tests/durations.json).
test:
	@sh scripts/bootstrap.sh test
	.venv/bin/python -m pytest -q -n auto --dist loadfile --no-loadscope-reorder

# The edit-test loop: the methods (no database), the API and pages read from the demo database (reused from
# .data/test-cache/ while its inputs are unchanged). Under a minute with the cache warm; nothing that writes
# and refreshes, no browser, no GDAL, no fault injection, no CLI subprocesses. `make test` before pushing.
FAST_TESTS = tests/test_composite.py tests/test_classify.py tests/test_hotspots.py tests/test_indices_definitions.py \
	tests/test_catalogue_file.py tests/test_charts_text.py tests/test_demo_cache.py tests/test_api_basics.py \
	tests/test_coverage.py tests/test_ogc_errors.py

test-fast:
	@sh scripts/bootstrap.sh test
	.venv/bin/python -m pytest -q -p no:cacheprovider $(FAST_TESTS)

bench:
	@sh scripts/bootstrap.sh test
	for script in bench/*.py; do .venv/bin/python "$$script" || exit 1; done

lint:
	@sh scripts/bootstrap.sh test
	.venv/bin/python -m pip install -q ruff && .venv/bin/ruff check service geo indicators web tests bench

clean-data:
	rm -rf .data
