# Rasa 3.6 peer for the NLU backend `rasa`, its integration tests and the benchmarks.
# Rasa 3.6 supports Python 3.7-3.10 only, so it lives in its own venv. The venv is built once
# per machine in a cache folder (its scripts name their interpreter by absolute path, so it is
# built where it stays) and each checkout links to it as .venv-rasa: a fresh clone, such as
# CI's, needs no second five-minute TensorFlow install.
#
#   make rasa        build the cached venv if missing, link .venv-rasa to it
#   make rasa-clean  remove the link and the cached venv

RASA_PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.10.*/bin/python3.10) \
                 $(shell command -v python3.10 2>/dev/null))
RASA_VERSION ?= 3.6.*
RASA_HOME ?= $(HOME)/.cache/frontdesk/venv-rasa-3.6
RASA_STAMP := $(RASA_HOME)/.rasa-installed

.PHONY: rasa rasa-clean

rasa: $(RASA_STAMP)
	@if [ -d .venv-rasa ] && [ ! -L .venv-rasa ]; then echo "rasa: .venv-rasa is a folder; run make rasa-clean first" >&2; exit 2; fi
	ln -sfn $(RASA_HOME) .venv-rasa

# pip 24.1+ rejects the legacy version metadata of some of Rasa 3.6's pinned dependencies.
$(RASA_STAMP):
	@test -n "$(RASA_PYTHON)" || { echo "rasa: no python3.10 found (set RASA_PYTHON=...)" >&2; exit 2; }
	mkdir -p $(dir $(RASA_HOME))
	test -x $(RASA_HOME)/bin/python || $(RASA_PYTHON) -m venv $(RASA_HOME)
	$(RASA_HOME)/bin/python -m pip install --quiet 'pip<24.1' wheel
	$(RASA_HOME)/bin/python -m pip install --quiet 'rasa==$(RASA_VERSION)' 'jieba>=0.42,<0.43'
	$(RASA_HOME)/bin/rasa --version
	touch $@

rasa-clean:
	rm -rf .venv-rasa $(RASA_HOME)
