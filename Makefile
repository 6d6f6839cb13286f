# Thin wrappers; scripts/bootstrap.sh installs what each target needs (Debian packages as root, .venv).
.PHONY: run test bench lint clean-data

run:
	@sh scripts/bootstrap.sh run
	.venv/bin/district-monitor serve

test:
	@sh scripts/bootstrap.sh test
	.venv/bin/python -m pytest -q

bench:
	@sh scripts/bootstrap.sh test
	for script in bench/*.py; do .venv/bin/python "$$script" || exit 1; done

lint:
	@sh scripts/bootstrap.sh test
	.venv/bin/python -m pip install -q ruff && .venv/bin/ruff check service geo indicators web tests bench

clean-data:
	rm -rf .data
