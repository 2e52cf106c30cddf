# Jazari developer entry points. `make test` works on a fresh Debian 12 machine:
# it installs what is missing (Debian packages as root, then a .venv), then lints,
# type-checks and runs the test suite.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian packages the stack needs at run time: libusb for Open3D, EGL/Mesa (and OSMesa
# as a fallback) for headless MuJoCo rendering, iproute2 for the EtherCAT test network.
APT_PACKAGES := libusb-1.0-0 libegl1 libgl1 libgl1-mesa-dri libegl-mesa0 libosmesa6 libgomp1 iproute2

.PHONY: test lint typecheck pytest bench demo deps apt-deps clean

test: lint typecheck pytest

deps: apt-deps $(STAMP)

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != "0" ]; then \
	    echo "jazari: missing Debian packages:$$missing"; \
	    echo "jazari: install them as root: apt-get install -y$$missing"; exit 1; \
	  fi; \
	  echo "jazari: installing Debian packages:$$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,bench]"
	touch $(STAMP)

lint: deps
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: deps
	$(BIN)/mypy

pytest: deps
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(BIN)/pytest

bench: deps
	@for b in $$($(BIN)/jazari bench --list); do $(BIN)/jazari bench $$b --json; done

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache .mypy_cache .ruff_cache

demo: deps
	MUJOCO_GL=$${MUJOCO_GL:-egl} $(BIN)/jazari demo
